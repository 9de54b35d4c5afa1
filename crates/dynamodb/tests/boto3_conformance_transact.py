"""Transactions and batches answer as DynamoDB does: which faults cancel a transaction with a
`ValidationError` reason and which fail the whole request, TransactGetItems' own rules, and the
batch operations' key and size messages. One documented or recorded rule per check.

Run by tests/tests.rs with ENDPOINT=http://127.0.0.1:<port>; prints one line per check and exits non-zero
on the first failure.
"""

from check_runner import N, S, check, dynamodb_client, error_of

client = dynamodb_client(validate=False)

EMPTY_B = {"B": b""}

CANCELLED = "Transaction cancelled, please refer cancellation reasons for specific reasons [{}]"
SCHEMA = "The provided key element does not match the schema"
EMPTY_KEY = ("One or more parameter values are not valid. The AttributeValue for a key attribute cannot "
             "contain an empty {} value. Key: pk")
PUT_EMPTY_INDEX_KEY = ("One or more parameter values are not valid. A value specified for a secondary index key "
                       "is not supported. The AttributeValue for a key attribute cannot contain an empty {} "
                       "value. IndexName: {}, IndexKey: {}")
UPDATE_EMPTY_INDEX_KEY = ("One or more parameter values are not valid. The update expression attempted to update "
                          "a secondary index key to a value that is not supported. The AttributeValue for a key "
                          "attribute cannot contain an empty {} value.")


def rejected(message, call, *args, **kw):
    """The request fails as a whole: a ValidationException with exactly `message`."""
    code, msg, _ = error_of(call, *args, **kw)
    assert (code, msg) == ("ValidationException", message), (code, msg)


def cancelled(reasons, call, *args, **kw):
    """The transaction is cancelled with these (code, message) reasons, one per action, in order."""
    code, msg, resp = error_of(call, *args, **kw)
    assert code == "TransactionCanceledException", (code, msg)
    assert msg == CANCELLED.format(", ".join(c for c, _ in reasons)), msg
    got = [(r["Code"], r.get("Message")) for r in resp["CancellationReasons"]]
    assert got == reasons, got


def table(name, key, attrs, **extra):
    client.create_table(TableName=name, KeySchema=key, BillingMode="PAY_PER_REQUEST",
                        AttributeDefinitions=[{"AttributeName": n, "AttributeType": t} for n, t in attrs], **extra)


def hash_key(name):
    return [{"AttributeName": name, "KeyType": "HASH"}]


def gsi(name, attr):
    return {"IndexName": name, "KeySchema": hash_key(attr), "Projection": {"ProjectionType": "ALL"}}


table("Txn", hash_key("pk"), [("pk", "S")])
table("TxB", hash_key("pk"), [("pk", "B")])
table("TxIdx", hash_key("pk"), [("pk", "S"), ("ik", "S")], GlobalSecondaryIndexes=[gsi("byIk", "ik")])
table("TxBIdx", hash_key("pk"), [("pk", "S"), ("bidx", "B")], GlobalSecondaryIndexes=[gsi("gsib", "bidx")])


def get(name, key):
    return client.get_item(TableName=name, Key=key).get("Item")


def write(*actions):
    return client.transact_write_items(TransactItems=list(actions))


def put(name, item):
    return {"Put": {"TableName": name, "Item": item}}


def update(name, key, expr, values):
    return {"Update": {"TableName": name, "Key": key, "UpdateExpression": expr, "ExpressionAttributeValues": values}}


def delete(name, key):
    return {"Delete": {"TableName": name, "Key": key}}


def condition_check(name, key):
    return {"ConditionCheck": {"TableName": name, "Key": key, "ConditionExpression": "attribute_not_exists(pk)"}}


# ---- TransactWriteItems: a value of the wrong type cancels; an empty value fails the request -----------

