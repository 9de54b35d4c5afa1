//! DynamoDB Streams: durable records, TTL deletions, and ARNs and records in the configured region.

use serde_json::{json, Value};
use sluice_aws_env::AwsEnv;
use sluice_dynamodb::{DynamoDb, StoreLocation};

use crate::{call, call_streams, temp_dir};

/// Reads the stream's first shard from its start (DescribeStream, GetShardIterator at
/// TRIM_HORIZON, GetRecords): GetRecords' status and page.
async fn read_from_start(db: &DynamoDb, arn: &(impl serde::Serialize + ?Sized)) -> (u16, Value) {
    let (status, d) = call_streams(db, "DescribeStream", json!({"StreamArn": arn})).await;
    assert_eq!(status, 200, "{d}");
    let shard = &d["StreamDescription"]["Shards"][0]["ShardId"];
    let (_, it) = call_streams(
        db,
        "GetShardIterator",
        json!({"StreamArn": arn, "ShardId": shard, "ShardIteratorType": "TRIM_HORIZON"}),
    )
    .await;
    call_streams(
        db,
        "GetRecords",
        json!({"ShardIterator": it["ShardIterator"]}),
    )
    .await
}

#[tokio::test]
async fn stream_records_are_durable_and_name_ttl_deletions() {
    let dir = temp_dir("streams");
    let arn = {
        let db = DynamoDb::open(StoreLocation::Dir(dir.clone()), AwsEnv::default()).expect("open");
        let create = json!({"TableName": "Sessions", "BillingMode": "PAY_PER_REQUEST",
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
            "StreamSpecification": {"StreamEnabled": true, "StreamViewType": "OLD_IMAGE"}});
        let (status, body) = call(&db, "CreateTable", create).await;
        assert_eq!(status, 200, "{body}");
        let ttl = json!({"TableName": "Sessions", "TimeToLiveSpecification": {"Enabled": true, "AttributeName": "exp"}});
        assert_eq!(call(&db, "UpdateTimeToLive", ttl).await.0, 200);
        let put =
            json!({"TableName": "Sessions", "Item": {"id": {"S": "s1"}, "exp": {"N": "1000"}}});
        assert_eq!(call(&db, "PutItem", put).await.0, 200);
        assert_eq!(db.sweep_expired(2000.0).expect("sweep"), 1);
        body["TableDescription"]["LatestStreamArn"]
            .as_str()
            .expect("LatestStreamArn")
            .to_string()
    };
    // Reopened: the stream and its records are still there.
    let db = DynamoDb::open(StoreLocation::Dir(dir.clone()), AwsEnv::default()).expect("reopen");
    let (status, page) = read_from_start(&db, &arn).await;
    assert_eq!(status, 200, "{page}");
    let records = page["Records"].as_array().expect("Records");
    let names: Vec<&str> = records
        .iter()
        .filter_map(|r| r["eventName"].as_str())
        .collect();
    assert_eq!(names, ["INSERT", "REMOVE"], "{page}");
    assert!(records[0].get("userIdentity").is_none());
    assert_eq!(
        records[1]["userIdentity"],
        json!({"Type": "Service", "PrincipalId": "dynamodb.amazonaws.com"})
    );
    assert_eq!(
        records[1]["dynamodb"]["OldImage"]["exp"],
        json!({"N": "1000"})
    );
    // A new record after reopening continues the sequence.
    let put = json!({"TableName": "Sessions", "Item": {"id": {"S": "s2"}}});
    assert_eq!(call(&db, "PutItem", put).await.0, 200);
    let (_, page2) = call_streams(
        &db,
        "GetRecords",
        json!({"ShardIterator": page["NextShardIterator"]}),
    )
    .await;
    let seq = |r: &Value| -> u128 {
        r["dynamodb"]["SequenceNumber"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .expect("SequenceNumber")
    };
    assert_eq!(
        page2["Records"].as_array().map(Vec::len),
        Some(1),
        "{page2}"
    );
    assert!(seq(&page2["Records"][0]) > seq(&records[1]));
    // Deleting the table leaves its stream readable but disabled.
    assert_eq!(
        call(&db, "DeleteTable", json!({"TableName": "Sessions"}))
            .await
            .0,
        200
    );
    let (_, d) = call_streams(&db, "DescribeStream", json!({"StreamArn": arn})).await;
    assert_eq!(d["StreamDescription"]["StreamStatus"], "DISABLED", "{d}");
    let (status, v) = call_streams(&db, "NoSuchOp", json!({})).await;
    assert_eq!(status, 400);
    assert_eq!(
        v["__type"],
        "com.amazon.coral.service#UnknownOperationException"
    );
    drop(db);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn arns_and_stream_records_follow_the_configured_region() {
    let db =
        DynamoDb::open(StoreLocation::InMemory, AwsEnv::in_region("eu-west-1")).expect("store");
    let create = json!({"TableName": "Orders", "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"},
            {"AttributeName": "owner", "AttributeType": "S"}],
        "GlobalSecondaryIndexes": [{"IndexName": "ByOwner",
            "KeySchema": [{"AttributeName": "owner", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "ALL"}}],
        "StreamSpecification": {"StreamEnabled": true, "StreamViewType": "NEW_IMAGE"}});
    let (status, body) = call(&db, "CreateTable", create).await;
    assert_eq!(status, 200, "{body}");
    let table = &body["TableDescription"];
    let prefix = "arn:aws:dynamodb:eu-west-1:123456789012:table/Orders";
    assert_eq!(table["TableArn"], prefix);
    assert_eq!(
        table["GlobalSecondaryIndexes"][0]["IndexArn"],
        format!("{prefix}/index/ByOwner")
    );
    let arn = table["LatestStreamArn"].as_str().expect("LatestStreamArn");
    assert!(arn.starts_with(&format!("{prefix}/stream/")), "{arn}");
    // Tags are addressed by the table's ARN in this region; another region's ARN names nothing.
    let tag = json!({"ResourceArn": prefix, "Tags": [{"Key": "k", "Value": "v"}]});
    assert_eq!(call(&db, "TagResource", tag).await.0, 200);
    let other = json!({"ResourceArn": "arn:aws:dynamodb:us-east-1:123456789012:table/Orders",
        "Tags": [{"Key": "k", "Value": "v"}]});
    assert_eq!(call(&db, "TagResource", other).await.0, 400);
    let (_, endpoints) = call(&db, "DescribeEndpoints", json!({})).await;
    assert_eq!(
        endpoints["Endpoints"][0]["Address"],
        "dynamodb.eu-west-1.amazonaws.com"
    );

    let put = json!({"TableName": "Orders", "Item": {"id": {"S": "o1"}, "owner": {"S": "ann"}}});
    assert_eq!(call(&db, "PutItem", put).await.0, 200);
    let (_, streams) = call_streams(&db, "ListStreams", json!({"TableName": "Orders"})).await;
    assert_eq!(streams["Streams"][0]["StreamArn"], arn, "{streams}");
    let (status, page) = read_from_start(&db, &arn).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["Records"][0]["awsRegion"], "eu-west-1", "{page}");
}

