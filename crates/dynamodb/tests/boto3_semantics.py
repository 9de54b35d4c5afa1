"""DynamoDB's semantics where emulators commonly differ: updates of missing items, UPDATED_* return
values, list appends, index projections and transaction idempotency. One documented rule per check.

Run by tests/tests.rs with ENDPOINT=http://127.0.0.1:<port>; prints one line per check and exits non-zero
on the first failure.
"""

from check_runner import N, S, check, dynamodb_client, error_of

client = dynamodb_client()
# The same endpoint without boto3's own parameter checks, to reach the server's.
raw = dynamodb_client(validate=False)

client.create_table(
    TableName="Sem",
    KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
    AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "g", "AttributeType": "S"}],
    GlobalSecondaryIndexes=[
        {"IndexName": "keys", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
         "Projection": {"ProjectionType": "KEYS_ONLY"}},
        {"IndexName": "some", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
         "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["x"]}},
    ],
    BillingMode="PAY_PER_REQUEST",
)


def get(pk):
    return client.get_item(TableName="Sem", Key={"pk": S(pk)}, ConsistentRead=True).get("Item")


@check("UpdateItem that only removes on a missing item creates nothing and returns nothing")
def _():
    r = client.update_item(TableName="Sem", Key={"pk": S("ghost")}, UpdateExpression="REMOVE a",
                           ReturnValues="ALL_NEW")
    assert "Attributes" not in r, r
    assert get("ghost") is None
    r = client.update_item(TableName="Sem", Key={"pk": S("ghost")}, UpdateExpression="DELETE s :v",
                           ExpressionAttributeValues={":v": {"SS": ["x"]}}, ReturnValues="ALL_NEW")
    assert "Attributes" not in r and get("ghost") is None, r
    # Even a nested path whose parent is missing: there is no item to hold it.
    for expr in ["REMOVE x.y", "REMOVE x[0]"]:
        client.update_item(TableName="Sem", Key={"pk": S("ghost")}, UpdateExpression=expr)
    assert get("ghost") is None
    # A SET does create it.
    client.update_item(TableName="Sem", Key={"pk": S("ghost")}, UpdateExpression="SET a = :v",
                       ExpressionAttributeValues={":v": N(1)})
    assert get("ghost") == {"pk": S("ghost"), "a": N(1)}


@check("UPDATED_NEW / UPDATED_OLD return only the updated paths, nested ones inside their parents")
def _():
    client.put_item(TableName="Sem", Item={"pk": S("nest"), "a": {"M": {"b": N(1), "c": N(2)}}, "d": N(3)})
    r = client.update_item(TableName="Sem", Key={"pk": S("nest")}, UpdateExpression="SET a.b = :v",
                           ExpressionAttributeValues={":v": N(9)}, ReturnValues="UPDATED_NEW")
    assert r["Attributes"] == {"a": {"M": {"b": N(9)}}}, r
    r = client.update_item(TableName="Sem", Key={"pk": S("nest")}, UpdateExpression="SET a.b = :v",
                           ExpressionAttributeValues={":v": N(10)}, ReturnValues="UPDATED_OLD")
    assert r["Attributes"] == {"a": {"M": {"b": N(9)}}}, r
    r = client.update_item(TableName="Sem", Key={"pk": S("nest")}, UpdateExpression="REMOVE d",
                           ReturnValues="UPDATED_NEW")
    assert "Attributes" not in r, r


@check("SET l[i] past the end of a list appends")
def _():
    client.put_item(TableName="Sem", Item={"pk": S("list"), "l": {"L": [N(0)]}})
    client.update_item(TableName="Sem", Key={"pk": S("list")}, UpdateExpression="SET l[10] = :v",
                       ExpressionAttributeValues={":v": N(1)})
    assert get("list")["l"] == {"L": [N(0), N(1)]}
    # Several appends to one list go in index order, whatever the expression's order.
    client.update_item(TableName="Sem", Key={"pk": S("list")},
                       UpdateExpression="SET l[84] = :a, l[37] = :b, l[17] = :c, l[50] = :d",
                       ExpressionAttributeValues={":a": S("a"), ":b": S("b"), ":c": S("c"), ":d": S("d")})
    assert get("list")["l"] == {"L": [N(0), N(1), S("c"), S("b"), S("d"), S("a")]}


