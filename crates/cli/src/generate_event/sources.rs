//! Events from the services that invoke a function without an API or a stream mapping of the
//! template: an Application Load Balancer target, a CloudFormation custom resource, a Step
//! Functions error, an S3 Batch Operations job, a Kinesis Data Firehose transformation.

use serde_json::{json, Value};

use super::values::{value, Values};

/// `alb request`: what a load balancer sends a Lambda target (multi-value headers off).
pub fn alb_request(v: &Values) -> Value {
    json!({
        "requestContext": {
            "elb": {
                "targetGroupArn": format!(
                    "arn:aws:elasticloadbalancing:us-east-2:{}:targetgroup/lambda-279XGJDqGZ5rsrHC2Fjr/49e9d65c45c6791a",
                    value(v, "account-id")
                )
            }
        },
        "httpMethod": value(v, "method"),
        "path": format!("/{}", value(v, "path")),
        "queryStringParameters": {"query": "1234ABCD"},
        "headers": {
            "accept": "text/html,application/xhtml+xml,application/xml;q=0.9,image/webp,image/apng,*/*;q=0.8",
            "accept-encoding": "gzip",
            "accept-language": "en-US,en;q=0.9",
            "connection": "keep-alive",
            "host": format!("lambda-alb-123578498.{}", value(v, "dns-suffix")),
            "upgrade-insecure-requests": "1",
            "user-agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/71.0.3578.98 Safari/537.36",
            "x-amzn-trace-id": "Root=1-5c536348-3d683b8b04734faae651f476",
            "x-forwarded-for": "72.12.164.125",
            "x-forwarded-port": "80",
            "x-forwarded-proto": "http",
            "x-imforwards": "20"
        },
        "body": value(v, "body"),
        "isBase64Encoded": true
    })
}

/// `cloudformation create-request`: a custom resource's Create request.
pub fn cloudformation_create_request(v: &Values) -> Value {
    let stack = value(v, "stack");
    json!({
        "RequestType": "Create",
        "ResponseURL": "http://pre-signed-S3-url-for-response",
        "StackId": format!(
            "arn:{}:cloudformation:{}:{}:stack/{stack}/guid",
            value(v, "partition"),
            value(v, "region"),
            value(v, "account-id")
        ),
        "RequestId": "unique id for this create request",
        "ResourceType": "Custom::TestResource",
        "LogicalResourceId": "MyTestResource",
        "ResourceProperties": {"StackName": stack, "List": ["1", "2", "3"]}
    })
}

/// `stepfunctions error`: the error a `Catch` passes on.
pub fn stepfunctions_error(v: &Values) -> Value {
    json!({"Error": value(v, "error"), "Cause": value(v, "cause")})
}

/// `s3 batch-invocation`: one task of an S3 Batch Operations job (schema 1.0).
pub fn s3_batch_invocation(v: &Values) -> Value {
    json!({
        "invocationSchemaVersion": "1.0",
        "invocationId": "YXNkbGZqYWRmaiBhc2RmdW9hZHNmZGpmaGFzbGtkaGZza2RmaAo",
        "job": {"id": "f3cc4f60-61f6-4a2b-8a21-d07600c373ce"},
        "tasks": [{
            "taskId": "dGFza2lkZ29lc2hlcmUK",
            "s3Key": value(v, "key"),
            "s3VersionId": "1",
            "s3BucketArn": value(v, "bucket-arn")
        }]
    })
}

/// `kinesis kinesis-firehose`: a Firehose data transformation batch (`--data` is sent as given,
/// already base64, as SAM takes it).
pub fn kinesis_firehose(v: &Values) -> Value {
    json!({
        "invocationId": "invocationIdExample",
        "deliveryStreamArn": format!("arn:{}:kinesis:EXAMPLE", value(v, "partition")),
        "region": value(v, "region"),
        "records": [{
            "recordId": "49546986683135544286507457936321625675700192471156785154",
            "approximateArrivalTimestamp": 1_495_072_949_453_u64,
            "data": value(v, "data")
        }]
    })
}