#[tokio::test]
async fn a_store_reopened_in_another_region_keeps_its_streams() {
    let dir = temp_dir("streams-region");
    {
        let db = DynamoDb::open(StoreLocation::Dir(dir.clone()), AwsEnv::default()).expect("open");
        let create = json!({"TableName": "Moves", "BillingMode": "PAY_PER_REQUEST",
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
            "StreamSpecification": {"StreamEnabled": true, "StreamViewType": "KEYS_ONLY"}});
        let (_, created) = call(&db, "CreateTable", create).await;
        let put = json!({"TableName": "Moves", "Item": {"id": {"S": "before"}}});
        assert_eq!(call(&db, "PutItem", put).await.0, 200);
        // A mapping's place in the stream moves with it.
        let arn = created["TableDescription"]["LatestStreamArn"]
            .as_str()
            .expect("LatestStreamArn");
        let checkpoint = sluice_dynamodb::ShardCheckpoint {
            shard_id: "shardId-1".into(),
            sequence_number: Some("7".into()),
            finished: false,
        };
        db.save_shard_checkpoints("Fn/Moves", arn, &[checkpoint])
            .expect("save");
    }
    let db = DynamoDb::open(
        StoreLocation::Dir(dir.clone()),
        AwsEnv::in_region("eu-west-1"),
    )
    .expect("reopen");
    let put = json!({"TableName": "Moves", "Item": {"id": {"S": "after"}}});
    assert_eq!(call(&db, "PutItem", put).await.0, 200);
    let (_, table) = call(&db, "DescribeTable", json!({"TableName": "Moves"})).await;
    let arn = table["Table"]["LatestStreamArn"]
        .as_str()
        .expect("LatestStreamArn");
    assert!(arn.starts_with("arn:aws:dynamodb:eu-west-1:"), "{arn}");
    let (_, streams) = call_streams(&db, "ListStreams", json!({})).await;
    assert_eq!(streams["Streams"][0]["StreamArn"], arn, "{streams}");
    let (_, page) = read_from_start(&db, &arn).await;
    let ids: Vec<&str> = page["Records"]
        .as_array()
        .expect("Records")
        .iter()
        .filter_map(|r| r["dynamodb"]["Keys"]["id"]["S"].as_str())
        .collect();
    assert_eq!(ids, ["before", "after"], "{page}");
    let moved = db.shard_checkpoints("Fn/Moves", arn).expect("read");
    assert_eq!(moved.len(), 1, "the checkpoint follows the stream to {arn}");
    assert_eq!(moved[0].sequence_number.as_deref(), Some("7"));
    drop(db);
    let _ = std::fs::remove_dir_all(&dir);
}

