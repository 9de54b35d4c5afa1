"""DynamoDB validates a request fully before it reads any data: these checks send invalid requests to
empty tables and missing items and expect DynamoDB's exception type and message words, one documented
rule per check.

Run by tests/tests.rs with ENDPOINT=http://127.0.0.1:<port>; prints one line per check and exits non-zero
on the first failure.
"""

from check_runner import N, S, check, dynamodb_client, error_of, rejects

client = dynamodb_client(validate=False)

client.create_table(
    TableName="Val",
    KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
    AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                          {"AttributeName": "sk", "AttributeType": "N"}],
    BillingMode="PAY_PER_REQUEST",
)
KEY = {"pk": S("p"), "sk": N(1)}


def cond_put(expr, values=None, names=None):
    kw = dict(TableName="Val", Item={"pk": S("p"), "sk": N(1)}, ConditionExpression=expr)
    if values:
        kw["ExpressionAttributeValues"] = values
    if names:
        kw["ExpressionAttributeNames"] = names
    return client.put_item(**kw)


def update(expr, values=None, names=None, **extra):
    kw = dict(TableName="Val", Key=KEY, UpdateExpression=expr, **extra)
    if values:
        kw["ExpressionAttributeValues"] = values
    if names:
        kw["ExpressionAttributeNames"] = names
    return client.update_item(**kw)


def query(kce, values, **extra):
    return client.query(TableName="Val", KeyConditionExpression=kce, ExpressionAttributeValues=values, **extra)


# ---- Expressions: checked on the expression alone, before any item is read ----------------------------

@check("ordered comparisons take only scalar constants (S, N, B)")
def _():
    rejects(["Invalid ConditionExpression", "Incorrect operand type for operator or function",
             "operator or function: <", "operand type: M"],
            cond_put, expr="a < :m", values={":m": {"M": {}}})
    rejects(["Invalid FilterExpression", "operator or function: >=", "operand type: BOOL"],
            client.scan, TableName="Val", FilterExpression="a >= :b", ExpressionAttributeValues={":b": {"BOOL": True}})
    # Equality compares anything.
    client.scan(TableName="Val", FilterExpression="a = :m", ExpressionAttributeValues={":m": {"M": {}}})


@check("BETWEEN bounds must have one type, lower <= upper")
def _():
    rejects("The BETWEEN operator requires same data type for lower and upper bounds",
            cond_put, expr="a BETWEEN :lo AND :hi", values={":lo": N(1), ":hi": S("z")})
    rejects("The BETWEEN operator requires upper bound to be greater than or equal to lower bound",
            cond_put, expr="a BETWEEN :lo AND :hi", values={":lo": N(5), ":hi": N(1)})


@check("attribute_type takes a string naming a DynamoDB type")
def _():
    rejects("Invalid attribute type name found; type: X",
            cond_put, expr="attribute_type(a, :t)", values={":t": S("X")})
    rejects(["Incorrect operand type for operator or function", "operator or function: attribute_type",
             "operand type: N"], cond_put, expr="attribute_type(a, :t)", values={":t": N(1)})
    # The type is a value, never a path; what it tests may be a value.
    rejects(["Invalid FilterExpression", "Incorrect operand type for operator or function",
             "operator or function: attribute_type"], client.scan, TableName="Val", FilterExpression="attribute_type(a, b)")
    client.put_item(TableName="Val", Item={"pk": S("atype"), "sk": N(1)})
    client.update_item(TableName="Val", Key={"pk": S("atype"), "sk": N(1)}, UpdateExpression="SET c = :v",
                       ConditionExpression="attribute_type(:v, :t)", ExpressionAttributeValues={":v": N(0), ":t": S("N")})
    rejects("The conditional request failed", client.update_item, code="ConditionalCheckFailedException",
            TableName="Val", Key={"pk": S("atype"), "sk": N(1)}, UpdateExpression="SET c = :v",
            ConditionExpression="attribute_type(:v, :t)", ExpressionAttributeValues={":v": N(0), ":t": S("S")})


