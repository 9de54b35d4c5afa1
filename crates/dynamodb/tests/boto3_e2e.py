"""End-to-end checks of Sluice's DynamoDB with the real boto3 client and resource APIs.

Run by tests/tests.rs with ENDPOINT=http://127.0.0.1:<port>. Each check raises on failure; the
script prints one line per check and exits non-zero on the first failure.
"""

import os
import sys
import threading
from decimal import Decimal

import boto3
from boto3.dynamodb.conditions import Attr, Key
from botocore.config import Config
from botocore.exceptions import ClientError

from check_runner import check

ENDPOINT = os.environ["ENDPOINT"]
KW = dict(
    endpoint_url=ENDPOINT,
    region_name="us-east-1",
    aws_access_key_id="test",
    aws_secret_access_key="test",
    config=Config(retries={"max_attempts": 1}),
)
client = boto3.client("dynamodb", **KW)
ddb = boto3.resource("dynamodb", **KW)


def error_of(fn):
    try:
        fn()
    except ClientError as e:
        return e.response["Error"]["Code"], e.response["Error"]["Message"], e.response
    raise AssertionError("expected a ClientError")


@check("create/describe/list/delete tables")
def _():
    desc = client.create_table(
        TableName="Items",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )["TableDescription"]
    assert desc["TableStatus"] == "CREATING", desc  # AWS (recorded); DescribeTable says ACTIVE
    assert desc["BillingModeSummary"] == {"BillingMode": "PAY_PER_REQUEST"}, desc
    client.get_waiter("table_exists").wait(TableName="Items")
    t = client.describe_table(TableName="Items")["Table"]
    assert t["TableArn"] == "arn:aws:dynamodb:us-east-1:123456789012:table/Items", t
    assert t["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert t["ItemCount"] == 0
    code, msg, _ = error_of(lambda: client.create_table(
        TableName="Items",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST"))
    assert code == "ResourceInUseException", (code, msg)
    for i in range(5):
        client.create_table(
            TableName=f"tmp-{i}",
            KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "N"}],
            ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1},
        )
    names = []
    for page in client.get_paginator("list_tables").paginate(PaginationConfig={"PageSize": 2}):
        assert len(page["TableNames"]) <= 2
        names += page["TableNames"]
    assert names == sorted(names) and "Items" in names and len([n for n in names if n.startswith("tmp-")]) == 5, names
    for i in range(5):
        client.delete_table(TableName=f"tmp-{i}")
    code, msg, _ = error_of(lambda: client.describe_table(TableName="tmp-0"))
    assert code == "ResourceNotFoundException", code


table = ddb.Table("Items")


@check("put/get/delete with the resource API")
def _():
    item = {"id": "a1", "name": "Test", "price": Decimal("12.50"), "tags": {"x", "y"},
            "nested": {"list": [1, "two", None, True], "bin": b"\x00\x01"}}
    table.put_item(Item=item)
    got = table.get_item(Key={"id": "a1"})["Item"]
    assert got["price"] == Decimal("12.5") and got["tags"] == {"x", "y"}, got
    assert got["nested"]["list"] == [1, "two", None, True], got
    assert got["nested"]["bin"].value == b"\x00\x01"
    proj = table.get_item(Key={"id": "a1"}, ProjectionExpression="#n, nested.#l[1]",
                          ExpressionAttributeNames={"#n": "name", "#l": "list"})["Item"]
    assert proj == {"name": "Test", "nested": {"list": ["two"]}}, proj
    assert "Item" not in table.get_item(Key={"id": "nope"})
    old = table.delete_item(Key={"id": "a1"}, ReturnValues="ALL_OLD")["Attributes"]
    assert old["name"] == "Test"
    assert "Item" not in table.get_item(Key={"id": "a1"}, ConsistentRead=True)
    r = client.put_item(TableName="Items", Item={"id": {"S": "cap"}}, ReturnConsumedCapacity="TOTAL")
    assert r["ConsumedCapacity"]["CapacityUnits"] >= 1, r


