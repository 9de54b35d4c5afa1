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

/// Invalid requests against empty tables and missing items: DynamoDB validates before it reads.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boto3_validation_before_reads() {
    run_boto3_script("boto3_validation.py").await;
}

/// Semantics emulators commonly get wrong: missing-item updates, UPDATED_*, projections, idempotency.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boto3_semantics() {
    run_boto3_script("boto3_semantics.py").await;
}

/// Table settings, UpdateTable's capacity rules, ItemCollectionMetrics, foreign ARNs and request-model
/// errors, as the conformance suite recorded them against DynamoDB.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boto3_conformance_control() {
    run_boto3_script("boto3_conformance_control.py").await;
}

/// Transactions and batches: which faults cancel with a reason and which fail the request, and
/// the batch key and size messages, as DynamoDB answers them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boto3_conformance_transact() {
    run_boto3_script("boto3_conformance_transact.py").await;
}

/// PartiQL statements, batches and transactions, and DynamoDB's errors for them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boto3_partiql() {
    run_boto3_script("boto3_partiql.py").await;
}

/// Item sizes, consumed capacity and expressions as DynamoDB answers them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boto3_conformance_sizes() {
    run_boto3_script("boto3_conformance_sizes.py").await;
}

/// Resource-based policies of tables and streams: revisions, expected revisions, ARN forms and
/// document checks, as DynamoDB answers them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boto3_table_policies() {
    run_boto3_script("boto3_table_policies.py").await;
}

/// On-demand backups, restores and point-in-time recovery settings, as DynamoDB answers them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boto3_backups() {
    run_boto3_script("boto3_backups.py").await;
}

/// Contributor Insights status on tables and indexes, as DynamoDB answers it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boto3_contributor_insights() {
    run_boto3_script("boto3_contributor_insights.py").await;
}

/// LocalStack's AWS-validated DynamoDB tests replayed, compared with the answers its snapshots
/// recorded from AWS.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn boto3_localstack_snapshots() {
    run_boto3_script("boto3_localstack_snapshots.py").await;
}
