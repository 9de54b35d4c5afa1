//! The real boto3 client against `DynamoDb::handle` behind a tiny HTTP server.

use crate::run_boto3_script;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boto3_client_and_resource_apis() {
    run_boto3_script("boto3_e2e.py").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boto3_dynamodb_streams() {
    run_boto3_script("boto3_streams.py").await;
}