@check("TransactWriteItems: a Put whose table key has the wrong type cancels with a ValidationError reason")
def _():
    mismatch = "One or more parameter values were invalid: Type mismatch for key pk expected: S actual: {}"
    cancelled([("ValidationError", mismatch.format("N"))], write, put("Txn", {"pk": N(5)}))
    cancelled([("ValidationError", mismatch.format("L"))], write, put("Txn", {"pk": {"L": [S("x")]}}))
    # Reasons are positional: the valid action beside it reports None and is not written.
    cancelled([("None", None), ("ValidationError", mismatch.format("N"))],
              write, put("Txn", {"pk": S("tw-fine")}), put("Txn", {"pk": N(5)}))
    assert get("Txn", {"pk": S("tw-fine")}) is None
    # The first invalid action ends the checks: the actions after it, even an invalid one or a
    # false condition, report None (Alternator's test_transact_write_cancellation_reasons_validationerror).
    false_condition = put("Txn", {"pk": S("tw-absent")})
    false_condition["Put"]["ConditionExpression"] = "attribute_exists(pk)"
    cancelled([("ValidationError", mismatch.format("N")), ("None", None), ("None", None)],
              write, put("Txn", {"pk": N(7)}), put("Txn", {"pk": N(8)}), false_condition)


@check("TransactWriteItems: an index key of the wrong type cancels, from a Put or an Update")
def _():
    mismatch = "One or more parameter values were invalid: Type mismatch for Index Key ik Expected: S Actual: {} IndexName: byIk"
    cancelled([("ValidationError", mismatch.format("N"))], write, put("TxIdx", {"pk": S("i1"), "ik": N(5)}))
    cancelled([("ValidationError", mismatch.format("L"))], write, put("TxIdx", {"pk": S("i1"), "ik": {"L": [S("x")]}}))
    cancelled([("ValidationError", mismatch.format("N"))],
              write, update("TxIdx", {"pk": S("i2")}, "SET ik = :v", {":v": N(5)}))
    cancelled([("ValidationError", mismatch.format("L"))],
              write, update("TxIdx", {"pk": S("i2")}, "SET ik = :v", {":v": {"L": [S("x")]}}))
    assert get("TxIdx", {"pk": S("i1")}) is None and get("TxIdx", {"pk": S("i2")}) is None


@check("TransactWriteItems: a Key of the wrong type or shape cancels with the schema-mismatch reason")
def _():
    for bad in (N(5), {"L": [S("x")]}):
        for action in (update("Txn", {"pk": bad}, "SET a = :v", {":v": S("x")}),
                       delete("Txn", {"pk": bad}), condition_check("Txn", {"pk": bad})):
            cancelled([("ValidationError", SCHEMA)], write, action)


@check("TransactWriteItems: empty string or binary key values fail the whole request")
def _():
    rejected(EMPTY_KEY.format("string"), write, put("Txn", {"pk": S("")}))
    rejected(EMPTY_KEY.format("binary"), write, put("TxB", {"pk": EMPTY_B}))
    for name, empty, kind in (("Txn", S(""), "string"), ("TxB", EMPTY_B, "binary")):
        for action in (update(name, {"pk": empty}, "SET a = :v", {":v": S("x")}),
                       delete(name, {"pk": empty}), condition_check(name, {"pk": empty})):
            rejected(EMPTY_KEY.format(kind), write, action)


@check("TransactWriteItems: an empty index key fails the whole request, worded after what wrote it")
def _():
    rejected(PUT_EMPTY_INDEX_KEY.format("string", "byIk", "ik"), write, put("TxIdx", {"pk": S("e1"), "ik": S("")}))
    rejected(PUT_EMPTY_INDEX_KEY.format("binary", "gsib", "bidx"),
             write, put("TxBIdx", {"pk": S("e1"), "bidx": EMPTY_B}))
    rejected(UPDATE_EMPTY_INDEX_KEY.format("string"),
             write, update("TxIdx", {"pk": S("e2")}, "SET ik = :v", {":v": S("")}))
    rejected(UPDATE_EMPTY_INDEX_KEY.format("binary"),
             write, update("TxBIdx", {"pk": S("e2")}, "SET bidx = :v", {":v": EMPTY_B}))
    # Standalone UpdateItem words it the same way.
    rejected(UPDATE_EMPTY_INDEX_KEY.format("string"), client.update_item, TableName="TxIdx", Key={"pk": S("e3")},
             UpdateExpression="SET ik = :v", ExpressionAttributeValues={":v": S("")})
    assert get("TxIdx", {"pk": S("e3")}) is None