/// DynamoDB Streams checks its identifiers' lengths before looking anything up; a no-op update of a
/// missing item writes no record.
#[tokio::test]
async fn stream_identifiers_are_validated_and_noop_updates_write_nothing() {
    let db = DynamoDb::open(StoreLocation::InMemory, AwsEnv::default()).expect("in-memory store");
    let create = json!({"TableName": "Quiet", "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
        "StreamSpecification": {"StreamEnabled": true, "StreamViewType": "NEW_AND_OLD_IMAGES"}});
    let (_, body) = call(&db, "CreateTable", create).await;
    let arn = body["TableDescription"]["LatestStreamArn"].clone();
    let (status, e) = call_streams(&db, "DescribeStream", json!({"StreamArn": "arn:short"})).await;
    assert_eq!(status, 400);
    assert_eq!(e["__type"], "com.amazon.coral.validate#ValidationException");
    assert!(
        e["message"].as_str().is_some_and(|m| m.contains(
            "at 'streamArn' failed to satisfy constraint: Member must have length greater than or equal to 37"
        )),
        "{e}"
    );
    let (_, e) = call_streams(
        &db,
        "GetShardIterator",
        json!({"StreamArn": arn, "ShardId": "short", "ShardIteratorType": "TRIM_HORIZON"}),
    )
    .await;
    assert!(
        e["message"]
            .as_str()
            .is_some_and(|m| m.contains("at 'shardId'")),
        "{e}"
    );
    let (_, e) = call_streams(
        &db,
        "DescribeStream",
        json!({"StreamArn": arn, "ShardFilter": {"Type": "PARENT_SHARDS"}}),
    )
    .await;
    assert!(
        e["message"]
            .as_str()
            .is_some_and(|m| m.contains("at 'shardFilter.type'")),
        "{e}"
    );
    let remove = json!({"TableName": "Quiet", "Key": {"id": {"S": "ghost"}}, "UpdateExpression": "REMOVE a"});
    assert_eq!(call(&db, "UpdateItem", remove).await.0, 200);
    let (_, records) = read_from_start(&db, &arn).await;
    assert_eq!(records["Records"], json!([]), "{records}");
}

