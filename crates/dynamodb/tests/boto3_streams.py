"""End-to-end checks of Sluice's DynamoDB Streams with boto3's `dynamodbstreams` client.

Run with ENDPOINT=http://127.0.0.1:<port>. The streams client is built with no endpoint_url: it finds
Sluice through AWS_ENDPOINT_URL, as handlers in Sluice's sandboxes do. Each check raises on failure;
the script prints one line per check and exits non-zero on the first failure.
"""

import datetime
import os
import sys

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from check_runner import check

ENDPOINT = os.environ["ENDPOINT"]
os.environ["AWS_ENDPOINT_URL"] = ENDPOINT
os.environ.pop("AWS_ENDPOINT_URL_DYNAMODB", None)
os.environ.pop("AWS_ENDPOINT_URL_DYNAMODB_STREAMS", None)
CREDS = dict(region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test",
             config=Config(retries={"max_attempts": 1}))
client = boto3.client("dynamodb", **CREDS)
streams = boto3.client("dynamodbstreams", **CREDS)


def error_of(fn):
    try:
        fn()
    except ClientError as e:
        return e.response["Error"]["Code"], e.response["Error"]["Message"]
    raise AssertionError("expected a ClientError")


def create(name, view_type=None):
    kw = {}
    if view_type:
        kw["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": view_type}
    return client.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                              {"AttributeName": "sk", "AttributeType": "N"}],
        BillingMode="PAY_PER_REQUEST",
        **kw,
    )["TableDescription"]


def only_shard(arn):
    desc = streams.describe_stream(StreamArn=arn)["StreamDescription"]
    assert len(desc["Shards"]) == 1, desc
    return desc, desc["Shards"][0]["ShardId"]


def read_all(arn, iterator_type="TRIM_HORIZON", limit=None, **kw):
    """Every record from the iterator on, following NextShardIterator until a page comes back empty."""
    _, shard = only_shard(arn)
    it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType=iterator_type, **kw)
    it = it["ShardIterator"]
    out = []
    for _ in range(1000):
        page = streams.get_records(ShardIterator=it, **({"Limit": limit} if limit else {}))
        if limit:
            assert len(page["Records"]) <= limit, page
        out += page["Records"]
        it = page.get("NextShardIterator")
        if not page["Records"] or it is None:
            return out, it
    raise AssertionError("GetRecords never ran dry")


def writes(table):
    """INSERT, MODIFY, a no-op put, REMOVE, a delete of a missing item, a batch and a transaction."""
    client.put_item(TableName=table, Item={"pk": {"S": "a"}, "sk": {"N": "1"}, "v": {"S": "one"}})
    client.update_item(TableName=table, Key={"pk": {"S": "a"}, "sk": {"N": "1"}},
                       UpdateExpression="SET v = :v", ExpressionAttributeValues={":v": {"S": "two"}})
    client.put_item(TableName=table, Item={"pk": {"S": "a"}, "sk": {"N": "1"}, "v": {"S": "two"}})
    client.delete_item(TableName=table, Key={"pk": {"S": "a"}, "sk": {"N": "1"}})
    client.delete_item(TableName=table, Key={"pk": {"S": "nobody"}, "sk": {"N": "1"}})
    client.batch_write_item(RequestItems={table: [
        {"PutRequest": {"Item": {"pk": {"S": "b"}, "sk": {"N": "2"}}}},
        {"PutRequest": {"Item": {"pk": {"S": "c"}, "sk": {"N": "3"}}}},
    ]})
    client.transact_write_items(TransactItems=[
        {"Put": {"TableName": table, "Item": {"pk": {"S": "b"}, "sk": {"N": "2"}, "v": {"S": "tx"}}}},
        {"Delete": {"TableName": table, "Key": {"pk": {"S": "c"}, "sk": {"N": "3"}}}},
    ])


EXPECTED = ["INSERT", "MODIFY", "REMOVE", "INSERT", "INSERT", "MODIFY", "REMOVE"]
STREAM_ARNS = {}


