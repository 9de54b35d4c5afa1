"""Item sizes, consumed capacity and expressions as DynamoDB answers them: one documented (or recorded)
rule per check.

Run by tests/tests.rs with ENDPOINT=http://127.0.0.1:<port>; prints one line per check and exits non-zero
on the first failure.
"""

from check_runner import N, S, check, dynamodb_client, error_of

client = dynamodb_client(validate=False)

client.create_table(
    TableName="Sizes",
    KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
    AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("pk", "sk", "g", "ls")],
    BillingMode="PAY_PER_REQUEST",
    GlobalSecondaryIndexes=[{"IndexName": "byG", "Projection": {"ProjectionType": "ALL"},
                             "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}]}],
    LocalSecondaryIndexes=[{"IndexName": "byLs", "Projection": {"ProjectionType": "ALL"},
                            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                          {"AttributeName": "ls", "KeyType": "RANGE"}]}],
)


# ---- ReturnConsumedCapacity ----------------------------------------------------------------------------

@check("outside transactions ConsumedCapacity carries only the aggregate CapacityUnits, no read/write split")
def _():
    key = {"pk": S("cap"), "sk": S("1")}
    c = client.put_item(TableName="Sizes", Item=dict(key, d=S("x")), ReturnConsumedCapacity="TOTAL")
    assert c["ConsumedCapacity"] == {"TableName": "Sizes", "CapacityUnits": 1.0}, c
    c = client.get_item(TableName="Sizes", Key=key, ReturnConsumedCapacity="TOTAL")["ConsumedCapacity"]
    assert c == {"TableName": "Sizes", "CapacityUnits": 0.5}, c
    c = client.get_item(TableName="Sizes", Key=key, ConsistentRead=True,
                        ReturnConsumedCapacity="INDEXES")["ConsumedCapacity"]
    assert c == {"TableName": "Sizes", "CapacityUnits": 1.0, "Table": {"CapacityUnits": 1.0}}, c
    c = client.query(TableName="Sizes", KeyConditionExpression="pk = :p", ConsistentRead=True,
                     ExpressionAttributeValues={":p": S("cap")}, ReturnConsumedCapacity="INDEXES")["ConsumedCapacity"]
    assert c == {"TableName": "Sizes", "CapacityUnits": 1.0, "Table": {"CapacityUnits": 1.0}}, c
    c = client.update_item(TableName="Sizes", Key=key, UpdateExpression="SET d = :v",
                           ExpressionAttributeValues={":v": S("y")}, ReturnConsumedCapacity="TOTAL")
    assert c["ConsumedCapacity"] == {"TableName": "Sizes", "CapacityUnits": 1.0}, c
    c = client.delete_item(TableName="Sizes", Key=key, ReturnConsumedCapacity="TOTAL")["ConsumedCapacity"]
    assert c == {"TableName": "Sizes", "CapacityUnits": 1.0}, c


@check("transactions keep the read/write split")
def _():
    r = client.transact_write_items(
        TransactItems=[{"Put": {"TableName": "Sizes", "Item": {"pk": S("tx"), "sk": S("1")}}}],
        ReturnConsumedCapacity="TOTAL")
    assert r["ConsumedCapacity"] == [{"TableName": "Sizes", "CapacityUnits": 2.0, "WriteCapacityUnits": 2.0}], r


@check("INDEXES on a write shows an arm per index written, with CapacityUnits only, summed in the total")
def _():
    c = client.put_item(TableName="Sizes", Item={"pk": S("ix"), "sk": S("1"), "g": S("G"), "ls": S("L")},
                        ReturnConsumedCapacity="INDEXES")["ConsumedCapacity"]
    assert c == {"TableName": "Sizes", "CapacityUnits": 3.0, "Table": {"CapacityUnits": 1.0},
                 "GlobalSecondaryIndexes": {"byG": {"CapacityUnits": 1.0}},
                 "LocalSecondaryIndexes": {"byLs": {"CapacityUnits": 1.0}}}, c


@check("BatchWriteItem's per-table entry lists the index arms the batch touched")
def _():
    r = client.batch_write_item(RequestItems={"Sizes": [
        {"PutRequest": {"Item": {"pk": S("b1"), "sk": S("1"), "g": S("G")}}},
        {"PutRequest": {"Item": {"pk": S("b2"), "sk": S("1"), "other": S("o")}}},
        {"DeleteRequest": {"Key": {"pk": S("ix"), "sk": S("1")}}},
    ]}, ReturnConsumedCapacity="INDEXES")
    assert r["ConsumedCapacity"] == [{
        "TableName": "Sizes", "CapacityUnits": 6.0, "Table": {"CapacityUnits": 3.0},
        "GlobalSecondaryIndexes": {"byG": {"CapacityUnits": 2.0}},
        "LocalSecondaryIndexes": {"byLs": {"CapacityUnits": 1.0}}}], r
    r = client.batch_write_item(RequestItems={"Sizes": [
        {"PutRequest": {"Item": {"pk": S("b3"), "sk": S("1")}}}]}, ReturnConsumedCapacity="TOTAL")
    assert r["ConsumedCapacity"] == [{"TableName": "Sizes", "CapacityUnits": 1.0}], r


