"""Item sizes, consumed capacity and expressions as DynamoDB answers them: one documented (or recorded)
rule per check.

Run by tests/tests.rs with ENDPOINT=http://127.0.0.1:<port>; prints one line per check and exits non-zero
on the first failure.
"""

import os

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from check_runner import check

ENDPOINT = os.environ["ENDPOINT"]
client = boto3.client(
    "dynamodb",
    endpoint_url=ENDPOINT,
    region_name="us-east-1",
    aws_access_key_id="test",
    aws_secret_access_key="test",
    config=Config(retries={"max_attempts": 1}, parameter_validation=False),
)


def error_of(call, **kw):
    """Calls `call(**kw)`, which must fail, and returns (code, message)."""
    try:
        call(**kw)
    except ClientError as e:
        return e.response["Error"]["Code"], e.response["Error"]["Message"]
    raise AssertionError("expected an error")


S = lambda v: {"S": v}  # noqa: E731
N = lambda v: {"N": str(v)}  # noqa: E731

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


print("all checks passed")