@check("functions take their number of operands; attribute_exists takes a path")
def _():
    rejects(["Incorrect number of operands for operator or function", "operator or function: size",
             "number of operands: 2"], cond_put, expr="size(a, b) = :n", values={":n": N(1)})
    rejects(["Invalid FilterExpression", "Incorrect number of operands for operator or function",
             "operator or function: begins_with", "number of operands: 1"],
            client.scan, TableName="Val", FilterExpression="begins_with(s)")
    rejects(["operator or function: contains", "number of operands: 3"],
            cond_put, expr="contains(a, :n, :n)", values={":n": N(1)})
    rejects("Operator or function requires a document path; operator or function: attribute_exists",
            cond_put, expr="attribute_exists(:n)", values={":n": N(1)})
    rejects("Operator or function requires a document path; operator or function: attribute_not_exists",
            cond_put, expr="attribute_not_exists(size(a))")


@check("size() is an operand, never a condition, and never of a number")
def _():
    rejects("The function is not allowed to be used this way in an expression; function: size",
            cond_put, expr="size(a)")
    rejects(["Incorrect operand type for operator or function", "operator or function: size", "operand type: N"],
            cond_put, expr="size(:n) > :n", values={":n": N(1)})
    # size of a string constant is its length.
    cond_put("size(:s) = :three", values={":s": S("abc"), ":three": N(3)})


@check("update functions are not allowed in conditions, condition functions not in updates")
def _():
    rejects("The function is not allowed in a condition expression; function: list_append",
            cond_put, expr="a = list_append(b, c)")
    rejects("The function is not allowed in a condition expression; function: if_not_exists",
            cond_put, expr="if_not_exists(a, :v) = :v", values={":v": N(1)})
    rejects("The function is not allowed in an update expression; function: attribute_exists",
            update, expr="SET a = attribute_exists(b)")
    rejects("Invalid function name; function: frobnicate", cond_put, expr="frobnicate(a)")
    rejects("Invalid function name; function: frobnicate", update, expr="SET a = frobnicate(b)")


@check("doubled parentheses are redundant; single ones are fine")
def _():
    rejects("The expression has redundant parentheses;", cond_put, expr="((attribute_not_exists(a)))")
    cond_put("(attribute_not_exists(a)) AND (attribute_not_exists(b))")


@check("a condition holds at most 300 operators; nesting 299 of them is fine")
def _():
    # Alternator's test_deeply_nested_expression_2, written against DynamoDB.
    nested = lambda depth: "a<b " + "or (a<b " * depth + ")" * depth
    # 299 operators parse; the item's a and b are missing, so the condition is false.
    rejects("The conditional request failed", cond_put, code="ConditionalCheckFailedException",
            expr=nested(149))
    rejects("Invalid ConditionExpression: The expression contains too many operators; operator count: 301",
            cond_put, expr=nested(454))


@check("an operator's first operand must differ from the others")
def _():
    rejects(["The first operand must be distinct from the remaining operands for this operator or function",
             "operator: contains", "first operand: [a]"], cond_put, expr="contains(a, a)")
    rejects(["The first operand must be distinct", "operator: =", "first operand: [a, b]"],
            cond_put, expr="a.b = a.b")


@check("arithmetic and list_append constants have the right type")
def _():
    rejects(["Invalid UpdateExpression", "Incorrect operand type for operator or function",
             "operator or function: +", "operand type: S"], update, expr="SET a = b + :s", values={":s": S("x")})
    rejects(["operator or function: list_append", "operand type: S"],
            update, expr="SET a = list_append(b, :s)", values={":s": S("x")})
    # list_append may hold if_not_exists but not another list_append.
    rejects(["Invalid UpdateExpression",
             "The function is not allowed to be used this way in an expression; function: list_append"],
            update, expr="SET a = list_append(list_append(:l, :l), :l)", values={":l": {"L": []}})
    update("SET nest = list_append(if_not_exists(nest, :l), :m)", values={":l": {"L": []}, ":m": {"L": [N(1)]}})
    # if_not_exists is typed by its fallback: adding to a list is refused before any item is read.
    rejects(["operator or function: +", "operand type: L"],
            update, expr="SET calls = if_not_exists(calls, :empty) + :one", values={":empty": {"L": []}, ":one": N(1)})
    rejects(["Incorrect operand type for operator or function", "operator: ADD", "operand type: STRING"],
            update, expr="ADD a :s", values={":s": S("x")})


