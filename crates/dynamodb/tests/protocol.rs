//! The JSON protocol's envelope: errors, types and messages as DynamoDB sends them.

use bytes::Bytes;
use serde_json::{json, Value};
use sluice_aws_env::AwsEnv;
use sluice_dynamodb::{DynamoDb, StoreLocation};

use crate::call;

#[tokio::test]
async fn protocol_errors() {
    let db = DynamoDb::open(StoreLocation::InMemory, AwsEnv::default()).expect("store");
    let r = db.handle("PutItem", Bytes::from_static(b"{not json")).await;
    assert_eq!(r.status, 400);
    let v: Value = serde_json::from_slice(&r.body).expect("json");
    assert_eq!(
        v["__type"],
        "com.amazon.coral.service#SerializationException"
    );
    // Where the parser stopped, so a hand-built body can be fixed.
    let message = v["message"].as_str().expect("message");
    assert!(message.contains("at line 1, column 2"), "{message}");
    let (status, v) = call(&db, "NoSuchOp", json!({})).await;
    assert_eq!(status, 400);
    assert_eq!(
        v["__type"],
        "com.amazon.coral.service#UnknownOperationException"
    );
    let (status, v) = call(
        &db,
        "GetItem",
        json!({"TableName": "Nope", "Key": {"id": {"S": "x"}}}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        v["__type"],
        "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException"
    );
    let (_, v) = call(&db, "CreateTable", json!({"TableName": "ab"})).await;
    assert_eq!(v["__type"], "com.amazon.coral.validate#ValidationException");
    let create = json!({"TableName": "Things", "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}], "BillingMode": "PAY_PER_REQUEST"});
    let (_, v) = call(&db, "CreateTable", create.clone()).await;
    assert!(v.get("TableDescription").is_some(), "{v}");
    let (_, v) = call(&db, "CreateTable", create).await;
    assert_eq!(
        v["__type"],
        "com.amazonaws.dynamodb.v20120810#ResourceInUseException"
    );
    let put = json!({"TableName": "Things", "Item": {"id": {"S": "a"}}, "ConditionExpression": "attribute_exists(id)"});
    let (_, v) = call(&db, "PutItem", put).await;
    assert_eq!(
        v["__type"],
        "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException"
    );
    let tx = json!({"TransactItems": [{"ConditionCheck": {"TableName": "Things", "Key": {"id": {"S": "a"}},
        "ConditionExpression": "attribute_exists(id)"}}]});
    let (_, v) = call(&db, "TransactWriteItems", tx).await;
    assert_eq!(
        v["__type"],
        "com.amazonaws.dynamodb.v20120810#TransactionCanceledException"
    );
    // Expression attribute maps without an expression that could use them: DynamoDB's exact messages.
    // The single-item writes put the values' refusal (not the names') in Coral's envelope.
    let cases = [
        ("PutItem", json!({"TableName": "Things", "Item": {"id": {"S": "a"}}, "ExpressionAttributeValues": {":v": {"S": "x"}}}),
            "1 validation error detected: ExpressionAttributeValues can only be specified when using expressions: ConditionExpression is null"),
        ("UpdateItem", json!({"TableName": "Things", "Key": {"id": {"S": "a"}}, "ExpressionAttributeValues": {":v": {"S": "x"}}}),
            "1 validation error detected: ExpressionAttributeValues can only be specified when using expressions: UpdateExpression and ConditionExpression are null"),
        ("Query", json!({"TableName": "Things", "KeyConditions": {}, "ExpressionAttributeValues": {}}),
            "ExpressionAttributeValues can only be specified when using expressions: FilterExpression and KeyConditionExpression are null"),
        ("Scan", json!({"TableName": "Things", "ProjectionExpression": "id", "ExpressionAttributeValues": {":v": {"S": "x"}}}),
            "ExpressionAttributeValues can only be specified when using expressions: FilterExpression is null"),
        ("DeleteItem", json!({"TableName": "Things", "Key": {"id": {"S": "a"}}, "ExpressionAttributeNames": {"#n": "id"}}),
            "ExpressionAttributeNames can only be specified when using expressions"),
    ];
    for (op, body, message) in cases {
        let (status, v) = call(&db, op, body).await;
        assert_eq!(status, 400, "{op}");
        assert_eq!(
            v["__type"], "com.amazon.coral.validate#ValidationException",
            "{op}"
        );
        assert_eq!(v["message"], message, "{op}");
    }
}