@check("a local index read that fetches unprojected attributes charges each fetched item on the Table arm")
def _():
    client.create_table(
        TableName="Reach", BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("pk", "sk", "ls")],
        LocalSecondaryIndexes=[{"IndexName": "keys", "Projection": {"ProjectionType": "KEYS_ONLY"},
                                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                                              {"AttributeName": "ls", "KeyType": "RANGE"}]}])
    for i in range(3):
        client.put_item(TableName="Reach", Item={"pk": S("p"), "sk": S(str(i)), "ls": S(str(i)), "x": S("v")})
    q = dict(TableName="Reach", IndexName="keys", KeyConditionExpression="pk = :p",
             ExpressionAttributeValues={":p": S("p")}, ReturnConsumedCapacity="INDEXES")
    c = client.query(**q)["ConsumedCapacity"]
    assert c == {"TableName": "Reach", "CapacityUnits": 0.5, "Table": {"CapacityUnits": 0.0},
                 "LocalSecondaryIndexes": {"keys": {"CapacityUnits": 0.5}}}, c
    # Three items fetched, each an eventually consistent read of its own (0.5), beside the index's 0.5.
    c = client.query(ProjectionExpression="x", **q)["ConsumedCapacity"]
    assert c == {"TableName": "Reach", "CapacityUnits": 2.0, "Table": {"CapacityUnits": 1.5},
                 "LocalSecondaryIndexes": {"keys": {"CapacityUnits": 0.5}}}, c
    c = client.query(ProjectionExpression="x", Limit=1, **q)["ConsumedCapacity"]
    assert c["Table"] == {"CapacityUnits": 0.5}, c

# ---- Item sizes at the 400 KB limit ------------------------------------------------------------------------

MAX_ITEM = 400 * 1024
client.create_table(TableName="Flat", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                    AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                    BillingMode="PAY_PER_REQUEST")


def item_of(pk, total, extra=None, pad="p"):
    """{pk, **extra, pad: 'x' * n} measuring `total` bytes, strings only (a string costs its UTF-8 length)."""
    extra = extra or {}
    fixed = len("pk") + len(pk) + len(pad) + sum(len(k) + len(v["S"]) for k, v in extra.items())
    return dict({"pk": S(pk), pad: S("x" * (total - fixed))}, **extra)


@check("a number costs 1 byte plus its base-100 digit pairs aligned on the point, plus 1 if negative")
def _():
    # Captured against DynamoDB: the guide's "1 byte per two significant digits plus 1" misses the
    # rounding up and the pair split at the point ('3.14159' costs 5, '123456' costs 4).
    for i, (literal, cost) in enumerate([("1.5", 3), ("15", 2), ("1.200", 3), ("3.14159", 5), ("123456", 4),
                                         ("100.5", 4), ("-42", 3), ("1E125", 2), ("0", 1)]):
        def item(pk, total):
            it = item_of(pk, total - len("n") - cost)
            it["n"] = {"N": literal}
            return it
        client.put_item(TableName="Flat", Item=item(f"n{i}", MAX_ITEM))
        code, msg, _ = error_of(client.put_item, TableName="Flat", Item=item(f"o{i}", MAX_ITEM + 1))
        assert (code, msg) == ("ValidationException", "Item size has exceeded the maximum allowed size"), \
            (literal, code, msg)


@check("UpdateItem holds what it writes plus 3 bytes per update and 19 per SET to 400 KB, key excluded")
def _():
    # A one-byte key value: 3 key bytes against 22 of action cost, so the ceiling is 400 KB - 19.
    ceiling = MAX_ITEM - 19

    def update(pk, total, expr="SET p = :p", **kw):
        client.update_item(TableName="Flat", Key={"pk": S(pk)}, UpdateExpression=expr,
                           ExpressionAttributeValues={":p": item_of(pk, total)["p"]}, **kw)
    update("K", ceiling)
    assert client.get_item(TableName="Flat", Key={"pk": S("K")})["Item"]["p"] == item_of("K", ceiling)["p"]
    code, msg, _ = error_of(update, pk="L", total=ceiling + 1)
    assert (code, msg) == ("ValidationException", "Item size to update has exceeded the maximum allowed size"), msg
    # An untouched attribute is left out of the measure like the key: it buys back its own bytes.
    client.put_item(TableName="Flat", Item={"pk": S("U"), "u": S("y" * 10)})
    client.update_item(TableName="Flat", Key={"pk": S("U")}, UpdateExpression="SET p = :p",
                       ExpressionAttributeValues={":p": item_of("U", ceiling + 11, {"u": S("y" * 10)})["p"]})
    # A REMOVE action costs 2 bytes more.
    client.put_item(TableName="Flat", Item={"pk": S("R"), "r": S("z")})
    code, msg, _ = error_of(update, pk="R", total=ceiling - 1, expr="SET p = :p REMOVE r")
    assert "Item size to update" in msg, msg
    update("R", ceiling - 2, expr="SET p = :p REMOVE r")
    # With a long key the finished item's own 400 KB binds, still with the update wording.
    long_key = "k" * 100
    update(long_key, MAX_ITEM)
    code, msg, _ = error_of(update, pk="m" * 100, total=MAX_ITEM + 1)
    assert msg == "Item size to update has exceeded the maximum allowed size", msg


