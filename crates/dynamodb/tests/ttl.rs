//! Time to live: template tables declare it, the sweep deletes expired items, and the sweeper thread
//! runs until its owner stops it.

use std::sync::Arc;

use serde_json::json;
use sluice_aws_env::AwsEnv;
use sluice_dynamodb::table_spec::{ScalarType, StreamViewType};
use sluice_dynamodb::{DynamoDb, EnsureOutcome, StoreLocation, TableSpec};

use crate::call;

#[tokio::test]
async fn expired_items_are_swept() {
    let db = DynamoDb::open(StoreLocation::InMemory, AwsEnv::default()).expect("store");
    let create = json!({"TableName": "Sessions", "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}], "BillingMode": "PAY_PER_REQUEST"});
    assert_eq!(call(&db, "CreateTable", create).await.0, 200);
    let ttl = json!({"TableName": "Sessions", "TimeToLiveSpecification": {"Enabled": true, "AttributeName": "exp"}});
    assert_eq!(call(&db, "UpdateTimeToLive", ttl).await.0, 200);
    // A template table declares TTL through ensure_table.
    let templ = TableSpec {
        ttl_attribute: Some("until".into()),
        ..TableSpec::on_demand("Tokens", "id", ScalarType::String)
    };
    assert_eq!(
        db.ensure_table(&templ).expect("ensure"),
        EnsureOutcome::Created
    );
    let (_, d) = call(&db, "DescribeTimeToLive", json!({"TableName": "Tokens"})).await;
    assert_eq!(d["TimeToLiveDescription"]["AttributeName"], "until");
    // A stream added to the template later is enabled on the existing table; a changed view type is reported.
    let mut streamed = templ.clone();
    streamed.stream = Some(StreamViewType::NewImage);
    assert_eq!(
        db.ensure_table(&streamed).expect("ensure"),
        EnsureOutcome::Unchanged
    );
    let (_, d) = call(&db, "DescribeTable", json!({"TableName": "Tokens"})).await;
    assert!(d["Table"]["LatestStreamArn"].is_string(), "{d}");
    streamed.stream = Some(StreamViewType::KeysOnly);
    assert!(matches!(
        db.ensure_table(&streamed).expect("ensure"),
        EnsureOutcome::SchemaDiffers { .. }
    ));
    for (id, exp) in [
        ("old", json!({"N": "1000"})),
        ("new", json!({"N": "3000"})),
        ("str", json!({"S": "1000"})),
    ] {
        let put = json!({"TableName": "Sessions", "Item": {"id": {"S": id}, "exp": exp}});
        assert_eq!(call(&db, "PutItem", put).await.0, 200);
    }
    assert_eq!(db.sweep_expired(2000.0).expect("sweep"), 1);
    let (_, body) = call(&db, "Scan", json!({"TableName": "Sessions"})).await;
    let mut ids: Vec<&str> = body["Items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|i| i["id"]["S"].as_str())
        .collect();
    ids.sort();
    assert_eq!(ids, ["new", "str"]);
}

#[tokio::test]
async fn the_sweeper_runs_until_stopped_and_one_store_has_one() {
    let db = DynamoDb::open(StoreLocation::InMemory, AwsEnv::default()).expect("store");
    let create = json!({"TableName": "Sessions", "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}], "BillingMode": "PAY_PER_REQUEST"});
    assert_eq!(call(&db, "CreateTable", create).await.0, 200);
    let ttl = json!({"TableName": "Sessions", "TimeToLiveSpecification": {"Enabled": true, "AttributeName": "exp"}});
    assert_eq!(call(&db, "UpdateTimeToLive", ttl).await.0, 200);
    let count = |db: Arc<DynamoDb>| async move {
        let (_, body) = call(&db, "Scan", json!({"TableName": "Sessions"})).await;
        body["Count"].as_i64().expect("Count")
    };
    let put_expired =
        |id: &str| json!({"TableName": "Sessions", "Item": {"id": {"S": id}, "exp": {"N": "1"}}});

    let interval = std::time::Duration::from_millis(20);
    let sweeper = db.start_sweeper(interval).expect("sweeper starts");
    assert!(
        matches!(
            db.start_sweeper(interval),
            Err(sluice_dynamodb::SweeperError::AlreadyRunning)
        ),
        "a second sweeper on the same store is refused"
    );
    assert_eq!(call(&db, "PutItem", put_expired("a")).await.0, 200);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while count(db.clone()).await > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the sweeper never swept"
        );
        tokio::time::sleep(interval).await;
    }

    // stop() returns once the thread has ended: nothing is swept any more, and a new one may start.
    sweeper.stop();
    assert_eq!(call(&db, "PutItem", put_expired("b")).await.0, 200);
    tokio::time::sleep(interval * 5).await;
    assert_eq!(count(db.clone()).await, 1, "a stopped sweeper swept");
    db.start_sweeper(interval)
        .expect("restart after stop")
        .stop();
}