@check("index reads return only what the index projects")
def _():
    client.put_item(TableName="Sem", Item={"pk": S("ix"), "g": S("G"), "x": N(1), "y": N(2)})
    r = client.query(TableName="Sem", IndexName="keys", KeyConditionExpression="g = :g",
                     ExpressionAttributeValues={":g": S("G")})
    assert r["Items"] == [{"pk": S("ix"), "g": S("G")}], r
    r = client.query(TableName="Sem", IndexName="some", KeyConditionExpression="g = :g",
                     ExpressionAttributeValues={":g": S("G")})
    assert r["Items"] == [{"pk": S("ix"), "g": S("G"), "x": N(1)}], r
    code, msg, _ = error_of(client.query, TableName="Sem", IndexName="keys", Select="ALL_ATTRIBUTES",
                            KeyConditionExpression="g = :g", ExpressionAttributeValues={":g": S("G")})
    assert code == "ValidationException" and (
        "Select type ALL_ATTRIBUTES is not supported for global secondary index keys because its projection "
        "type is not ALL") in msg, msg


def add_one(pk):
    return [{"Update": {"TableName": "Sem", "Key": {"pk": S(pk)}, "UpdateExpression": "ADD n :one",
                        "ExpressionAttributeValues": {":one": N(1)}}}]


@check("TransactWriteItems with a ClientRequestToken is idempotent for the same request")
def _():
    client.transact_write_items(TransactItems=add_one("idem"), ClientRequestToken="tok-1")
    client.transact_write_items(TransactItems=add_one("idem"), ClientRequestToken="tok-1")
    assert get("idem")["n"] == N(1), get("idem")
    client.transact_write_items(TransactItems=add_one("idem"), ClientRequestToken="tok-2")
    assert get("idem")["n"] == N(2), get("idem")
    # Recorded: the first call is billed as a transactional write (2 write units a KB), a replay
    # as a transactional read of the item as it stands (2 read units per 4 KB), each reported so.
    first = client.transact_write_items(TransactItems=add_one("idem-cc"), ClientRequestToken="tok-cc",
                                        ReturnConsumedCapacity="TOTAL")["ConsumedCapacity"][0]
    again = client.transact_write_items(TransactItems=add_one("idem-cc"), ClientRequestToken="tok-cc",
                                        ReturnConsumedCapacity="TOTAL")["ConsumedCapacity"][0]
    assert first["WriteCapacityUnits"] == 2.0 and "ReadCapacityUnits" not in first, first
    assert again["ReadCapacityUnits"] == 2.0 and "WriteCapacityUnits" not in again, again
    assert get("idem-cc")["n"] == N(1), get("idem-cc")
    code, msg, _ = error_of(client.transact_write_items, TransactItems=add_one("other"), ClientRequestToken="tok-1")
    assert code == "IdempotentParameterMismatchException", (code, msg)
    # The same request with its attributes in another order is the same request (recorded).
    put = lambda item: [{"Put": {"TableName": "Sem", "Item": item}}]  # noqa: E731
    client.transact_write_items(TransactItems=put({"pk": S("idem-order"), "name": S("n")}), ClientRequestToken="tok-o")
    client.transact_write_items(TransactItems=put({"name": S("n"), "pk": S("idem-order")}), ClientRequestToken="tok-o")
    assert get("other") is None
    code, msg, _ = error_of(client.transact_write_items, TransactItems=add_one("idem"), ClientRequestToken="t" * 37)
    assert code == "ValidationException" and "at 'clientRequestToken'" in msg \
        and "Member must have length less than or equal to 36" in msg, msg