@check("CreateTable with a stream: DescribeTable and ListStreams show it")
def _():
    desc = create("StreamAll", "NEW_AND_OLD_IMAGES")
    arn = desc["LatestStreamArn"]
    assert arn.startswith("arn:aws:dynamodb:us-east-1:123456789012:table/StreamAll/stream/"), arn
    assert arn.endswith(desc["LatestStreamLabel"]), desc
    assert desc["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}, desc
    t = client.describe_table(TableName="StreamAll")["Table"]
    assert t["LatestStreamArn"] == arn and t["LatestStreamLabel"] == desc["LatestStreamLabel"], t
    listed = streams.list_streams(TableName="StreamAll")["Streams"]
    assert listed == [{"StreamArn": arn, "TableName": "StreamAll", "StreamLabel": desc["LatestStreamLabel"]}], listed
    sd, shard = only_shard(arn)
    assert sd["StreamStatus"] == "ENABLED" and sd["StreamViewType"] == "NEW_AND_OLD_IMAGES", sd
    assert sd["TableName"] == "StreamAll" and sd["KeySchema"][0] == {"AttributeName": "pk", "KeyType": "HASH"}, sd
    assert shard.startswith("shardId-"), shard
    assert "EndingSequenceNumber" not in sd["Shards"][0]["SequenceNumberRange"], sd
    STREAM_ARNS["StreamAll"] = arn


@check("records: INSERT/MODIFY/REMOVE with both images, increasing sequence numbers, no no-op records")
def _():
    arn = STREAM_ARNS["StreamAll"]
    writes("StreamAll")
    records, nxt = read_all(arn)
    assert nxt is not None, "an enabled stream's shard stays open"
    assert [r["eventName"] for r in records] == EXPECTED, [r["eventName"] for r in records]
    seqs = [int(r["dynamodb"]["SequenceNumber"]) for r in records]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs), seqs
    for r in records:
        assert r["eventVersion"] == "1.1" and r["eventSource"] == "aws:dynamodb" and r["awsRegion"] == "us-east-1", r
        assert len(r["eventID"]) >= 16, r
        d = r["dynamodb"]
        assert d["StreamViewType"] == "NEW_AND_OLD_IMAGES" and d["SizeBytes"] > 0, d
        assert isinstance(d["ApproximateCreationDateTime"], datetime.datetime), d
        assert set(d["Keys"]) == {"pk", "sk"}, d
    ins, mod, rem = records[0]["dynamodb"], records[1]["dynamodb"], records[2]["dynamodb"]
    assert ins["NewImage"] == {"pk": {"S": "a"}, "sk": {"N": "1"}, "v": {"S": "one"}} and "OldImage" not in ins, ins
    assert mod["OldImage"]["v"] == {"S": "one"} and mod["NewImage"]["v"] == {"S": "two"}, mod
    assert rem["OldImage"]["v"] == {"S": "two"} and "NewImage" not in rem, rem
    assert records[6]["dynamodb"]["Keys"] == {"pk": {"S": "c"}, "sk": {"N": "3"}}, records[6]


@check("GetRecords Limit pages through NextShardIterator")
def _():
    arn = STREAM_ARNS["StreamAll"]
    whole, _ = read_all(arn)
    paged, _ = read_all(arn, limit=2)
    assert [r["eventID"] for r in paged] == [r["eventID"] for r in whole], "same records, same order"
    code, _ = error_of(lambda: streams.get_records(ShardIterator="not-an-iterator"))
    assert code == "ValidationException", code


@check("iterator types: TRIM_HORIZON, AT_ and AFTER_SEQUENCE_NUMBER, LATEST")
def _():
    arn = STREAM_ARNS["StreamAll"]
    whole, _ = read_all(arn)
    second = whole[1]["dynamodb"]["SequenceNumber"]
    at, _ = read_all(arn, "AT_SEQUENCE_NUMBER", SequenceNumber=second)
    assert [r["eventID"] for r in at] == [r["eventID"] for r in whole[1:]], at
    after, _ = read_all(arn, "AFTER_SEQUENCE_NUMBER", SequenceNumber=second)
    assert [r["eventID"] for r in after] == [r["eventID"] for r in whole[2:]], after
    _, shard = only_shard(arn)
    # AWS (asserted against it in LocalStack's tests): iterators read `<stream arn>|1|…`, and the
    # shard's starting number is below its first record's.
    starting = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0][
        "SequenceNumberRange"]["StartingSequenceNumber"]
    assert int(starting) < int(whole[0]["dynamodb"]["SequenceNumber"]), (starting, whole[0])
    from_start, _ = read_all(arn, "AFTER_SEQUENCE_NUMBER", SequenceNumber=starting)
    assert [r["eventID"] for r in from_start] == [r["eventID"] for r in whole], from_start
    latest = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="LATEST")["ShardIterator"]
    assert latest.startswith(arn + "|1|"), latest
    page = streams.get_records(ShardIterator=latest)
    assert page["Records"] == [], page
    client.put_item(TableName="StreamAll", Item={"pk": {"S": "late"}, "sk": {"N": "9"}})
    page = streams.get_records(ShardIterator=page["NextShardIterator"])
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in page["Records"]] == ["late"], page
    code, msg = error_of(lambda: streams.get_shard_iterator(StreamArn=arn, ShardId=shard,
                                                           ShardIteratorType="AT_SEQUENCE_NUMBER"))
    assert code == "ValidationException", (code, msg)
    code, msg = error_of(lambda: streams.get_shard_iterator(StreamArn=arn, ShardId="shardId-00000000000000000000-00000000",
                                                           ShardIteratorType="LATEST"))
    assert code == "ResourceNotFoundException", (code, msg)
    code, msg = error_of(lambda: streams.describe_stream(StreamArn=arn + "x"))
    assert code == "ResourceNotFoundException", (code, msg)


