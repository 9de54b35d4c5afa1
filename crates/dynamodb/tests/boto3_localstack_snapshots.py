"""LocalStack's answers recorded from real DynamoDB, replayed: each check sends the requests of one
AWS-validated test in LocalStack's tests/aws/services/dynamodb/test_dynamodb.py and compares the
answers with what its test_dynamodb.snapshot.json recorded (recorded 2023-08 to 2024-12). The check
is named after the test. ResponseMetadata, generated names, times, sequence numbers and event ids
are left out, as LocalStack's transformers leave them out.

Run by tests/tests.rs with ENDPOINT=http://127.0.0.1:<port>; prints one line per check and exits non-zero
on the first failure.
"""

import os

import boto3
from botocore.config import Config

from check_runner import N, S, check, dynamodb_client, error_of

client = dynamodb_client()
streams = boto3.client(
    "dynamodbstreams",
    endpoint_url=os.environ["ENDPOINT"],
    region_name="us-east-1",
    aws_access_key_id="test",
    aws_secret_access_key="test",
    config=Config(retries={"max_attempts": 1}),
)
THROUGHPUT = {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
NEW_AND_OLD = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}


def body(response):
    """The answer without boto3's ResponseMetadata, as the snapshots keep it."""
    return {k: v for k, v in response.items() if k != "ResponseMetadata"}


def table(name, key="id", **extra):
    """A table with a string hash key, provisioned 5/5 as LocalStack's fixtures create it."""
    return client.create_table(TableName=name, KeySchema=[{"AttributeName": key, "KeyType": "HASH"}],
                               AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"}],
                               ProvisionedThroughput=THROUGHPUT, **extra)


def stream_records(stream_arn):
    """Every record of the stream's one shard, read from its start, reduced to what the snapshots
    compare."""
    shard = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"][0]
    iterator = streams.get_shard_iterator(
        StreamArn=stream_arn, ShardId=shard["ShardId"], ShardIteratorType="AT_SEQUENCE_NUMBER",
        SequenceNumber=shard["SequenceNumberRange"]["StartingSequenceNumber"])["ShardIterator"]
    out = []
    for r in streams.get_records(ShardIterator=iterator)["Records"]:
        assert (r["eventSource"], r["eventVersion"], r["awsRegion"]) == ("aws:dynamodb", "1.1", "us-east-1"), r
        d = r["dynamodb"]
        assert {"ApproximateCreationDateTime", "SequenceNumber"} <= d.keys(), d
        out.append((r["eventName"], d["Keys"], d.get("NewImage"), d.get("OldImage"), d["SizeBytes"],
                    d["StreamViewType"]))
    return out


@check("test_return_values_in_put_item")
def _():
    table("LsPutRv")
    item1 = {"id": S("id1"), "data": S("foobar")}
    assert body(client.put_item(TableName="LsPutRv", Item=item1, ReturnValues="ALL_OLD")) == {}
    assert body(client.put_item(TableName="LsPutRv", Item=item1, ReturnValues="ALL_OLD")) == {"Attributes": item1}
    item1b = {"id": S("id1"), "data": S("barfoo")}
    assert body(client.put_item(TableName="LsPutRv", Item=item1b, ReturnValues="ALL_OLD")) == {"Attributes": item1}
    assert body(client.put_item(TableName="LsPutRv", Item=item1)) == {}