@check("conditional writes")
def _():
    table.put_item(Item={"id": "c1", "v": 1})
    code, _, resp = error_of(lambda: table.put_item(
        Item={"id": "c1", "v": 2}, ConditionExpression="attribute_not_exists(id)",
        ReturnValuesOnConditionCheckFailure="ALL_OLD"))
    assert code == "ConditionalCheckFailedException", code
    assert resp["Item"]["v"] == {"N": "1"}, resp
    table.put_item(Item={"id": "c1", "v": 2}, ConditionExpression=Attr("v").eq(1))
    code, _, _ = error_of(lambda: table.delete_item(Key={"id": "c1"}, ConditionExpression=Attr("v").lt(2)))
    assert code == "ConditionalCheckFailedException"
    # Legacy Expected still works.
    client.put_item(TableName="Items", Item={"id": {"S": "c1"}, "v": {"N": "3"}},
                    Expected={"v": {"Value": {"N": "2"}}})
    assert table.get_item(Key={"id": "c1"})["Item"]["v"] == 3


@check("conditional put race: exactly one winner")
def _():
    wins, losses = [], []

    def worker(n):
        c = boto3.client("dynamodb", **KW)
        try:
            c.put_item(TableName="Items", Item={"id": {"S": "race"}, "w": {"N": str(n)}},
                       ConditionExpression="attribute_not_exists(id)")
            wins.append(n)
        except ClientError as e:
            assert e.response["Error"]["Code"] == "ConditionalCheckFailedException", e.response
            losses.append(n)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(wins) == 1 and len(losses) == 11, (wins, losses)
    assert table.get_item(Key={"id": "race"})["Item"]["w"] == wins[0]


@check("update expressions and ReturnValues")
def _():
    table.put_item(Item={"id": "u1", "count": 1, "l": [1], "s": {"a", "b"}, "s2": {"a", "b"}, "gone": "x", "m": {"k": "v"}})
    r = table.update_item(
        Key={"id": "u1"},
        UpdateExpression="SET #c = #c + :one, l = list_append(l, :more), fresh = if_not_exists(fresh, :zero), m.k2 = :v "
                         "REMOVE gone ADD s :add, tally :five DELETE s2 :del",
        ExpressionAttributeNames={"#c": "count"},
        ExpressionAttributeValues={":one": 1, ":more": [2, 3], ":zero": 0, ":v": "w", ":add": {"c"}, ":five": 5,
                                   ":del": {"a"}},
        ReturnValues="ALL_NEW",
    )["Attributes"]
    assert r["count"] == 2 and r["l"] == [1, 2, 3] and r["fresh"] == 0 and r["tally"] == 5, r
    assert r["s"] == {"a", "b", "c"} and r["s2"] == {"b"} and "gone" not in r and r["m"] == {"k": "v", "k2": "w"}, r
    r = table.update_item(Key={"id": "u1"}, UpdateExpression="SET #c = :ten",
                          ExpressionAttributeNames={"#c": "count"}, ExpressionAttributeValues={":ten": 10},
                          ReturnValues="UPDATED_OLD")["Attributes"]
    assert r == {"count": 2}, r
    r = table.update_item(Key={"id": "u-new"}, UpdateExpression="SET a = :a", ExpressionAttributeValues={":a": "x"},
                          ReturnValues="ALL_NEW")["Attributes"]
    assert r == {"id": "u-new", "a": "x"}, r
    code, msg, _ = error_of(lambda: table.update_item(Key={"id": "u1"}, UpdateExpression="SET id = :a",
                                                      ExpressionAttributeValues={":a": "x"}))
    assert code == "ValidationException" and "part of the key" in msg, msg