#[tokio::test]
async fn mapping_checkpoints_survive_a_reopen_and_an_older_file_gains_them_keeping_its_items() {
    use sluice_dynamodb::StreamCheckpoint;
    let dir = temp_dir("checkpoints");
    let create = json!({"TableName": "Orders", "BillingMode": "PAY_PER_REQUEST",
        "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}]});
    {
        let db = DynamoDb::open(StoreLocation::Dir(dir.clone()), AwsEnv::default()).expect("open");
        assert_eq!(call(&db, "CreateTable", create).await.0, 200);
        let put = json!({"TableName": "Orders", "Item": {"id": {"S": "kept"}}});
        assert_eq!(call(&db, "PutItem", put).await.0, 200);
    }
    // What a Sluice from before checkpoints left behind: no checkpoint table.
    let conn = rusqlite::Connection::open(dir.join("dynamodb.sqlite3")).expect("sqlite");
    conn.execute_batch("DROP TABLE stream_checkpoints;")
        .expect("drop");
    drop(conn);
    let checkpoint = StreamCheckpoint {
        stream_arn: "arn:aws:dynamodb:us-east-1:123456789012:table/Orders/stream/x".into(),
        sequence_number: "100000000000000000007".into(),
    };
    {
        let db = DynamoDb::open(StoreLocation::Dir(dir.clone()), AwsEnv::default()).expect("open");
        assert_eq!(db.stream_checkpoint("Fn/Changes").expect("read"), None);
        db.save_stream_checkpoint("Fn/Changes", &checkpoint)
            .expect("save");
        let get = json!({"TableName": "Orders", "Key": {"id": {"S": "kept"}}});
        let (status, body) = call(&db, "GetItem", get).await;
        assert_eq!((status, &body["Item"]["id"]["S"]), (200, &json!("kept")));
    }
    let db = DynamoDb::open(StoreLocation::Dir(dir.clone()), AwsEnv::default()).expect("open");
    assert_eq!(
        db.stream_checkpoint("Fn/Changes").expect("read"),
        Some(checkpoint)
    );
    assert_eq!(db.stream_checkpoint("Other").expect("read"), None);
}

#[tokio::test]
async fn shard_checkpoints_are_kept_per_mapping_stream_and_shard_across_a_reopen() {
    use sluice_dynamodb::ShardCheckpoint;
    let dir = temp_dir("shard-checkpoints");
    let arn = "arn:aws:dynamodb:us-east-1:123456789012:table/Orders/stream/x";
    let row = |shard: &str, sequence: Option<&str>, finished: bool| ShardCheckpoint {
        shard_id: shard.into(),
        sequence_number: sequence.map(Into::into),
        finished,
    };
    {
        let db = DynamoDb::open(StoreLocation::Dir(dir.clone()), AwsEnv::default()).expect("open");
        assert_eq!(db.shard_checkpoints("Fn/Changes", arn).expect("read"), []);
        db.save_shard_checkpoints(
            "Fn/Changes",
            arn,
            &[
                row("shardId-a", Some("200"), false),
                row("shardId-p", None, true),
            ],
        )
        .expect("save");
        // A later checkpoint of one shard replaces its row and leaves the other's.
        db.save_shard_checkpoints("Fn/Changes", arn, &[row("shardId-a", Some("210"), false)])
            .expect("save");
        db.save_shard_checkpoints("Other", arn, &[row("shardId-a", Some("1"), false)])
            .expect("save");
    }
    // They are in the file, which a restart reads.
    let conn = rusqlite::Connection::open(dir.join("dynamodb.sqlite3")).expect("sqlite");
    let kept: i64 = conn
        .query_row("SELECT count(*) FROM stream_shard_checkpoints", [], |r| {
            r.get(0)
        })
        .expect("count");
    assert_eq!(kept, 3);
    drop(conn);
    let db = DynamoDb::open(StoreLocation::Dir(dir.clone()), AwsEnv::default()).expect("open");
    assert_eq!(
        db.shard_checkpoints("Fn/Changes", arn).expect("read"),
        [
            row("shardId-a", Some("210"), false),
            row("shardId-p", None, true)
        ]
    );
    assert_eq!(
        db.shard_checkpoints("Fn/Changes", "other-arn")
            .expect("read"),
        []
    );
    // The single checkpoint of an older Sluice is still read as it was.
    assert_eq!(db.stream_checkpoint("Fn/Changes").expect("read"), None);
}