@check("a transacted Update is measured on the finished item alone and cancels with the update wording")
def _():
    client.put_item(TableName="Flat", Item={"pk": S("Y")})

    def tx(total):
        client.transact_write_items(TransactItems=[{"Update": {
            "TableName": "Flat", "Key": {"pk": S("Y")}, "UpdateExpression": "SET p = :p",
            "ExpressionAttributeValues": {":p": item_of("Y", total)["p"]}}}])
    tx(MAX_ITEM)
    code, _, response = error_of(tx, MAX_ITEM + 1)
    assert code == "TransactionCanceledException", response
    reason = response["CancellationReasons"][0]
    assert reason["Code"] == "ValidationError", reason
    assert "Item size to update has exceeded the maximum allowed size" in reason["Message"], reason


@check("a PartiQL UPDATE is measured on the finished item alone: it writes what UpdateItem refuses")
def _():
    client.put_item(TableName="Flat", Item={"pk": S("X")})
    pad = item_of("X", MAX_ITEM)["p"]
    code, msg, _ = error_of(client.update_item, TableName="Flat", Key={"pk": S("X")}, UpdateExpression="SET p = :p",
                         ExpressionAttributeValues={":p": pad})
    assert msg == "Item size to update has exceeded the maximum allowed size", msg
    client.execute_statement(Statement='UPDATE "Flat" SET p = ? WHERE pk = ?', Parameters=[pad, S("X")])
    assert client.get_item(TableName="Flat", Key={"pk": S("X")})["Item"]["p"] == pad

# ---- Expressions -----------------------------------------------------------------------------------------

@check("size() of a string counts UTF-16 code units, not UTF-8 bytes")
def _():
    client.put_item(TableName="Sizes", Item={"pk": S("utf"), "sk": S("1"), "s": S("\u00e9\U0001d11e")})
    q = lambda n: client.query(TableName="Sizes", KeyConditionExpression="pk = :p",  # noqa: E731
                               FilterExpression="size(s) = :n",
                               ExpressionAttributeValues={":p": S("utf"), ":n": N(n)})["Items"]
    assert len(q(3)) == 1 and q(6) == [], (q(3), q(6))


@check("a KeyConditionExpression may double its parentheses; a FilterExpression may not")
def _():
    client.put_item(TableName="Sizes", Item={"pk": S("par"), "sk": S("3")})
    r = client.query(TableName="Sizes", KeyConditionExpression="((pk = :p)) AND ((sk = :s))",
                     ExpressionAttributeValues={":p": S("par"), ":s": S("3")})
    assert [i["sk"] for i in r["Items"]] == [S("3")], r
    code, msg, _ = error_of(client.query, TableName="Sizes", KeyConditionExpression="pk = :p",
                         FilterExpression="((sk = :s))", ExpressionAttributeValues={":p": S("par"), ":s": S("3")})
    assert msg == "Invalid FilterExpression: The expression has redundant parentheses;", msg


@check("SET accepts parenthesised arithmetic: SET c = (c - :v)")
def _():
    client.put_item(TableName="Sizes", Item={"pk": S("arith"), "sk": S("1"), "c": N(10)})
    r = client.update_item(TableName="Sizes", Key={"pk": S("arith"), "sk": S("1")}, UpdateExpression="SET c = (c - :v)",
                           ExpressionAttributeValues={":v": N(3)}, ReturnValues="UPDATED_NEW")
    assert r["Attributes"] == {"c": N(7)}, r


@check("projected list elements come back compacted in index order; paths into one element merge")
def _():
    key = {"pk": S("proj"), "sk": S("1")}
    client.put_item(TableName="Sizes", Item=dict(key, l={"L": [S("l0"), S("l1"), S("l2")]}, m={"L": [
        {"M": {"a": S("a0"), "b": S("b0"), "c": S("c0")}}]}))
    r = client.get_item(TableName="Sizes", Key=key, ProjectionExpression="l[2], l[0], m[0].c, m[0].a")["Item"]
    assert r == {"l": {"L": [S("l0"), S("l2")]}, "m": {"L": [{"M": {"a": S("a0"), "c": S("c0")}}]}}, r


@check("a character no rule uses is a syntax error naming it; a name cannot start with '_'")
def _():
    key = {"pk": S("x"), "sk": S("1")}
    code, msg, _ = error_of(client.get_item, TableName="Sizes", Key=key, ProjectionExpression="!!! INVALID !!!")
    assert msg == 'Invalid ProjectionExpression: Syntax error; token: "!", near: "!!"', msg
    code, msg, _ = error_of(client.put_item, TableName="Sizes", Item=key, ConditionExpression="attribute_exists(_version)")
    # PutItem answers its expression checks in Coral's envelope (AWS, recorded 2025-26).
    assert msg == '1 validation error detected: Invalid ConditionExpression: Syntax error; token: "_", near: "(_version"', msg


print("all checks passed")
