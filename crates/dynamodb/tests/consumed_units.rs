//! The request units the store counts per table for the cost report, whether or not a request
//! asked for `ReturnConsumedCapacity`: 1 KB write units, 4 KB read units, eventually consistent
//! reads at half, transactions at double, failed conditions at the existing item's size, as
//! DynamoDB bills on demand.

use serde_json::json;
use sluice_aws_env::AwsEnv;
use sluice_dynamodb::{DynamoDb, StoreLocation, TableUnits};

use crate::call;

#[tokio::test]
async fn units_are_counted_per_table_as_dynamodb_bills_them() {
    let db = DynamoDb::open(StoreLocation::InMemory, AwsEnv::default()).expect("store");
    let (status, _) = call(
        &db,
        "CreateTable",
        json!({"TableName": "Units",
        "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
        "BillingMode": "PAY_PER_REQUEST"}),
    )
    .await;
    assert_eq!(status, 200);
    let key = |id: &str| json!({"id": {"S": id}});
    // "id" + "big" + "body" + 1500 bytes = 1509 bytes: 2 write units, 1 read unit.
    let big = json!({"id": {"S": "big"}, "body": {"S": "x".repeat(1500)}});
    let (_, put) = call(
        &db,
        "PutItem",
        json!({"TableName": "Units", "Item": big,
        "ReturnConsumedCapacity": "TOTAL"}),
    )
    .await;
    assert_eq!(put["ConsumedCapacity"]["CapacityUnits"], 2.0, "{put}");
    let small = |id: &str| json!({"id": {"S": id}, "n": {"N": "1"}});
    call(
        &db,
        "PutItem",
        json!({"TableName": "Units", "Item": small("s1")}),
    )
    .await; // w 3
    call(
        &db,
        "GetItem",
        json!({"TableName": "Units", "Key": key("big")}),
    )
    .await; // r 0.5
    call(
        &db,
        "GetItem",
        json!({"TableName": "Units", "Key": key("big"),
        "ConsistentRead": true}),
    )
    .await; // r 1.5
    call(
        &db,
        "GetItem",
        json!({"TableName": "Units", "Key": key("none")}),
    )
    .await; // r 2.0
    call(
        &db,
        "TransactGetItems",
        json!({"TransactItems": [
        {"Get": {"TableName": "Units", "Key": key("big")}}]}),
    )
    .await; // r 4.0
    call(
        &db,
        "TransactWriteItems",
        json!({"TransactItems": [
        {"Put": {"TableName": "Units", "Item": small("s2")}}]}),
    )
    .await; // w 5
    call(&db, "Scan", json!({"TableName": "Units"})).await; // ~1.5 KB eventually: r 4.5
    call(
        &db,
        "BatchWriteItem",
        json!({"RequestItems": {"Units": [
        {"PutRequest": {"Item": small("s3")}}, {"PutRequest": {"Item": small("s4")}}]}}),
    )
    .await; // w 7
            // A failed condition still costs the existing item's units (AWS bills the attempt).
    let (status, failed) = call(
        &db,
        "PutItem",
        json!({"TableName": "Units", "Item": small("s1"),
            "ConditionExpression": "attribute_not_exists(id)"}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        failed["__type"],
        "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException"
    );
    // w 8
    call(
        &db,
        "DeleteItem",
        json!({"TableName": "Units", "Key": key("big")}),
    )
    .await; // w 10
    let units = db.consumed_units();
    assert_eq!(
        units.get("Units"),
        Some(&TableUnits {
            read: 4.5,
            write: 10.0
        }),
        "{units:?}"
    );
}

#[tokio::test]
async fn a_metered_request_reports_its_own_units_across_tables() {
    let db = DynamoDb::open(StoreLocation::InMemory, AwsEnv::default()).expect("store");
    for table in ["Alpha", "Beta"] {
        let (status, _) = call(
            &db,
            "CreateTable",
            json!({"TableName": table,
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
            "BillingMode": "PAY_PER_REQUEST"}),
        )
        .await;
        assert_eq!(status, 200);
    }
    let metered = |target: &'static str, body: serde_json::Value| {
        let db = db.clone();
        async move {
            let (response, units) = db
                .handle_metered(target, bytes::Bytes::from(body.to_string()))
                .await;
            assert_eq!(
                response.status,
                200,
                "{target}: {}",
                String::from_utf8_lossy(&response.body)
            );
            units
        }
    };
    let item = |id: &str| json!({"id": {"S": id}});
    // Two puts of under 1 KB, one per table, in one batch: 2 write units.
    let batch = metered(
        "BatchWriteItem",
        json!({"RequestItems": {
            "Alpha": [{"PutRequest": {"Item": item("a")}}],
            "Beta": [{"PutRequest": {"Item": item("b")}}]}}),
    )
    .await;
    assert_eq!(
        batch,
        TableUnits {
            read: 0.0,
            write: 2.0
        }
    );
    // A strongly consistent read of a small item: 1 read unit, and nothing left from the batch.
    let get = metered(
        "GetItem",
        json!({"TableName": "Alpha", "Key": item("a"), "ConsistentRead": true}),
    )
    .await;
    assert_eq!(
        get,
        TableUnits {
            read: 1.0,
            write: 0.0
        }
    );
    // An unmetered call in between is not counted into the next metered one.
    call(
        &db,
        "GetItem",
        json!({"TableName": "Beta", "Key": item("b")}),
    )
    .await;
    let put = metered("PutItem", json!({"TableName": "Beta", "Item": item("c")})).await;
    assert_eq!(
        put,
        TableUnits {
            read: 0.0,
            write: 1.0
        }
    );
    let totals = db.consumed_units();
    assert_eq!(
        totals["Alpha"],
        TableUnits {
            read: 1.0,
            write: 1.0
        }
    );
    assert_eq!(
        totals["Beta"],
        TableUnits {
            read: 0.5,
            write: 2.0
        }
    );
}
