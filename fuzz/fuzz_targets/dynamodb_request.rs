//! DynamoDB requests as the services endpoint hands them over: an operation name and a JSON body,
//! parsed and applied to an in-memory store holding one table.
#![no_main]

use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use sluice_aws_env::AwsEnv;
use sluice_dynamodb::{DynamoDb, StoreLocation};

/// Every operation the data plane and control plane route, plus one it does not know.
const OPERATIONS: &[&str] = &[
    "GetItem",
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "Query",
    "Scan",
    "BatchGetItem",
    "BatchWriteItem",
    "TransactGetItems",
    "TransactWriteItems",
    "CreateTable",
    "DeleteTable",
    "DescribeTable",
    "ListTables",
    "UpdateTable",
    "DescribeTimeToLive",
    "UpdateTimeToLive",
    "TagResource",
    "UntagResource",
    "ListTagsOfResource",
    "CreateBackup",
    "ExecuteStatement",
    "BatchExecuteStatement",
    "ExecuteTransaction",
    "NoSuchOperation",
];

/// One store and runtime for the whole run (opening SQLite per input would drown the signal).
fn service() -> &'static (tokio::runtime::Runtime, Arc<DynamoDb>) {
    static SERVICE: OnceLock<(tokio::runtime::Runtime, Arc<DynamoDb>)> = OnceLock::new();
    SERVICE.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("a current-thread runtime builds (fuzz harness setup)");
        let db = DynamoDb::open(StoreLocation::InMemory, AwsEnv::default())
            .expect("an in-memory store opens (fuzz harness setup)");
        let create = br#"{"TableName":"t","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}],"AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},{"AttributeName":"sk","AttributeType":"N"}],"BillingMode":"PAY_PER_REQUEST"}"#;
        runtime.block_on(db.handle("CreateTable", Bytes::from_static(create)));
        (runtime, db)
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let operation = OPERATIONS[usize::from(selector) % OPERATIONS.len()];
    let (runtime, db) = service();
    runtime.block_on(db.handle(operation, Bytes::copy_from_slice(body)));
});