@check("placeholder keys are # or : and then letters, digits or underscores")
def _():
    rejects('ExpressionAttributeNames contains invalid key: Syntax error; key: "a"',
            cond_put, expr="attribute_not_exists(a)", names={"a": "b"})
    rejects('ExpressionAttributeValues contains invalid key: Syntax error; key: ":a-b"',
            cond_put, expr="attribute_not_exists(a)", values={":a-b": N(1)})


# ---- Key conditions ----------------------------------------------------------------------------------

@check("key condition: = only on the partition key, one condition per key, no OR, no nesting")
def _():
    rejects("Query key condition not supported", query, kce="pk < :v", values={":v": S("p")})
    rejects("KeyConditionExpressions must only contain one condition per key",
            query, kce="pk = :v AND pk = :w", values={":v": S("p"), ":w": S("q")})
    rejects("KeyConditionExpressions must only contain one condition per key",
            query, kce="pk = :v AND sk > :a AND sk < :b", values={":v": S("p"), ":a": N(1), ":b": N(5)})
    rejects("Invalid operator used in KeyConditionExpression: OR",
            query, kce="pk = :v OR sk = :a", values={":v": S("p"), ":a": N(1)})
    rejects("KeyConditionExpressions cannot have conditions on nested attributes",
            query, kce="pk = :v AND sk.x = :a", values={":v": S("p"), ":a": N(1)})
    rejects("Query key condition not supported",
            query, kce="pk = :v AND xattr = :a", values={":v": S("p"), ":a": N(1)})
    rejects("Query condition missed key schema element: pk", query, kce="sk = :a", values={":a": N(1)})


@check("KeyConditions holds one or two conditions: an empty map is refused, not a read of every partition")
def _():
    rejects("Conditions can be of length 1 or 2 only", client.query, TableName="Val", KeyConditions={})


@check("key condition: operand types match the key's type; begins_with only on S or B")
def _():
    rejects("Condition parameter type does not match schema type", query, kce="pk = :v", values={":v": N(1)})
    rejects("Condition parameter type does not match schema type",
            query, kce="pk = :v AND sk > :s", values={":v": S("p"), ":s": S("x")})
    rejects(["Incorrect operand type for operator or function", "operator or function: begins_with",
             "operand type: N"], query, kce="pk = :v AND begins_with(sk, :n)", values={":v": S("p"), ":n": N(1)})