@check("scan pagination, filters, count, segments and the 1 MB page")
def _():
    client.create_table(
        TableName="Big",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "N"}],
        BillingMode="PAY_PER_REQUEST",
    )
    big = ddb.Table("Big")
    blob = "x" * 100_000
    with big.batch_writer() as w:
        for i in range(30):
            w.put_item(Item={"pk": i, "blob": blob, "even": i % 2 == 0})
    pages = list(client.get_paginator("scan").paginate(TableName="Big", ProjectionExpression="pk"))
    assert len(pages) >= 3, len(pages)  # 3 MB of data cannot come back in one 1 MB page
    keys = sorted(int(i["pk"]["N"]) for p in pages for i in p["Items"])
    assert keys == list(range(30)), keys
    seen, start = [], None
    while True:
        kw = {"Limit": 7, "ProjectionExpression": "pk"}
        if start:
            kw["ExclusiveStartKey"] = start
        r = big.scan(**kw)
        assert len(r["Items"]) <= 7
        seen += [i["pk"] for i in r["Items"]]
        start = r.get("LastEvaluatedKey")
        if not start:
            break
    assert sorted(seen) == list(range(30)), seen
    r = big.scan(FilterExpression=Attr("even").eq(True), Select="COUNT")
    assert r["Count"] == 15 and "Items" not in r and r["ScannedCount"] == 30 or r.get("LastEvaluatedKey"), r
    total = 0
    for seg in range(3):
        for p in client.get_paginator("scan").paginate(TableName="Big", Segment=seg, TotalSegments=3,
                                                      ProjectionExpression="pk"):
            total += len(p["Items"])
    assert total == 30, total