@check("a transaction's update that fails on its item cancels with a ValidationError reason")
def _():
    client.put_item(TableName="Sem", Item={"pk": S("str"), "n": S("text")})
    code, msg, resp = error_of(client.transact_write_items, TransactItems=add_one("str") + add_one("fine"))
    assert code == "TransactionCanceledException", (code, msg)
    reasons = [r["Code"] for r in resp["CancellationReasons"]]
    assert reasons == ["ValidationError", "None"], resp["CancellationReasons"]
    assert get("fine") is None


@check("batches: 100 keys, 25 writes, no duplicate keys, every table checked before anything is read")
def _():
    keys = lambda n: [{"pk": S(f"k{i}")} for i in range(n)]  # noqa: E731
    code, msg, _ = error_of(client.batch_get_item, RequestItems={"Sem": {"Keys": keys(101)}})
    assert code == "ValidationException" and msg == (
        "1 validation error detected: Value at 'RequestItems.Sem.member.Keys' failed to satisfy "
        "constraint: Member must have length less than or equal to 100"), msg
    client.create_table(TableName="Sem2", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                        BillingMode="PAY_PER_REQUEST")
    code, msg, _ = error_of(client.batch_get_item, RequestItems={"Sem": {"Keys": keys(51)}, "Sem2": {"Keys": keys(50)}})
    assert code == "ValidationException" and "Too many items requested for the BatchGetItem call" in msg, msg
    code, msg, _ = error_of(client.batch_get_item, RequestItems={"Sem": {"Keys": [{"pk": S("a")}, {"pk": S("a")}]}})
    assert msg == "Provided list of item keys contains duplicates", msg
    code, msg, _ = error_of(client.batch_get_item, RequestItems={"Sem": {"Keys": keys(2)},
                                                                 "Nope": {"Keys": keys(1)}})
    assert code == "ResourceNotFoundException", (code, msg)
    puts = [{"PutRequest": {"Item": {"pk": S(f"w{i}")}}} for i in range(26)]
    code, msg, _ = error_of(client.batch_write_item, RequestItems={"Sem": puts})
    assert code == "ValidationException" and "Member must have length less than or equal to 25" in msg, msg
    code, msg, _ = error_of(client.batch_write_item, RequestItems={"Sem": [
        {"PutRequest": {"Item": {"pk": S("d")}}}, {"DeleteRequest": {"Key": {"pk": S("d")}}}]})
    assert msg == "Provided list of item keys contains duplicates", msg
    assert get("d") is None


@check("BatchGetItem consumed capacity rounds each item up to 4 KB, halved when eventually consistent")
def _():
    for pk in ("big1", "big2"):
        client.put_item(TableName="Sem", Item={"pk": S(pk), "blob": S("x" * 5000)})
    req = {"Keys": [{"pk": S("big1")}, {"pk": S("big2")}, {"pk": S("absent")}]}
    r = client.batch_get_item(RequestItems={"Sem": req}, ReturnConsumedCapacity="TOTAL")
    assert r["ConsumedCapacity"] == [{"TableName": "Sem", "CapacityUnits": 2.5}], r
    r = client.batch_get_item(RequestItems={"Sem": dict(req, ConsistentRead=True)}, ReturnConsumedCapacity="TOTAL")
    assert r["ConsumedCapacity"][0]["CapacityUnits"] == 5.0, r