@check("test_valid_local_secondary_index")
def _():
    client.create_table(
        TableName="LsLsi", ProvisionedThroughput=THROUGHPUT,
        KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": t} for n, t in
                              (("PK", "S"), ("SK", "S"), ("LSI1SK", "N"))],
        LocalSecondaryIndexes=[{"IndexName": "LSI1", "Projection": {"ProjectionType": "ALL"}, "KeySchema": [
            {"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "LSI1SK", "KeyType": "RANGE"}]}])
    item = {"SK": S("hello"), "LSI1SK": N(123), "PK": S("test one")}
    client.put_item(TableName="LsLsi", Item=item)
    got = client.query(TableName="LsLsi", IndexName="LSI1", KeyConditionExpression="PK = :v1",
                       ExpressionAttributeValues={":v1": S("test one")}, Select="ALL_ATTRIBUTES")
    assert body(got) == {"Count": 1, "Items": [item], "ScannedCount": 1}, got


@check("test_batch_write_binary, test_empty_and_binary_values")
def _():
    client.create_table(TableName="LsBin", BillingMode="PAY_PER_REQUEST",
                        KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}],
                        AttributeDefinitions=[{"AttributeName": "PK", "AttributeType": "S"},
                                              {"AttributeName": "SK", "AttributeType": "S"}])
    client.put_item(TableName="LsBin", Item={"PK": S("hello"), "SK": S("user"), "data": {"B": b"test"}})
    got = client.batch_write_item(RequestItems={"LsBin": [
        {"PutRequest": {"Item": {"PK": S("hello-1"), "SK": S("user-1"), "data": {"B": b"test-1"}}}},
        {"PutRequest": {"Item": {"PK": S("hello-2"), "SK": S("user-2"), "data": {"B": b"test \xc0 \xed"}}}}]})
    assert body(got) == {"UnprocessedItems": {}}, got
    # An empty string outside the key, and a byte that is not UTF-8.
    assert body(client.put_item(TableName="LsBin", Item={"PK": S("id1"), "SK": S("s"), "data": S("")})) == {}
    assert body(client.put_item(TableName="LsBin", Item={"PK": S("id2"), "SK": S("s"), "data": {"B": b"\x90"}})) == {}


@check("test_dynamodb_batch_execute_statement, test_dynamodb_partiql_missing")
def _():
    table("LsPartiql", key="Username")
    client.put_item(TableName="LsPartiql", Item={"Username": S("user02")})
    got = client.batch_execute_statement(Statements=[
        {"Statement": "INSERT INTO LsPartiql VALUE {'Username': 'user01'}"},
        {"Statement": "UPDATE LsPartiql SET Age=20 WHERE Username='user02'"}])
    assert body(got) == {"Responses": [{"TableName": "LsPartiql"}, {"TableName": "LsPartiql"}]}, got
    assert client.get_item(TableName="LsPartiql", Key={"Username": S("user02")})["Item"] == {
        "Age": N(20), "Username": S("user02")}
    client.execute_statement(Statement="INSERT INTO LsPartiql VALUE {'Username': 'Alice123', 'FirstName':'Alice'}")
    got = client.execute_statement(Statement="SELECT * FROM LsPartiql WHERE FirstName IS NOT MISSING")["Items"]
    assert got == [{"FirstName": S("Alice"), "Username": S("Alice123")}], got
    assert client.execute_statement(Statement="SELECT * FROM LsPartiql WHERE FirstName IS MISSING AND "
                                              "Username = 'Alice123'")["Items"] == []


@check("test_transaction_write_items, test_transaction_write_binary_data, test_transact_get_items")
def _():
    table("LsTxn")
    got = client.transact_write_items(TransactItems=[
        {"ConditionCheck": {"TableName": "LsTxn", "ConditionExpression": "attribute_not_exists(id)",
                            "Key": {"id": S("test1")}}},
        {"Put": {"TableName": "LsTxn", "Item": {"id": S("test2")}}},
        {"Update": {"TableName": "LsTxn", "Key": {"id": S("test3")}, "UpdateExpression": "SET attr1 = :v1, attr2 = :v2",
                    "ExpressionAttributeValues": {":v1": S("value1"), ":v2": S("value2")}}},
        {"Delete": {"TableName": "LsTxn", "Key": {"id": S("test4")}}}])
    assert body(got) == {}, got
    item = {"id": S("someUser"), "binaryData": {"B": b"foobar"}}
    assert body(client.transact_write_items(TransactItems=[{"Put": {"TableName": "LsTxn", "Item": item}}])) == {}
    assert client.get_item(TableName="LsTxn", Key={"id": S("someUser")})["Item"] == item
    client.put_item(TableName="LsTxn", Item={"id": S("John")})
    got = client.transact_get_items(TransactItems=[{"Get": {"Key": {"id": S("John")}, "TableName": "LsTxn"}}])
    assert body(got) == {"Responses": [{"Item": {"id": S("John")}}]}, got


@check("test_transaction_write_canceled: the reasons in order, the text under Message as AWS sends it")
def _():
    table("LsTxnCancel", key="Username")
    client.put_item(TableName="LsTxnCancel", Item={"Username": S("Fred")})
    code, msg, resp = error_of(client.transact_write_items, TransactItems=[
        {"ConditionCheck": {"TableName": "LsTxnCancel", "ConditionExpression": "attribute_not_exists(Username)",
                            "Key": {"Username": S("Fred")}}},
        {"Delete": {"TableName": "LsTxnCancel", "Key": {"Username": S("Bert")}}}])
    text = "Transaction cancelled, please refer cancellation reasons for specific reasons [ConditionalCheckFailed, None]"
    assert (code, msg) == ("TransactionCanceledException", text), (code, msg)
    assert resp["CancellationReasons"] == [
        {"Code": "ConditionalCheckFailed", "Message": "The conditional request failed"}, {"Code": "None"}], resp
    # AWS's body carries the text as `Message` (botocore's model, and raw bodies quoted in
    # PynamoDB#872 and aws-sdk-net#1292); boto3 copies that member into the response.
    assert resp.get("Message") == text and "message" not in resp, resp


@check("test_batch_write_items, test_dynamodb_get_batch_items")
def _():
    table("LsBatch")
    client.put_item(TableName="LsBatch", Item={"id": S("Fred")})
    got = client.batch_write_item(RequestItems={"LsBatch": [
        {"DeleteRequest": {"Key": {"id": S("Fred")}}}, {"PutRequest": {"Item": {"id": S("Bob")}}}]})
    assert body(got) == {"UnprocessedItems": {}}, got
    got = client.batch_get_item(RequestItems={"LsBatch": {"Keys": [{"id": S("test-key")}]}})
    assert body(got) == {"Responses": {"LsBatch": []}, "UnprocessedKeys": {}}, got


@check("test_batch_write_not_existing_table")
def _():
    code, msg, resp = error_of(client.transact_write_items,
                               TransactItems=[{"Put": {"TableName": "non-existing-table", "Item": {}}}])
    assert (code, msg) == ("ResourceNotFoundException", "Requested resource not found"), (code, msg)
    assert resp["message"] == "Requested resource not found", resp


@check("test_return_values_on_conditions_check_failure: the old item, and the text under Message")
def _():
    table("LsRvoccf")
    item = {"id": S("456"), "price": N(650), "product": S("sporting goods")}
    client.put_item(TableName="LsRvoccf", Item=item)
    code, msg, resp = error_of(client.delete_item, TableName="LsRvoccf", Key={"id": S("456")},
                               ConditionExpression="price between :lo and :hi",
                               ExpressionAttributeValues={":lo": N(500), ":hi": N(600)},
                               ReturnValuesOnConditionCheckFailure="ALL_OLD")
    assert (code, msg) == ("ConditionalCheckFailedException", "The conditional request failed"), (code, msg)
    # Recorded: `Item` and `Error`, no top-level `message`: AWS spells the member `Message` when the
    # old item comes back (moto, verified against AWS, does the same).
    assert body(resp).keys() == {"Error", "Item"} and resp["Item"] == item, resp
    # Without an item to return the member stays `message`, as for DynamoDB's other errors.
    code, _, resp = error_of(client.delete_item, TableName="LsRvoccf", Key={"id": S("456")},
                             ConditionExpression="attribute_not_exists(id)")
    assert code == "ConditionalCheckFailedException" and resp["message"] == "The conditional request failed", resp


@check("test_batch_write_items_streaming: a put that changes nothing writes no record")
def _():
    arn = table("LsBatchStream", StreamSpecification=NEW_AND_OLD)["TableDescription"]["LatestStreamArn"]
    client.put_item(TableName="LsBatchStream", Item={"id": S("Fred")})
    client.batch_write_item(RequestItems={"LsBatchStream": [
        {"PutRequest": {"Item": {"id": S("Fred")}}}, {"PutRequest": {"Item": {"id": S("NewKey")}}}]})
    client.batch_write_item(RequestItems={"LsBatchStream": [
        {"DeleteRequest": {"Key": {"id": S("NewKey")}}},
        {"PutRequest": {"Item": {"id": S("Fred"), "name": S("Fred")}}}]})
    fred, new, fred_named = {"id": S("Fred")}, {"id": S("NewKey")}, {"id": S("Fred"), "name": S("Fred")}
    got = stream_records(arn)
    assert got == [("INSERT", fred, fred, None, 12, "NEW_AND_OLD_IMAGES"),
                   ("INSERT", new, new, None, 16, "NEW_AND_OLD_IMAGES"),
                   ("REMOVE", new, None, new, 16, "NEW_AND_OLD_IMAGES"),
                   ("MODIFY", fred, fred_named, fred, 26, "NEW_AND_OLD_IMAGES")], got


@check("test_transact_write_items_streaming, test_dynamodb_stream_records_with_update_item")
def _():
    arn = table("LsTxnStream", StreamSpecification=NEW_AND_OLD)["TableDescription"]["LatestStreamArn"]
    client.put_item(TableName="LsTxnStream", Item={"id": S("Fred")})

    def write(*actions):
        client.transact_write_items(TransactItems=[{kind: dict(a, TableName="LsTxnStream")} for kind, a in actions])

    write(("Put", {"Item": {"id": S("Fred")}}), ("Put", {"Item": {"id": S("NewKey")}}))
    write(("Update", {"Key": {"id": S("NewKey")}, "UpdateExpression": "SET attr1 = :v1, attr2 = :v2",
                      "ExpressionAttributeValues": {":v1": S("value1"), ":v2": S("value2")}}))
    write(("Update", {"Key": {"id": S("NonExistentKey")}, "UpdateExpression": "SET attr1 = :v1",
                      "ExpressionAttributeValues": {":v1": S("value1")}}))
    write(("Delete", {"Key": {"id": S("NewKey")}}), ("Put", {"Item": {"id": S("Fred"), "name": S("Fred")}}))
    new, fred = {"id": S("NewKey")}, {"id": S("Fred")}
    new_attrs = {"id": S("NewKey"), "attr1": S("value1"), "attr2": S("value2")}
    other = {"id": S("NonExistentKey")}
    got = [r[:5] for r in stream_records(arn)]
    assert got == [("INSERT", fred, fred, None, 12), ("INSERT", new, new, None, 16),
                   ("MODIFY", new, new_attrs, new, 46), ("INSERT", other, dict(other, attr1=S("value1")), None, 43),
                   ("REMOVE", new, None, new_attrs, 38),
                   ("MODIFY", fred, {"id": S("Fred"), "name": S("Fred")}, fred, 26)], got


@check("test_dynamodb_stream_stream_view_type: KEYS_ONLY records from the item API and PartiQL")
def _():
    arn = table("LsKeysOnly", key="Username", StreamSpecification={
        "StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})["TableDescription"]["LatestStreamArn"]
    client.put_item(TableName="LsKeysOnly", Item={"Username": S("Fred")})
    client.update_item(TableName="LsKeysOnly", Key={"Username": S("Fred")}, UpdateExpression="set S=:r",
                       ExpressionAttributeValues={":r": S("Fred_Modified")}, ReturnValues="UPDATED_NEW")
    client.delete_item(TableName="LsKeysOnly", Key={"Username": S("Fred")})
    client.execute_statement(Statement="INSERT INTO LsKeysOnly VALUE {'Username': 'Alice'}")
    client.execute_statement(Statement="UPDATE LsKeysOnly SET partiql=1 WHERE Username='Alice'")
    client.execute_statement(Statement="DELETE FROM LsKeysOnly WHERE Username='Alice'")
    fred, alice = {"Username": S("Fred")}, {"Username": S("Alice")}
    got = stream_records(arn)
    assert got == [(event, key, None, None, size, "KEYS_ONLY")
                   for key, size in ((fred, 12), (alice, 13)) for event in ("INSERT", "MODIFY", "REMOVE")], got


@check("test_data_encoding_consistency: a binary value reads back the same from the item and the stream")
def _():
    arn = table("LsEncoding", StreamSpecification=NEW_AND_OLD)["TableDescription"]["LatestStreamArn"]
    item = {"id": S("id1"), "version": N(1), "data": {"B": b"\x90"}}
    client.put_item(TableName="LsEncoding", Item=item)
    assert client.get_item(TableName="LsEncoding", Key={"id": S("id1")})["Item"] == item
    client.update_item(TableName="LsEncoding", Key={"id": S("id1")}, UpdateExpression="SET version=:v",
                       ExpressionAttributeValues={":v": N(2)})
    updated = dict(item, version=N(2))
    assert client.get_item(TableName="LsEncoding", Key={"id": S("id1")})["Item"] == updated
    assert [r[2] for r in stream_records(arn)] == [item, updated]


print("all checks passed")