@check("query order, key conditions and indexes")
def _():
    client.create_table(
        TableName="Events",
        KeySchema=[{"AttributeName": "user", "KeyType": "HASH"}, {"AttributeName": "ts", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "user", "AttributeType": "S"},
                              {"AttributeName": "ts", "AttributeType": "N"},
                              {"AttributeName": "kind", "AttributeType": "S"}],
        GlobalSecondaryIndexes=[{"IndexName": "by-kind",
                                 "KeySchema": [{"AttributeName": "kind", "KeyType": "HASH"},
                                               {"AttributeName": "ts", "KeyType": "RANGE"}],
                                 "Projection": {"ProjectionType": "ALL"}}],
        BillingMode="PAY_PER_REQUEST",
    )
    ev = ddb.Table("Events")
    stamps = [Decimal(x) for x in ["10", "-5", "2.5", "100", "-0.25", "0", "99.99", "1e3"]]
    for i, ts in enumerate(stamps):
        ev.put_item(Item={"user": "u", "ts": ts, "kind": "click" if i % 2 else "view"})
    ev.put_item(Item={"user": "other", "ts": 1, "kind": "click"})
    got = [i["ts"] for i in ev.query(KeyConditionExpression=Key("user").eq("u"))["Items"]]
    assert got == sorted(stamps), got
    got = [i["ts"] for i in ev.query(KeyConditionExpression=Key("user").eq("u"), ScanIndexForward=False)["Items"]]
    assert got == sorted(stamps, reverse=True), got
    got = [i["ts"] for i in ev.query(KeyConditionExpression=Key("user").eq("u") & Key("ts").between(0, 100))["Items"]]
    assert got == [0, Decimal("2.5"), 10, Decimal("99.99"), 100], got
    got = [i["ts"] for i in ev.query(KeyConditionExpression=Key("user").eq("u") & Key("ts").gt(10))["Items"]]
    assert got == [Decimal("99.99"), 100, 1000], got
    r = ev.query(KeyConditionExpression=Key("user").eq("u"), Limit=3)
    assert len(r["Items"]) == 3 and r["LastEvaluatedKey"] == {"user": "u", "ts": sorted(stamps)[2]}, r
    r2 = ev.query(KeyConditionExpression=Key("user").eq("u"), ExclusiveStartKey=r["LastEvaluatedKey"])
    assert [i["ts"] for i in r2["Items"]] == sorted(stamps)[3:]
    got = [(i["user"], i["ts"]) for i in ev.query(IndexName="by-kind", KeyConditionExpression=Key("kind").eq("click"))["Items"]]
    assert got == [("u", Decimal("-5")), ("u", 0), ("other", 1), ("u", 100), ("u", 1000)], got
    r = ev.query(KeyConditionExpression=Key("user").eq("u"), FilterExpression=Attr("kind").eq("view"), Select="COUNT")
    assert r["Count"] == 4 and r["ScannedCount"] == 8, r
    client.create_table(
        TableName="Strs",
        KeySchema=[{"AttributeName": "p", "KeyType": "HASH"}, {"AttributeName": "s", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "p", "AttributeType": "S"}, {"AttributeName": "s", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    st = ddb.Table("Strs")
    words = ["b", "a", "B", "ab", "é", "z", "aa"]
    for w in words:
        st.put_item(Item={"p": "p", "s": w})
    got = [i["s"] for i in st.query(KeyConditionExpression=Key("p").eq("p"))["Items"]]
    assert got == sorted(words, key=lambda w: w.encode()), got
    got = [i["s"] for i in st.query(KeyConditionExpression=Key("p").eq("p") & Key("s").begins_with("a"))["Items"]]
    assert got == ["a", "aa", "ab"], got


@check("batch write/get and their limits")
def _():
    client.batch_write_item(RequestItems={"Items": [{"PutRequest": {"Item": {"id": {"S": f"b{i}"}}}} for i in range(25)]})
    r = client.batch_get_item(RequestItems={"Items": {"Keys": [{"id": {"S": f"b{i}"}} for i in range(30)]}})
    assert len(r["Responses"]["Items"]) == 25 and r["UnprocessedKeys"] == {}, r
    code, _, _ = error_of(lambda: client.batch_write_item(
        RequestItems={"Items": [{"PutRequest": {"Item": {"id": {"S": f"x{i}"}}}} for i in range(26)]}))
    assert code == "ValidationException", code
    code, msg, _ = error_of(lambda: client.batch_write_item(
        RequestItems={"Items": [{"PutRequest": {"Item": {"id": {"S": "dup"}}}}, {"DeleteRequest": {"Key": {"id": {"S": "dup"}}}}]}))
    assert code == "ValidationException" and "duplicates" in msg, msg
    client.batch_write_item(RequestItems={"Items": [{"DeleteRequest": {"Key": {"id": {"S": f"b{i}"}}}} for i in range(25)]})
    r = client.batch_get_item(RequestItems={"Items": {"Keys": [{"id": {"S": "b1"}}]}})
    assert r["Responses"]["Items"] == []


@check("transactions: all or nothing, cancellation reasons")
def _():
    client.transact_write_items(TransactItems=[
        {"Put": {"TableName": "Items", "Item": {"id": {"S": "t1"}, "n": {"N": "1"}}}},
        {"Put": {"TableName": "Items", "Item": {"id": {"S": "t2"}, "n": {"N": "1"}}}},
    ])
    try:
        client.transact_write_items(TransactItems=[
            {"Update": {"TableName": "Items", "Key": {"id": {"S": "t1"}}, "UpdateExpression": "SET n = n + :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}}}},
            {"ConditionCheck": {"TableName": "Items", "Key": {"id": {"S": "t2"}},
                                "ConditionExpression": "n = :two", "ExpressionAttributeValues": {":two": {"N": "2"}}}},
        ])
        raise AssertionError("transaction should have been cancelled")
    except client.exceptions.TransactionCanceledException as e:
        codes = [r["Code"] for r in e.response["CancellationReasons"]]
        assert codes == ["None", "ConditionalCheckFailed"], e.response
    assert table.get_item(Key={"id": "t1"})["Item"]["n"] == 1, "cancelled transaction must not write"
    client.transact_write_items(TransactItems=[
        {"Update": {"TableName": "Items", "Key": {"id": {"S": "t1"}}, "UpdateExpression": "SET n = n + :one",
                    "ExpressionAttributeValues": {":one": {"N": "1"}}}},
        {"Delete": {"TableName": "Items", "Key": {"id": {"S": "t2"}}}},
    ])
    r = client.transact_get_items(TransactItems=[{"Get": {"TableName": "Items", "Key": {"id": {"S": "t1"}}}},
                                                 {"Get": {"TableName": "Items", "Key": {"id": {"S": "t2"}}}}])
    assert r["Responses"][0]["Item"]["n"] == {"N": "2"} and r["Responses"][1] == {}, r


@check("validation errors with DynamoDB's messages")
def _():
    code, msg, _ = error_of(lambda: table.put_item(Item={"id": ""}))
    assert code == "ValidationException" and msg == (
        "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an "
        "empty string value. Key: id"), msg
    code, msg, _ = error_of(lambda: client.put_item(TableName="Items", Item={"id": {"S": "n"}, "x": {"N": "1" * 39}}))
    assert code == "ValidationException" and "38 significant digits" in msg, msg
    code, msg, _ = error_of(lambda: client.put_item(TableName="Items", Item={"id": {"S": "n"}, "x": {"N": "1e126"}}))
    assert "Number overflow" in msg, msg
    code, msg, _ = error_of(lambda: table.put_item(Item={"id": "big", "blob": "x" * 410_000}))
    assert code == "ValidationException" and "Item size has exceeded" in msg, msg
    code, msg, _ = error_of(lambda: table.scan(FilterExpression="status = :s", ExpressionAttributeValues={":s": "x"}))
    assert "reserved keyword" in msg, msg
    code, msg, _ = error_of(lambda: table.scan(FilterExpression="a = :s", ExpressionAttributeValues={":s": "x", ":t": "y"}))
    assert "unused in expressions: keys: {:t}" in msg, msg
    code, msg, _ = error_of(lambda: table.scan(FilterExpression="(" * 10000 + "a = :s" + ")" * 10000,
                                               ExpressionAttributeValues={":s": "x"}))
    assert code == "ValidationException", (code, msg)
    code, msg, _ = error_of(lambda: table.get_item(Key={"nope": "x"}))
    assert msg == "The provided key element does not match the schema", msg
    code, msg, _ = error_of(lambda: client.get_item(TableName="Missing", Key={"id": {"S": "x"}}))
    assert code == "ResourceNotFoundException", code


@check("table metadata: item count, tags, ttl")
def _():
    t = client.describe_table(TableName="Items")["Table"]
    assert t["ItemCount"] > 0 and t["TableSizeBytes"] > 0, t
    arn = t["TableArn"]
    client.tag_resource(ResourceArn=arn, Tags=[{"Key": "env", "Value": "dev"}])
    assert client.list_tags_of_resource(ResourceArn=arn)["Tags"] == [{"Key": "env", "Value": "dev"}]
    client.untag_resource(ResourceArn=arn, TagKeys=["env"])
    assert client.list_tags_of_resource(ResourceArn=arn)["Tags"] == []
    client.update_time_to_live(TableName="Items", TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"})
    d = client.describe_time_to_live(TableName="Items")["TimeToLiveDescription"]
    assert d == {"TimeToLiveStatus": "ENABLED", "AttributeName": "exp"}, d


@check("a table's ARN serves wherever its name does; batch answers name the table as the request did")
def _():
    arn = client.describe_table(TableName="Items")["Table"]["TableArn"]
    assert client.describe_table(TableName=arn)["Table"]["TableName"] == "Items"
    key = {"id": {"S": "arn-1"}}
    client.put_item(TableName=arn, Item=dict(key, v={"N": "1"}))
    client.update_item(TableName=arn, Key=key, UpdateExpression="SET w = :w",
                       ExpressionAttributeValues={":w": {"S": "x"}})
    assert client.get_item(TableName=arn, Key=key)["Item"] == dict(key, v={"N": "1"}, w={"S": "x"})
    assert client.query(TableName=arn, KeyConditionExpression="id = :k",
                        ExpressionAttributeValues={":k": key["id"]})["Count"] == 1
    assert any(i["id"] == key["id"] for i in client.scan(TableName=arn)["Items"])
    client.transact_write_items(TransactItems=[{"Update": {
        "TableName": arn, "Key": key, "UpdateExpression": "SET t = :t",
        "ExpressionAttributeValues": {":t": {"BOOL": True}}}}])
    got = client.transact_get_items(TransactItems=[{"Get": {"TableName": arn, "Key": key}}])
    assert got["Responses"][0]["Item"]["t"] == {"BOOL": True}, got
    r = client.batch_write_item(RequestItems={arn: [{"PutRequest": {"Item": {"id": {"S": "arn-2"}}}}]})
    assert r["UnprocessedItems"] == {}, r
    r = client.batch_get_item(RequestItems={arn: {"Keys": [{"id": {"S": "arn-2"}}]}})
    assert r["Responses"] == {arn: [{"id": {"S": "arn-2"}}]}, r
    client.delete_item(TableName=arn, Key=key)
    assert "Item" not in client.get_item(TableName="Items", Key=key)
    # Another account's table is refused by IAM; another region's is not here.
    other = arn.replace(":123456789012:", ":210987654321:")
    code, msg, _ = error_of(lambda: client.get_item(TableName=other, Key=key))
    assert code == "AccessDeniedException" and "dynamodb:GetItem on resource: " + other in msg, (code, msg)
    code, _, _ = error_of(lambda: client.get_item(TableName=arn.replace("us-east-1", "eu-west-1"), Key=key))
    assert code == "ResourceNotFoundException", code


@check("legacy parameters: AttributesToGet, ScanFilter, KeyConditions, QueryFilter, AttributeUpdates")
def _():
    client.put_item(TableName="Items", Item={"id": {"S": "L1"}, "a": {"N": "1"}, "b": {"S": "x"}, "c": {"S": "y"}})
    r = client.get_item(TableName="Items", Key={"id": {"S": "L1"}}, AttributesToGet=["a", "b"])
    assert r["Item"] == {"a": {"N": "1"}, "b": {"S": "x"}}, r
    r = client.scan(TableName="Items", ScanFilter={"b": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "x"}]}})
    assert [i["id"]["S"] for i in r["Items"]] == ["L1"], r
    client.update_item(TableName="Items", Key={"id": {"S": "L1"}},
                       AttributeUpdates={"a": {"Action": "ADD", "Value": {"N": "2"}}, "c": {"Action": "DELETE"},
                                         "d": {"Action": "PUT", "Value": {"BOOL": True}}})
    item = client.get_item(TableName="Items", Key={"id": {"S": "L1"}})["Item"]
    assert item == {"id": {"S": "L1"}, "a": {"N": "3"}, "b": {"S": "x"}, "d": {"BOOL": True}}, item
    r = client.query(TableName="Events",
                     KeyConditions={"user": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "u"}]},
                                    "ts": {"ComparisonOperator": "LT", "AttributeValueList": [{"N": "0"}]}},
                     QueryFilter={"kind": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "click"}]}})
    assert [i["ts"]["N"] for i in r["Items"]] == ["-5"], r
    code, msg, _ = error_of(lambda: client.get_item(TableName="Items", Key={"id": {"S": "L1"}}, AttributesToGet=["a"],
                                                    ProjectionExpression="a"))
    assert code == "ValidationException" and "Can not use both expression and non-expression parameters" in msg, msg


@check("binary sort keys, consumed capacity")
def _():
    client.create_table(
        TableName="Bins",
        KeySchema=[{"AttributeName": "p", "KeyType": "HASH"}, {"AttributeName": "b", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "p", "AttributeType": "S"}, {"AttributeName": "b", "AttributeType": "B"}],
        BillingMode="PAY_PER_REQUEST",
    )
    blobs = [b"\xff", b"\x00", b"\x00\x01", b"\x7f", b"\x80", b"a"]
    for b in blobs:
        client.put_item(TableName="Bins", Item={"p": {"S": "p"}, "b": {"B": b}})
    r = client.query(TableName="Bins", KeyConditionExpression="p = :p", ExpressionAttributeValues={":p": {"S": "p"}},
                     ReturnConsumedCapacity="INDEXES")
    assert [i["b"]["B"] for i in r["Items"]] == sorted(blobs), r["Items"]
    cc = r["ConsumedCapacity"]
    assert cc["TableName"] == "Bins" and cc["CapacityUnits"] > 0 and cc["Table"]["CapacityUnits"] > 0, cc


print("all checks passed")
sys.exit(0)