@check("UpdateTable: something to change, a valid new index; backfill skips items the index cannot hold")
def _():
    client.create_table(TableName="Grow", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                        BillingMode="PAY_PER_REQUEST")
    code, msg, _ = error_of(raw.update_table, TableName="Grow")
    assert code == "ValidationException" and msg.startswith("At least one of ProvisionedThroughput, BillingMode"), msg
    for pk, g in [("ok", S("G")), ("empty", S("")), ("huge", S("g" * 2049)), ("typed", N(1))]:
        client.put_item(TableName="Grow", Item={"pk": S(pk), "g": g})
    client.put_item(TableName="Grow", Item={"pk": S("none")})
    create = lambda **c: raw.update_table(  # noqa: E731
        TableName="Grow", AttributeDefinitions=[{"AttributeName": "g", "AttributeType": "S"}],
        GlobalSecondaryIndexUpdates=[{"Create": dict({"IndexName": "byG",
                                                      "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}]}, **c)}])
    code, msg, _ = error_of(create)
    assert code == "ValidationException" and "projection" in msg, msg
    code, msg, _ = error_of(create, Projection={"ProjectionType": "KEYS_ONLY", "NonKeyAttributes": ["x"]})
    assert "ProjectionType is KEYS_ONLY, but NonKeyAttributes is specified" in msg, msg
    create(Projection={"ProjectionType": "ALL"})
    r = client.scan(TableName="Grow", IndexName="byG")
    assert [i["pk"] for i in r["Items"]] == [S("ok")], r


@check("UpdateTimeToLive: the attribute name is 1-255 characters")
def _():
    code, msg, _ = error_of(raw.update_time_to_live, TableName="Sem",
                            TimeToLiveSpecification={"Enabled": True, "AttributeName": ""})
    assert code == "ValidationException" and "at 'timeToLiveSpecification.attributeName'" in msg, msg


@check("a transaction carries at most 4 MB of items")
def _():
    big = "x" * (390 * 1024)
    items = [{"Put": {"TableName": "Sem", "Item": {"pk": S(f"big{i}"), "blob": S(big)}}} for i in range(11)]
    code, msg, _ = error_of(client.transact_write_items, TransactItems=items)
    assert code == "ValidationException" and msg == "Transaction request cannot be larger than 4 MB", (code, msg)
    assert get("big0") is None
    client.transact_write_items(TransactItems=items[:10])
    assert get("big9") is not None


@check("ReturnConsumedCapacity INDEXES names the index a Query read")
def _():
    r = client.query(TableName="Sem", IndexName="keys", KeyConditionExpression="g = :g",
                     ExpressionAttributeValues={":g": S("G")}, ReturnConsumedCapacity="INDEXES")
    c = r["ConsumedCapacity"]
    assert c["GlobalSecondaryIndexes"] == {"keys": {"CapacityUnits": 0.5}}, c
    assert c["Table"]["CapacityUnits"] == 0.0 and c["CapacityUnits"] == 0.5, c


@check("a local index read asking for attributes the index does not project fetches them from the table")
def _():
    client.create_table(
        TableName="Local", BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("pk", "sk", "ls")],
        LocalSecondaryIndexes=[{"IndexName": "byLs", "Projection": {"ProjectionType": "KEYS_ONLY"},
                                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                              {"AttributeName": "ls", "KeyType": "RANGE"}]}])
    client.put_item(TableName="Local", Item={"pk": S("p"), "sk": S("1"), "ls": S("a"), "extra": S("x")})
    q = dict(TableName="Local", IndexName="byLs", KeyConditionExpression="pk = :p",
             ExpressionAttributeValues={":p": S("p")})
    assert client.query(**q)["Items"] == [{"pk": S("p"), "sk": S("1"), "ls": S("a")}]
    assert client.query(Select="ALL_ATTRIBUTES", **q)["Items"][0]["extra"] == S("x")
    assert client.query(ProjectionExpression="extra", **q)["Items"] == [{"extra": S("x")}]


@check("write capacity includes each index the write touches")
def _():
    put = lambda item: client.put_item(TableName="Sem", Item=item, ReturnConsumedCapacity="INDEXES")["ConsumedCapacity"]  # noqa: E731
    c = put({"pk": S("cap"), "g": S("G2"), "x": N(1), "y": N(1)})
    assert c["CapacityUnits"] == 3.0 and c["Table"]["CapacityUnits"] == 1.0, c
    assert c["GlobalSecondaryIndexes"] == {"keys": {"CapacityUnits": 1.0}, "some": {"CapacityUnits": 1.0}}, c
    c = put({"pk": S("cap"), "g": S("G2"), "x": N(1), "y": N(2)})
    assert c["CapacityUnits"] == 1.0 and "GlobalSecondaryIndexes" not in c, c
    c = client.update_item(TableName="Sem", Key={"pk": S("cap")}, UpdateExpression="SET x = :v",
                           ExpressionAttributeValues={":v": N(5)}, ReturnConsumedCapacity="TOTAL")["ConsumedCapacity"]
    assert c == {"TableName": "Sem", "CapacityUnits": 2.0}, c
    c = client.delete_item(TableName="Sem", Key={"pk": S("cap")}, ReturnConsumedCapacity="TOTAL")["ConsumedCapacity"]
    assert c["CapacityUnits"] == 3.0, c


# ---- Multi-attribute GSI keys (DynamoDB, November 2025) -----------------------------------------------

MATCH_DEFS = [{"AttributeName": n, "AttributeType": t} for n, t in
              [("id", "S"), ("tournament", "S"), ("regionId", "S"), ("round", "N"), ("bracket", "S")]]


def match_gsi(*elements):
    return [{"IndexName": "byTournament", "Projection": {"ProjectionType": "ALL"},
             "KeySchema": [{"AttributeName": n, "KeyType": t} for n, t in elements]}]


@check("multi-attribute GSI keys: up to four HASH then up to four RANGE attributes")
def _():
    base = dict(TableName="BadMatches", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                AttributeDefinitions=MATCH_DEFS, BillingMode="PAY_PER_REQUEST")
    code, msg, _ = error_of(raw.create_table, GlobalSecondaryIndexes=match_gsi(
        ("tournament", "HASH"), ("round", "RANGE"), ("regionId", "HASH")), **base)
    assert code == "ValidationException" and "Invalid KeySchema" in msg, msg
    defs = MATCH_DEFS + [{"AttributeName": f"h{i}", "AttributeType": "S"} for i in range(5)]
    code, msg, _ = error_of(raw.create_table, GlobalSecondaryIndexes=match_gsi(
        *[(f"h{i}", "HASH") for i in range(5)]), **dict(base, AttributeDefinitions=defs))
    assert code == "ValidationException" and "Invalid KeySchema" in msg, msg
    raw.create_table(TableName="Matches", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                     AttributeDefinitions=MATCH_DEFS, BillingMode="PAY_PER_REQUEST",
                     GlobalSecondaryIndexes=match_gsi(("tournament", "HASH"), ("regionId", "HASH"),
                                                      ("round", "RANGE"), ("bracket", "RANGE")))
    ks = client.describe_table(TableName="Matches")["Table"]["GlobalSecondaryIndexes"][0]["KeySchema"]
    assert [(k["AttributeName"], k["KeyType"]) for k in ks] == [
        ("tournament", "HASH"), ("regionId", "HASH"), ("round", "RANGE"), ("bracket", "RANGE")], ks


@check("multi-attribute GSI keys: items are indexed only with every key attribute, typed right")
def _():
    def put(i, **attrs):
        return client.put_item(TableName="Matches", Item=dict({"id": S(i)}, **attrs))
    for i, (rnd, br) in enumerate([(1, "upper"), (2, "lower"), (2, "upper"), (3, "upper")]):
        put(f"m{i}", tournament=S("WINTER"), regionId=S("NA"), round=N(rnd), bracket=S(br))
    put("eu", tournament=S("WINTER"), regionId=S("EU"), round=N(1), bracket=S("upper"))
    put("partial", tournament=S("WINTER"), round=N(1), bracket=S("upper"))
    code, msg, _ = error_of(lambda: put("typed", tournament=S("WINTER"), regionId=N(1), round=N(1), bracket=S("x")))
    assert code == "ValidationException" and "Type mismatch for Index Key regionId" in msg, msg
    r = client.scan(TableName="Matches", IndexName="byTournament")
    assert sorted(i["id"]["S"] for i in r["Items"]) == ["eu", "m0", "m1", "m2", "m3"], r


def mq(kce, **values):
    names = {"ExpressionAttributeNames": {"#r": "round"}} if "#r" in kce else {}
    return client.query(TableName="Matches", IndexName="byTournament", KeyConditionExpression=kce,
                        ExpressionAttributeValues={f":{k}": v for k, v in values.items()}, **names)


@check("multi-attribute GSI keys: equality on every partition attribute, sort attributes left to right")
def _():
    ids = lambda r: [i["id"]["S"] for i in r["Items"]]  # noqa: E731
    assert ids(mq("tournament = :t AND regionId = :g", t=S("WINTER"), g=S("NA"))) == ["m0", "m1", "m2", "m3"]
    assert ids(mq("regionId = :g AND tournament = :t AND #r = :n", t=S("WINTER"), g=S("NA"), n=N(2))) == ["m1", "m2"]
    assert ids(mq("tournament = :t AND regionId = :g AND #r = :n AND begins_with(bracket, :b)",
                  t=S("WINTER"), g=S("NA"), n=N(2), b=S("up"))) == ["m2"]
    assert ids(mq("tournament = :t AND regionId = :g AND #r >= :n", t=S("WINTER"), g=S("NA"), n=N(2))) == ["m1", "m2", "m3"]
    code, msg, _ = error_of(mq, kce="tournament = :t", t=S("WINTER"))
    assert code == "ValidationException" and "Query condition missed key schema element: regionId" in msg, msg
    code, msg, _ = error_of(mq, kce="tournament = :t AND regionId = :g AND bracket = :b",
                            t=S("WINTER"), g=S("NA"), b=S("upper"))
    assert code == "ValidationException" and msg == (
        "RANGE key attributes round must have equality conditions specified in the query"
        " because a condition is present on key attribute bracket"), msg
    code, msg, _ = error_of(mq, kce="tournament = :t AND regionId = :g AND #r > :n AND bracket = :b",
                            t=S("WINTER"), g=S("NA"), n=N(1), b=S("upper"))
    assert code == "ValidationException" and msg == (
        "RANGE key attributes round must have equality conditions specified in the query"
        " because a condition is present on key attribute bracket"), msg
    code, msg, _ = error_of(mq, kce="tournament = :t AND regionId > :g", t=S("WINTER"), g=S("NA"))
    assert code == "ValidationException" and "Query key condition not supported" in msg, msg
    # Pages resume inside the index's order.
    r = client.query(TableName="Matches", IndexName="byTournament", Limit=2,
                     KeyConditionExpression="tournament = :t AND regionId = :g",
                     ExpressionAttributeValues={":t": S("WINTER"), ":g": S("NA")})
    assert ids(r) == ["m0", "m1"] and set(r["LastEvaluatedKey"]) == {"id", "tournament", "regionId", "round", "bracket"}, r
    r = client.query(TableName="Matches", IndexName="byTournament", ExclusiveStartKey=r["LastEvaluatedKey"],
                     KeyConditionExpression="tournament = :t AND regionId = :g",
                     ExpressionAttributeValues={":t": S("WINTER"), ":g": S("NA")})
    assert ids(r) == ["m2", "m3"], r


@check("legacy and expression parameters never mix, whatever their jobs; KeyConditions is the exception")
def _():
    # KeyConditions goes with a ProjectionExpression or FilterExpression (not with a
    # KeyConditionExpression): Alternator's test_projection_expression_query, run against DynamoDB.
    client.put_item(TableName="Sem", Item={"pk": S("kc"), "a": N(1), "b": N(2)})
    r = client.query(TableName="Sem", KeyConditions={"pk": {"AttributeValueList": [S("kc")], "ComparisonOperator": "EQ"}},
                     ProjectionExpression="a", FilterExpression="b = :two", ExpressionAttributeValues={":two": N(2)})
    assert r["Items"] == [{"a": N(1)}], r
    code, msg, _ = error_of(raw.update_item, TableName="Sem", Key={"pk": S("mix")},
                            AttributeUpdates={"a": {"Action": "PUT", "Value": N(1)}},
                            ConditionExpression="attribute_not_exists(a)")
    assert code == "ValidationException", (code, msg)
    assert msg.endswith("Non-expression parameters: {AttributeUpdates} Expression parameters: {ConditionExpression}"), msg
    code, msg, _ = error_of(raw.update_item, TableName="Sem", Key={"pk": S("mix")}, UpdateExpression="SET a = :v",
                            ExpressionAttributeValues={":v": N(1)}, Expected={"a": {"Exists": False}})
    assert "{Expected} Expression parameters: {UpdateExpression}" in msg, msg
    assert get("mix") is None


@check("AttributeUpdates' ADD or DELETE on another type is a type mismatch")
def _():
    client.put_item(TableName="Sem", Item={"pk": S("typed"), "v": S("text")})
    for action, value in (("ADD", N(1)), ("DELETE", {"SS": ["x"]}), ("ADD", {"NS": ["1"]})):
        code, msg, _ = error_of(client.update_item, TableName="Sem", Key={"pk": S("typed")},
                                AttributeUpdates={"v": {"Action": action, "Value": value}})
        assert code == "ValidationException" and "Type mismatch for attribute to update" in msg, (action, msg)
    assert get("typed")["v"] == S("text")


@check("AttributeUpdates ADD appends to lists; ADD and DELETE refuse the types they cannot take")
def _():
    # Alternator's test_update_item_add / _delete, written against DynamoDB.
    def add(pk, name, value, action="ADD"):
        return client.update_item(TableName="Sem", Key={"pk": S(pk)},
                                  AttributeUpdates={name: {"Action": action, "Value": value}})
    client.put_item(TableName="Sem", Item={"pk": S("lst"), "a": {"L": [N(1), N(2)]}})
    add("lst", "a", {"L": [N(3), N(4)]})
    add("lst", "a", {"L": [N(3)]})
    add("lst", "b", {"L": [S("x")]})
    item = get("lst")
    assert item["a"] == {"L": [N(1), N(2), N(3), N(4), N(3)]} and item["b"] == {"L": [S("x")]}, item
    for bad in (S("s"), {"M": {"y": N(2)}}, {"BOOL": True}):
        code, msg, _ = error_of(add, "lst", "a", bad)
        assert code == "ValidationException" and "type" in msg, (bad, msg)
    for bad in (S("b"), N(3), {"L": [N(2)]}):
        code, msg, _ = error_of(add, "lst", "a", bad, "DELETE")
        assert code == "ValidationException" and "type" in msg, (bad, msg)
    code, msg, _ = error_of(add, "lst", "a", N(1))
    assert code == "ValidationException" and "mismatch" in msg, msg
    assert get("lst") == item


@check("a parallel Scan resumes only from a key of its own segment")
def _():
    for i in range(40):
        client.put_item(TableName="Sem", Item={"pk": S(f"seg{i}")})
    other = client.scan(TableName="Sem", Segment=1, TotalSegments=2)["Items"][0]
    code, msg, _ = error_of(client.scan, TableName="Sem", Segment=0, TotalSegments=2,
                            ExclusiveStartKey={"pk": other["pk"]})
    assert code == "ValidationException", (code, msg)
    assert msg == "The provided Exclusive start key does not map to the provided Segment and TotalSegments values.", msg
    client.scan(TableName="Sem", Segment=1, TotalSegments=2, ExclusiveStartKey={"pk": other["pk"]})


print("all checks passed")