@check("TransactWriteItems: a request-level fault wins over another action's cancellation")
def _():
    rejected(EMPTY_KEY.format("string"), write, put("Txn", {"pk": N(5)}), put("Txn", {"pk": S("")}))


@check("TransactWriteItems: an action names exactly one of ConditionCheck, Put, Update and Delete")
def _():
    # A TransactWriteItem is a union. Two members fail the request; neither is run (moto's
    # test_transact_write_items_multiple_operations_fail gives the wording, the empty item's too).
    one_of = "TransactItems can only contain one of Check, Put, Update or Delete"
    both = dict(put("Txn", {"pk": S("two-kinds")}), **delete("Txn", {"pk": S("two-kinds")}))
    rejected(one_of, write, both)
    assert get("Txn", {"pk": S("two-kinds")}) is None
    rejected(one_of, write, {})


@check("TransactWriteItems: an oversized Put fails the request; an update that outgrows 400 KB cancels")
def _():
    big = S("x" * 409_600)
    code, msg, _ = error_of(write, put("Txn", {"pk": S("big-put"), "blob": big}))
    assert code == "ValidationException" and "size" in msg, (code, msg)
    # The update's size depends on the item it meets, so it is found only when the action runs.
    code, msg, resp = error_of(write, update("Txn", {"pk": S("big-upd")}, "SET payload = :v", {":v": big}))
    assert code == "TransactionCanceledException", (code, msg)
    reason = resp["CancellationReasons"][0]
    assert reason["Code"] == "ValidationError" and "size" in reason["Message"], reason
    assert get("Txn", {"pk": S("big-put")}) is None and get("Txn", {"pk": S("big-upd")}) is None


# ---- TransactGetItems ----------------------------------------------------------------------------------

def read(*gets):
    return client.transact_get_items(TransactItems=[{"Get": g} for g in gets])


@check("TransactGetItems: TransactItems must hold at least one action")
def _():
    rejected("1 validation error detected: Value '[]' at 'transactItems' failed to satisfy constraint: "
             "Member must have length greater than or equal to 1", client.transact_get_items, TransactItems=[])


@check("TransactGetItems: two reads of one item are rejected")
def _():
    rejected("Transaction request cannot include multiple operations on one item",
             read, {"TableName": "Txn", "Key": {"pk": S("g1")}}, {"TableName": "Txn", "Key": {"pk": S("g1")}})


@check("TransactGetItems: a Key that does not match the schema cancels with a ValidationError reason")
def _():
    client.put_item(TableName="Txn", Item={"pk": S("g2")})
    cancelled([("ValidationError", SCHEMA)], read, {"TableName": "Txn", "Key": {}})
    cancelled([("None", None), ("ValidationError", SCHEMA)],
              read, {"TableName": "Txn", "Key": {"pk": S("g2")}}, {"TableName": "Txn", "Key": {"pk": N(1)}})
    rejected(EMPTY_KEY.format("string"), read, {"TableName": "Txn", "Key": {"pk": S("")}})


@check("TransactGetItems: a projection matching nothing of a present item leaves Item out")
def _():
    for pk in ("g3", "g5"):
        client.put_item(TableName="Txn", Item={"pk": S(pk), "present": S("here")})
    r = read({"TableName": "Txn", "Key": {"pk": S("g3")}, "ProjectionExpression": "#x",
              "ExpressionAttributeNames": {"#x": "doesNotExist"}},
             {"TableName": "Txn", "Key": {"pk": S("g4")}},
             {"TableName": "Txn", "Key": {"pk": S("g5")}, "ProjectionExpression": "present"})
    assert r["Responses"] == [{}, {}, {"Item": {"present": S("here")}}], r["Responses"]