@check("view types: KEYS_ONLY, NEW_IMAGE, OLD_IMAGE")
def _():
    for view, new, old in [("KEYS_ONLY", False, False), ("NEW_IMAGE", True, False), ("OLD_IMAGE", False, True)]:
        table = "Stream" + view.replace("_", "")
        arn = create(table, view)["LatestStreamArn"]
        writes(table)
        records, _ = read_all(arn)
        assert [r["eventName"] for r in records] == EXPECTED, (view, records)
        for r in records:
            d = r["dynamodb"]
            assert d["StreamViewType"] == view, d
            has_new = r["eventName"] != "REMOVE" and new
            has_old = r["eventName"] != "INSERT" and old
            assert ("NewImage" in d) == has_new and ("OldImage" in d) == has_old, (view, r)


@check("UpdateTable enables and disables a stream; a disabled stream stays readable and closed")
def _():
    create("StreamLater")
    t = client.describe_table(TableName="StreamLater")["Table"]
    assert "LatestStreamArn" not in t, t
    code, msg = error_of(lambda: client.update_table(TableName="StreamLater",
                                                     StreamSpecification={"StreamEnabled": False}))
    assert code == "ValidationException" and "no stream to disable" in msg, msg
    client.put_item(TableName="StreamLater", Item={"pk": {"S": "before"}, "sk": {"N": "0"}})
    d = client.update_table(TableName="StreamLater",
                            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})
    arn = d["TableDescription"]["LatestStreamArn"]
    code, msg = error_of(lambda: client.update_table(
        TableName="StreamLater", StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}))
    assert code == "ValidationException" and "already has an enabled stream" in msg, msg
    client.put_item(TableName="StreamLater", Item={"pk": {"S": "during"}, "sk": {"N": "1"}})
    client.update_table(TableName="StreamLater", StreamSpecification={"StreamEnabled": False})
    client.put_item(TableName="StreamLater", Item={"pk": {"S": "after"}, "sk": {"N": "2"}})
    sd, _ = only_shard(arn)
    assert sd["StreamStatus"] == "DISABLED", sd
    assert "EndingSequenceNumber" in sd["Shards"][0]["SequenceNumberRange"], sd
    records, nxt = read_all(arn)
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in records] == ["during"], records
    assert nxt is None, "a disabled stream's shard is closed once read"
    d = client.update_table(TableName="StreamLater",
                            StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"})
    again = d["TableDescription"]["LatestStreamArn"]
    assert again != arn, "re-enabling starts a new stream"
    arns = [s["StreamArn"] for s in streams.list_streams(TableName="StreamLater")["Streams"]]
    assert sorted(arns) == sorted([arn, again]), arns
    code, msg = error_of(lambda: client.create_table(
        TableName="BadStream", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True}))
    assert code == "ValidationException" and "StreamViewType" in msg, msg


@check("ListStreams pages with Limit and ExclusiveStartStreamArn")
def _():
    seen = []
    kw = {"Limit": 2}
    while True:
        page = streams.list_streams(**kw)
        assert len(page["Streams"]) <= 2, page
        seen += [s["StreamArn"] for s in page["Streams"]]
        if "LastEvaluatedStreamArn" not in page:
            break
        kw["ExclusiveStartStreamArn"] = page["LastEvaluatedStreamArn"]
    assert len(seen) == len(set(seen)) == 6, seen



@check("a malformed stream ARN is a ValidationException, a well-formed unknown one is not found")
def _():
    # Alternator's test_streams.py, written against DynamoDB.
    arn = streams.list_streams()["Streams"][0]["StreamArn"]
    _, shard = only_shard(arn)
    bad = "sdfadsfsdfsdgdfsgsfdabadfbabdadsfsdfsdfsdfsdfsdfsdfdfdssdffbdfdf"
    for call in [lambda: streams.describe_stream(StreamArn=bad),
                 lambda: streams.get_shard_iterator(StreamArn=bad, ShardId=shard, ShardIteratorType="LATEST"),
                 lambda: streams.list_streams(ExclusiveStartStreamArn=bad)]:
        assert error_of(call) == ("ValidationException", "Invalid StreamArn"), error_of(call)
    missing = arn.replace(":table/", ":table/NoSuchTable")
    code, _ = error_of(lambda: streams.describe_stream(StreamArn=missing))
    assert code == "ResourceNotFoundException", code


print("all checks passed")
sys.exit(0)