@check("key condition: an empty partition value is refused as in a Key, not read as no items")
def _():
    # Reported from DynamoDB in moto#7062: Query with Key("PK").eq("") answers this ValidationException.
    empty = "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty {} value. Key: pk"
    got, msg, _ = error_of(query, kce="pk = :v", values={":v": S("")})
    assert (got, msg) == ("ValidationException", empty.format("string")), (got, msg)
    got, msg, _ = error_of(client.query, TableName="Val",
                           KeyConditions={"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [S("")]}})
    assert (got, msg) == ("ValidationException", empty.format("string")), (got, msg)


@check("key condition: reversed operands (:v = pk) are accepted")
def _():
    client.put_item(TableName="Val", Item={"pk": S("rev"), "sk": N(3), "x": S("y")})
    r = query(":v = pk AND :lo <= sk", {":v": S("rev"), ":lo": N(2)})
    assert [i["sk"] for i in r["Items"]] == [N(3)], r
    r = query(":v = pk AND :lo > sk", {":v": S("rev"), ":lo": N(2)})
    assert r["Items"] == [], r


# ---- Filters -----------------------------------------------------------------------------------------

@check("a Query's filters may not name key attributes")
def _():
    rejects("Filter Expression can only contain non-primary key attributes: Primary key attribute: sk",
            query, kce="pk = :v", values={":v": S("p"), ":a": N(1)}, FilterExpression="sk = :a")
    rejects("QueryFilter can only contain non-primary key attributes: Primary key attribute: pk",
            client.query, TableName="Val",
            KeyConditions={"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [S("p")]}},
            QueryFilter={"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [S("p")]}})


# ---- Projections -------------------------------------------------------------------------------------

@check("projection paths may not overlap or conflict")
def _():
    rejects(["Invalid ProjectionExpression", "Two document paths overlap with each other",
             "path one: [a], path two: [a, b]"],
            client.get_item, TableName="Val", Key=KEY, ProjectionExpression="a, a.b")
    rejects("Two document paths overlap with each other",
            client.get_item, TableName="Val", Key=KEY, ProjectionExpression="a, a")
    rejects(["Two document paths conflict with each other", "path one: [a, b], path two: [a, [0]]"],
            client.get_item, TableName="Val", Key=KEY, ProjectionExpression="a.b, a[0]")


@check("document paths nest at most 32 levels")
def _():
    deep = ".".join(["a"] * 33)
    rejects("The document path has too many nesting levels; nesting levels: 33",
            client.get_item, TableName="Val", Key=KEY, ProjectionExpression=deep)
    client.get_item(TableName="Val", Key=KEY, ProjectionExpression=".".join(["a"] * 32))


# ---- Update expressions ------------------------------------------------------------------------------

@check("update paths may not overlap or conflict")
def _():
    rejects(["Invalid UpdateExpression", "Two document paths overlap with each other",
             "path one: [a], path two: [a]"], update, expr="SET a = :v REMOVE a", values={":v": N(1)})
    rejects(["Two document paths overlap with each other", "path one: [a], path two: [a, b]"],
            update, expr="SET a = :v, a.b = :v", values={":v": N(1)})
    rejects(["Two document paths conflict with each other", "path one: [a, b], path two: [a, [0]]"],
            update, expr="SET a.b = :v, a[0] = :v", values={":v": N(1)})


@check("update document paths must fit the item's shape")
def _():
    client.put_item(TableName="Val", Item={"pk": S("shape"), "sk": N(1), "l": {"L": [N(1)]}, "m": {"M": {}}})
    key = {"pk": S("shape"), "sk": N(1)}
    rejects("The document path provided in the update expression is invalid for update",
            client.update_item, TableName="Val", Key=key, UpdateExpression="SET l.x = :v",
            ExpressionAttributeValues={":v": N(1)})
    rejects("The document path provided in the update expression is invalid for update",
            client.update_item, TableName="Val", Key=key, UpdateExpression="SET m[0] = :v",
            ExpressionAttributeValues={":v": N(1)})
    # REMOVE too: every step before the last must exist with the right type ...
    for expr in ["REMOVE l.x", "REMOVE m[0]", "REMOVE nope.x", "REMOVE nope[0]"]:
        rejects("The document path provided in the update expression is invalid for update",
                client.update_item, TableName="Val", Key=key, UpdateExpression=expr)
    # ... while a missing last step removes nothing.
    client.update_item(TableName="Val", Key=key, UpdateExpression="REMOVE m.x, l[5], nope")
    assert client.get_item(TableName="Val", Key=key)["Item"]["l"] == {"L": [N(1)]}


# ---- AttributesToGet / Select / ExclusiveStartKey ----------------------------------------------------

@check("AttributesToGet is non-empty and without duplicates")
def _():
    rejects(["at 'attributesToGet' failed to satisfy constraint", "Member must have length greater than or equal to 1"],
            client.get_item, TableName="Val", Key=KEY, AttributesToGet=[])
    rejects("One or more parameter values were invalid: Duplicate value in attribute name: a",
            client.get_item, TableName="Val", Key=KEY, AttributesToGet=["a", "a"])


@check("Select agrees with the projection and the index, in the request-validation envelope")
def _():
    def says(message, **kw):
        # AWS reports these in Coral's envelope, though they name no member.
        assert error_of(client.scan, TableName="Val", **kw)[:2] == (
            "ValidationException", "1 validation error detected: " + message)
    says("Must specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES",
         Select="SPECIFIC_ATTRIBUTES")
    says("Cannot specify the ProjectionExpression when choosing to get ALL_ATTRIBUTES",
         Select="ALL_ATTRIBUTES", ProjectionExpression="a")
    says("Cannot specify the AttributesToGet when choosing to get ALL_ATTRIBUTES",
         Select="ALL_ATTRIBUTES", AttributesToGet=["a"])
    says("Cannot specify the ProjectionExpression when choosing to get only the Count",
         Select="COUNT", ProjectionExpression="a")
    says("ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName",
         Select="ALL_PROJECTED_ATTRIBUTES")
    client.scan(TableName="Val", Select="SPECIFIC_ATTRIBUTES", ProjectionExpression="a")


@check("ExclusiveStartKey is exactly the key, and in the queried partition")
def _():
    rejects("The provided starting key is invalid",
            client.scan, TableName="Val", ExclusiveStartKey={"pk": S("p")})
    rejects("The provided starting key is invalid",
            client.scan, TableName="Val", ExclusiveStartKey={"pk": S("p"), "sk": N(1), "x": S("extra")})
    rejects("The provided starting key is outside query boundaries based on provided conditions",
            query, kce="pk = :v", values={":v": S("p")}, ExclusiveStartKey={"pk": S("other"), "sk": N(1)})
    # The sort-key condition bounds it too; a start key inside it resumes.
    rejects("The provided starting key is outside query boundaries based on provided conditions",
            query, kce="pk = :v AND sk > :lo", values={":v": S("p"), ":lo": N(5)},
            ExclusiveStartKey={"pk": S("p"), "sk": N(1)})
    query("pk = :v AND sk > :lo", {":v": S("p"), ":lo": N(5)}, ExclusiveStartKey={"pk": S("p"), "sk": N(6)})


# ---- Legacy parameters -------------------------------------------------------------------------------

@check("legacy parameters: operand counts, ConditionalOperator needs Expected, no mixing")
def _():
    rejects("Invalid number of argument(s) for the EQ ComparisonOperator",
            client.put_item, TableName="Val", Item={"pk": S("p"), "sk": N(1)},
            Expected={"a": {"ComparisonOperator": "EQ", "AttributeValueList": []}})
    rejects("One or more parameter values were invalid: ComparisonOperator BEGINS_WITH is not valid for N AttributeValue type",
            client.put_item, TableName="Val", Item={"pk": S("p"), "sk": N(1)},
            Expected={"a": {"ComparisonOperator": "BEGINS_WITH", "AttributeValueList": [N(1)]}})
    rejects("ComparisonOperator LT is not valid for SS AttributeValue type",
            client.scan, TableName="Val", ScanFilter={"a": {"ComparisonOperator": "LT", "AttributeValueList": [{"SS": ["x"]}]}})
    rejects("AttributeValues inside AttributeValueList must be of same type",
            client.scan, TableName="Val",
            ScanFilter={"a": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [N(1), S("x")]}})
    rejects("The BETWEEN condition was provided a range where the lower bound is greater than the upper bound",
            client.scan, TableName="Val",
            ScanFilter={"a": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [N(5), N(1)]}})
    rejects("ConditionalOperator can only be used when Expected or QueryFilter or ScanFilter are present",
            client.put_item, TableName="Val", Item={"pk": S("p"), "sk": N(1)}, ConditionalOperator="AND")
    # An empty Expected is none: alone it is no condition, beside a ConditionalOperator an error.
    client.put_item(TableName="Val", Item={"pk": S("p"), "sk": N(1)}, Expected={})
    rejects("ConditionalOperator can only be used when Expected or QueryFilter or ScanFilter are present",
            client.put_item, TableName="Val", Item={"pk": S("p"), "sk": N(1)}, Expected={}, ConditionalOperator="OR")
    # An Expected entry is a ComparisonOperator with its list, or Exists/Value, never a mix.
    rejects("One or more parameter values were invalid: Exists and ComparisonOperator cannot be used together for Attribute: a",
            client.put_item, TableName="Val", Item={"pk": S("p"), "sk": N(1)},
            Expected={"a": {"Exists": False, "ComparisonOperator": "EQ", "AttributeValueList": [N(3)]}})
    rejects("Value and AttributeValueList cannot be used together for Attribute: a",
            client.put_item, TableName="Val", Item={"pk": S("p"), "sk": N(1)},
            Expected={"a": {"Value": N(3), "ComparisonOperator": "EQ", "AttributeValueList": [N(3)]}})
    rejects("AttributeValueList can only be used with a ComparisonOperator for Attribute: a",
            client.put_item, TableName="Val", Item={"pk": S("p"), "sk": N(1)},
            Expected={"a": {"AttributeValueList": [N(3)]}})
    rejects(["Can not use both expression and non-expression parameters in the same request",
             "Non-expression parameters: {Expected}", "Expression parameters: {ConditionExpression}"],
            client.put_item, TableName="Val", Item={"pk": S("p"), "sk": N(1)},
            Expected={"a": {"Exists": False}}, ConditionExpression="attribute_not_exists(a)")


# ---- Limits ------------------------------------------------------------------------------------------

client.create_table(
    TableName="Lim",
    KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
    AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "S"},
                          {"AttributeName": "gk", "AttributeType": "S"}, {"AttributeName": "gs", "AttributeType": "B"}],
    GlobalSecondaryIndexes=[{"IndexName": "byG", "KeySchema": [{"AttributeName": "gk", "KeyType": "HASH"},
                                                               {"AttributeName": "gs", "KeyType": "RANGE"}],
                             "Projection": {"ProjectionType": "KEYS_ONLY"}}],
    BillingMode="PAY_PER_REQUEST",
)


@check("partition keys up to 2048 bytes, sort keys up to 1024, for the table and every index")
def _():
    put = lambda **extra: client.put_item(TableName="Lim", Item={"pk": S("p"), "sk": S("s"), **extra})  # noqa: E731
    rejects("Size of hashkey has exceeded the maximum size limit of2048 bytes",
            client.put_item, TableName="Lim", Item={"pk": S("é" * 1025), "sk": S("s")})
    rejects("Aggregated size of all range keys has exceeded the size limit of 1024 bytes",
            client.put_item, TableName="Lim", Item={"pk": S("p"), "sk": S("s" * 1025)})
    client.put_item(TableName="Lim", Item={"pk": S("p" * 2048), "sk": S("s" * 1024)})
    rejects("Size of hashkey has exceeded the maximum size limit of2048 bytes", put, gk=S("g" * 2049))
    rejects("Aggregated size of all range keys has exceeded the size limit of 1024 bytes",
            put, gk=S("g"), gs={"B": b"x" * 1025})
    rejects(["A value specified for a secondary index key is not supported",
             "cannot contain an empty string value", "IndexName: byG, IndexKey: gk"], put, gk=S(""))
    put(gk=S("g" * 2048), gs={"B": b"x" * 1024})


@check("an index Query resumes only from a start key inside its key condition, sort key included")
def _():
    q = lambda gs: client.query(  # noqa: E731
        TableName="Lim", IndexName="byG", KeyConditionExpression="gk = :g AND gs = :s",
        ExpressionAttributeValues={":g": S("right"), ":s": {"B": b"right"}},
        ExclusiveStartKey={"pk": S("p"), "sk": S("s"), "gk": S("right"), "gs": {"B": gs}})
    rejects("The provided starting key is outside query boundaries based on provided conditions", q, gs=b"wrong")
    q(b"right")


@check("key attribute names up to 255 bytes; index names 3-255 of [a-zA-Z0-9_.-]")
def _():
    long = "k" * 256
    rejects(["at 'keySchema.1.member.attributeName'", "Member must have length less than or equal to 255"],
            client.create_table, TableName="LongKey", KeySchema=[{"AttributeName": long, "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": long, "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    gsi = lambda name: [{"IndexName": name, "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],  # noqa: E731
                         "Projection": {"ProjectionType": "ALL"}}]
    base = dict(TableName="IdxName", KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"},
                                      {"AttributeName": "g", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    rejects(["at 'globalSecondaryIndexes.1.member.indexName'", "Member must have length greater than or equal to 3"],
            client.create_table, GlobalSecondaryIndexes=gsi("ab"), **base)
    rejects("Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
            client.create_table, GlobalSecondaryIndexes=gsi("bad name"), **base)


@check("attribute names up to 65535 bytes, in items, updates, projections and placeholders")
def _():
    # Alternator's test_limit_attribute_length_nonkey_good/_bad, written against DynamoDB.
    ok, bad = "x" * 65535, "x" * 65536
    client.put_item(TableName="Val", Item={"pk": S("long"), "sk": N(1), ok: N(1)})
    got = client.get_item(TableName="Val", Key={"pk": S("long"), "sk": N(1)}, ProjectionExpression="#n",
                          ExpressionAttributeNames={"#n": ok})["Item"]
    assert got == {ok: N(1)}, list(got)
    words = ["One or more parameter values were invalid: Attribute name is too long", "65535", "65536"]
    key = {"pk": S("long"), "sk": N(1)}
    rejects(words, client.put_item, TableName="Val", Item={"pk": S("p"), "sk": N(1), bad: N(1)})
    rejects(words, client.get_item, TableName="Val", Key=key, ProjectionExpression="#n",
            ExpressionAttributeNames={"#n": bad})
    rejects(words, client.get_item, TableName="Val", Key=key, AttributesToGet=[bad])
    rejects(words, client.update_item, TableName="Val", Key=key,
            AttributeUpdates={bad: {"Value": N(2), "Action": "PUT"}})
    rejects(words, update, expr="SET #n = :v", values={":v": N(3)}, names={"#n": bad})
    rejects(words, update, expr="SET a = :v", values={":v": N(1)}, names={"#n": bad},
            ConditionExpression="#n = :v")
    client.delete_item(TableName="Val", Key=key)


@check("tag keys 1-128 characters, values up to 256")
def _():
    arn = client.describe_table(TableName="Val")["Table"]["TableArn"]
    rejects("Member must have length greater than or equal to 1",
            client.tag_resource, ResourceArn=arn, Tags=[{"Key": "", "Value": "v"}])
    rejects(["at 'tags.1.member.key'", "Member must have length less than or equal to 128"],
            client.tag_resource, ResourceArn=arn, Tags=[{"Key": "k" * 129, "Value": "v"}])
    rejects(["at 'tags.2.member.value'", "Member must have length less than or equal to 256"],
            client.tag_resource, ResourceArn=arn, Tags=[{"Key": "a", "Value": "v"}, {"Key": "b", "Value": "v" * 257}])
    client.tag_resource(ResourceArn=arn, Tags=[{"Key": "k" * 128, "Value": "v" * 256}])


# ---- CreateTable: indexes and projections ------------------------------------------------------------

def create_with(**kw):
    base = dict(TableName="Proj", KeySchema=[{"AttributeName": "k", "KeyType": "HASH"},
                                             {"AttributeName": "r", "KeyType": "RANGE"}],
                AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"},
                                      {"AttributeName": "r", "AttributeType": "S"},
                                      {"AttributeName": "g", "AttributeType": "S"}],
                BillingMode="PAY_PER_REQUEST")
    base.update(kw)
    return client.create_table(**base)


@check("a definition's name longer than 255 characters is refused before definitions meet keys")
def _():
    # Alternator's test_limit_attribute_length_key_bad_incoherent_names, written against DynamoDB.
    long = "x" * 256
    rejects(["at 'attributeDefinitions.1.member.attributeName'", "less than or equal to 255"], create_with,
            KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": long, "AttributeType": "S"}])
    rejects("less than or equal to 255", create_with,
            KeySchema=[{"AttributeName": long, "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}])


@check("index projections: a known type, NonKeyAttributes exactly with INCLUDE")
def _():
    gsi = lambda proj: [{"IndexName": "gix", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],  # noqa: E731
                         "Projection": proj}]
    rejects("Unknown ProjectionType: null", create_with, GlobalSecondaryIndexes=gsi({}))
    rejects("Member must satisfy enum value set: [ALL, INCLUDE, KEYS_ONLY]",
            create_with, GlobalSecondaryIndexes=gsi({"ProjectionType": "SOME"}))
    rejects("ProjectionType is KEYS_ONLY, but NonKeyAttributes is specified",
            create_with, GlobalSecondaryIndexes=gsi({"ProjectionType": "KEYS_ONLY", "NonKeyAttributes": ["x"]}))
    rejects("ProjectionType is INCLUDE, but NonKeyAttributes is not specified",
            create_with, GlobalSecondaryIndexes=gsi({"ProjectionType": "INCLUDE"}))
    # Alternator's test_gsi_projection_error_* and test_limit_attribute_length_gsi_lsi_projection_bad.
    include = lambda names: gsi({"ProjectionType": "INCLUDE", "NonKeyAttributes": names})  # noqa: E731
    rejects("Duplicate", create_with, GlobalSecondaryIndexes=include(["a", "a"]))
    rejects("cannot be converted to String", create_with, code="SerializationException",
            GlobalSecondaryIndexes=include(["a", 123]))
    rejects("Member must have length less than or equal to 255", create_with,
            GlobalSecondaryIndexes=include(["x" * 256]))
    rejects("List of GlobalSecondaryIndexes is empty", create_with, GlobalSecondaryIndexes=[])


@check("local indexes share the table's partition key and need a sort key")
def _():
    lsi = lambda h, r: [{"IndexName": "lix", "KeySchema": [{"AttributeName": h, "KeyType": "HASH"},  # noqa: E731
                                                          {"AttributeName": r, "KeyType": "RANGE"}],
                         "Projection": {"ProjectionType": "ALL"}}]
    rejects(["Index KeySchema does not have the same leading hash key as table KeySchema for index: lix",
             "index hash key: g, table hash key: k"], create_with, LocalSecondaryIndexes=lsi("g", "r"))
    rejects("Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex",
            create_with, KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"},
                                  {"AttributeName": "g", "AttributeType": "S"}],
            LocalSecondaryIndexes=lsi("k", "g"))


@check("numbers travel as strings: a JSON number or a padded or non-numeric text is refused")
def _():
    put = lambda value: client.put_item(TableName="Val", Item={"pk": S("p"), "sk": N(1), "v": value})  # noqa: E731
    # DynamoDB's JSON parser refuses a JSON number where the format says string (Alternator's
    # test_number_in_json; clients report the message).
    for value in ({"N": 123}, {"S": 5}, {"NS": [1, 2]}):
        rejects("NUMBER_VALUE cannot be converted to String", put, code="SerializationException", value=value)
    set_v = lambda value: update("SET v = :v", {":v": value})  # noqa: E731
    rejects("NUMBER_VALUE cannot be converted to String", set_v, code="SerializationException", value={"N": 123})
    for text in ("NaN", "Infinity", "dog", " 1", "1 "):
        rejects("cannot be converted to a numeric value", put, value={"N": text})
        rejects(["cannot be converted to a numeric value", "for key :v"], set_v, value={"N": text})
    for text in ("3", "-7.1234", "-17e5", "+3", ".123", "0001.23", "1e+5", "0e1000"):
        put({"N": text})


@check("TableId is a UUID")
def _():
    import uuid
    tid = client.describe_table(TableName="Val")["Table"]["TableId"]
    assert str(uuid.UUID(tid)) == tid, tid


@check("PutItem, UpdateItem and DeleteItem put their request checks in Coral's envelope; "
       "reads and transactions do not")
def _():
    def message(call, **kw):
        code, msg, _ = error_of(call, TableName="Val", **kw)
        assert code == "ValidationException", (code, msg)
        return msg

    env = "1 validation error detected: "
    unused = "Value provided in ExpressionAttributeNames unused in expressions: keys: {#c}"
    names = {"ExpressionAttributeNames": {"#c": "c"}}
    assert message(client.put_item, Item=KEY, ConditionExpression="attribute_exists(a)",
                   **names) == env + unused
    assert message(client.delete_item, Key=KEY, ConditionExpression="attribute_exists(a)",
                   **names) == env + unused
    assert message(client.update_item, Key=KEY, UpdateExpression="SET a = :v",
                   ExpressionAttributeValues={":v": S("x")}, **names) == env + unused
    assert message(client.update_item, Key=KEY, UpdateExpression="SET a = :v SET b = :v",
                   ExpressionAttributeValues={":v": S("x")}) == (
        env + 'Invalid UpdateExpression: The "SET" section can only be used once in an update expression;')
    assert message(client.update_item, Key=KEY, UpdateExpression="") == (
        env + "Invalid UpdateExpression: The expression can not be empty;")
    assert message(client.update_item, Key=KEY, UpdateExpression="SET a = :v",
                   ExpressionAttributeValues={}) == env + "ExpressionAttributeValues must not be empty"
    assert message(client.put_item, Item=dict(KEY, s={"NS": []})) == (
        env + "One or more parameter values were invalid: An number set  may not be empty")
    # Bare: a names map without any expression, what only the stored item or the schema can tell,
    # and the same checks in a read or a transaction.
    assert message(client.delete_item, Key=KEY, **names) == (
        "ExpressionAttributeNames can only be specified when using expressions")
    assert message(client.delete_item, Key={"pk": S("p")}) == (
        "The provided key element does not match the schema")
    assert message(client.get_item, Key=KEY, ProjectionExpression="a", **names) == unused
    assert message(client.query, KeyConditionExpression="pk = :p",
                   ExpressionAttributeValues={":p": S("p")}, **names) == unused
    code, msg, _ = error_of(client.transact_write_items, TransactItems=[{"Put": {
        "TableName": "Val", "Item": KEY, "ConditionExpression": "attribute_exists(a)", **names}}])
    assert (code, msg) == ("ValidationException", unused), (code, msg)


print("all checks passed")