# ---- BatchWriteItem / BatchGetItem ---------------------------------------------------------------------

def batch_put(name, *items):
    return client.batch_write_item(RequestItems={name: [{"PutRequest": {"Item": i}} for i in items]})


@check("BatchWriteItem: RequestItems is required and holds 1-25 requests per table, 25 in all")
def _():
    rejected("The requestItems parameter is required for BatchWriteItem", client.batch_write_item, RequestItems={})
    code, msg, _ = error_of(batch_put, "Txn", *[{"pk": S(f"b{i}")} for i in range(26)])
    assert code == "ValidationException", code
    assert msg.startswith("1 validation error detected: Value '{Txn=[") and msg.endswith(
        "]}' at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: "
        "[Member must have length less than or equal to 25, Member must have length greater than or equal to 1]"), msg
    rejected("Too many items requested for the BatchWriteItem call", client.batch_write_item, RequestItems={
        name: [{"PutRequest": {"Item": {"pk": S(f"b{i}")}}} for i in range(13)] for name in ("Txn", "TxIdx")})
    assert get("Txn", {"pk": S("b0")}) is None


@check("BatchWriteItem: a put whose key has the wrong type or shape does not match the schema")
def _():
    rejected(SCHEMA, batch_put, "Txn", {"pk": N(5)})
    rejected(SCHEMA, batch_put, "Txn", {"pk": {"L": [S("x")]}})
    # A put without its key (recorded, LocalStack's test_batch_write_not_matching_schema).
    rejected(SCHEMA, batch_put, "Txn", {"nonKey": S("hello")})
    rejected("One or more parameter values were invalid: Type mismatch for Index Key ik Expected: S Actual: N "
             "IndexName: byIk", batch_put, "TxIdx", {"pk": S("bi"), "ik": N(5)})
    rejected(PUT_EMPTY_INDEX_KEY.format("binary", "gsib", "bidx"), batch_put, "TxBIdx", {"pk": S("bb"), "bidx": EMPTY_B})
    assert get("TxIdx", {"pk": S("bi")}) is None and get("TxBIdx", {"pk": S("bb")}) is None


@check("BatchGetItem: RequestItems is required, with BatchGetItem's own wording")
def _():
    rejected("The requestItems parameter is required for BatchGetItem", client.batch_get_item, RequestItems={})


@check("BatchGetItem: ProjectionExpression on one table and AttributesToGet on another are not mixed")
def _():
    rejected("Can not use both expression and non-expression parameters in the same request: "
             "Non-expression parameters: {AttributesToGet} Expression parameters: {ProjectionExpression}",
             client.batch_get_item, RequestItems={
                 "Txn": {"Keys": [{"pk": S("m")}], "ProjectionExpression": "pk"},
                 "TxIdx": {"Keys": [{"pk": S("m")}], "AttributesToGet": ["pk"]}})


@check("BatchGetItem: one call returns at most 16 MB; the keys past it come back in UnprocessedKeys")
def _():
    keys = [{"pk": S(f"big{i:02}")} for i in range(42)]
    for k in keys:  # 42 items of about 400 KB: just over 16 MB in all
        client.put_item(TableName="Txn", Item=dict(k, blob=S("x" * 400_000)))
    r = client.batch_get_item(RequestItems={"Txn": {"Keys": keys, "ConsistentRead": True}})
    got = r["Responses"].get("Txn", [])
    left = r["UnprocessedKeys"]["Txn"]
    assert got and left["Keys"], (len(got), left.get("Keys"))
    assert sum(len(i["blob"]["S"]) for i in got) <= 16 * 1024 * 1024
    assert left["ConsistentRead"] is True, left
    r = client.batch_get_item(RequestItems=r["UnprocessedKeys"])
    assert r["UnprocessedKeys"] == {}, r["UnprocessedKeys"]
    rest = r["Responses"]["Txn"]
    assert sorted(i["pk"]["S"] for i in got + rest) == [k["pk"]["S"] for k in keys]


print("all checks passed")
