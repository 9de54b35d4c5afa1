//! The operations against a store written in the test, through `handle` as the endpoint calls it.

use serde_json::{json, Value};
use sluice_aws_env::AwsEnv;

use super::handle;
use crate::logs::LogStore;

struct Fixture {
    store: LogStore,
    dir: std::path::PathBuf,
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn fixture(label: &str) -> Fixture {
    let dir = std::env::temp_dir().join(format!("sluice-logs-api-{label}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let store = LogStore::new(dir.clone(), crate::logs::DEFAULT_GROUP_BYTES);
    let group = "/aws/lambda/Hello";
    store.append(group, "2026/01/01/[$LATEST]aaa", "START RequestId: 1");
    store.append(group, "2026/01/01/[$LATEST]aaa", "ERROR boom");
    store.append(group, "2026/01/01/[$LATEST]bbb", "all fine");
    store.append("/aws/lambda/Other", "s", "other");
    Fixture { store, dir }
}

fn call(f: &Fixture, operation: &str, body: Value) -> (u16, Value) {
    let reply = handle(
        &f.store,
        &AwsEnv::default(),
        operation,
        body.to_string().as_bytes(),
    );
    (
        reply.status,
        serde_json::from_str(&reply.body).expect("JSON reply"),
    )
}

#[test]
fn describe_log_groups_lists_groups_with_arns_and_pages() {
    let f = fixture("groups");
    let (status, out) = call(&f, "DescribeLogGroups", json!({}));
    assert_eq!(status, 200);
    let names: Vec<_> = out["logGroups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["logGroupName"].clone())
        .collect();
    assert_eq!(
        names,
        [json!("/aws/lambda/Hello"), json!("/aws/lambda/Other")]
    );
    assert_eq!(
        out["logGroups"][0]["logGroupArn"],
        "arn:aws:logs:us-east-1:123456789012:log-group:/aws/lambda/Hello"
    );
    let (_, out) = call(
        &f,
        "DescribeLogGroups",
        json!({"logGroupNamePrefix": "/aws/lambda/O"}),
    );
    assert_eq!(out["logGroups"].as_array().unwrap().len(), 1);
    let (_, first) = call(&f, "DescribeLogGroups", json!({"limit": 1}));
    assert_eq!(first["logGroups"].as_array().unwrap().len(), 1);
    let (_, second) = call(
        &f,
        "DescribeLogGroups",
        json!({"limit": 1, "nextToken": first["nextToken"]}),
    );
    assert_eq!(second["logGroups"][0]["logGroupName"], "/aws/lambda/Other");
    assert!(second.get("nextToken").is_none());
}

#[test]
fn describe_log_streams_orders_and_reports_missing_groups() {
    let f = fixture("streams");
    let (_, out) = call(
        &f,
        "DescribeLogStreams",
        json!({"logGroupName": "/aws/lambda/Hello", "orderBy": "LastEventTime", "descending": true}),
    );
    assert_eq!(
        out["logStreams"][0]["logStreamName"],
        "2026/01/01/[$LATEST]bbb"
    );
    assert_eq!(out["logStreams"].as_array().unwrap().len(), 2);
    let (status, out) = call(
        &f,
        "DescribeLogStreams",
        json!({"logGroupName": "/aws/lambda/Nope"}),
    );
    assert_eq!(status, 400);
    assert_eq!(out["__type"], "ResourceNotFoundException");
}

#[test]
fn get_log_events_reads_a_stream_and_its_forward_token_stops_at_the_end() {
    let f = fixture("get");
    let request = json!({"logGroupName": "/aws/lambda/Hello", "logStreamName": "2026/01/01/[$LATEST]aaa", "startFromHead": true});
    let (_, out) = call(&f, "GetLogEvents", request.clone());
    let messages: Vec<_> = out["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["message"].clone())
        .collect();
    assert_eq!(messages, [json!("START RequestId: 1"), json!("ERROR boom")]);
    let mut next = request;
    next["nextToken"] = out["nextForwardToken"].clone();
    let (_, again) = call(&f, "GetLogEvents", next);
    assert!(again["events"].as_array().unwrap().is_empty());
    assert_eq!(again["nextForwardToken"], out["nextForwardToken"]);
    let (status, out) = call(
        &f,
        "GetLogEvents",
        json!({"logGroupName": "/aws/lambda/Hello", "logStreamName": "x"}),
    );
    assert_eq!(
        (status, out["__type"].as_str()),
        (400, Some("ResourceNotFoundException"))
    );
}

#[test]
fn filter_log_events_interleaves_filters_and_pages() {
    let f = fixture("filter");
    let (_, out) = call(
        &f,
        "FilterLogEvents",
        json!({"logGroupName": "/aws/lambda/Hello", "interleaved": true}),
    );
    let events = out["events"].as_array().unwrap();
    assert_eq!(events.len(), 3);
    assert!(events
        .windows(2)
        .all(|w| w[0]["timestamp"].as_i64() <= w[1]["timestamp"].as_i64()));
    assert_eq!(events[2]["logStreamName"], "2026/01/01/[$LATEST]bbb");
    let (_, out) = call(
        &f,
        "FilterLogEvents",
        json!({"logGroupName": "/aws/lambda/Hello", "filterPattern": "ERROR"}),
    );
    assert_eq!(out["events"].as_array().unwrap().len(), 1);
    assert_eq!(out["events"][0]["message"], "ERROR boom");
    let (_, page) = call(
        &f,
        "FilterLogEvents",
        json!({"logGroupName": "/aws/lambda/Hello", "limit": 2}),
    );
    assert_eq!(page["events"].as_array().unwrap().len(), 2);
    let (_, rest) = call(
        &f,
        "FilterLogEvents",
        json!({"logGroupName": "/aws/lambda/Hello", "limit": 2, "nextToken": page["nextToken"]}),
    );
    assert_eq!(rest["events"][0]["message"], "all fine");
    let future = crate::logs::now_millis() + 60_000;
    let (_, none) = call(
        &f,
        "FilterLogEvents",
        json!({"logGroupName": "/aws/lambda/Hello", "startTime": future}),
    );
    assert!(none["events"].as_array().unwrap().is_empty());
    let (status, out) = call(
        &f,
        "FilterLogEvents",
        json!({"logGroupName": "/aws/lambda/Hello", "filterPattern": "{ $.a = "}),
    );
    assert_eq!(
        (status, out["__type"].as_str()),
        (400, Some("InvalidParameterException"))
    );
    let (status, out) = call(&f, "PutLogEvents", json!({}));
    assert_eq!(
        (status, out["__type"].as_str()),
        (400, Some("UnknownOperationException"))
    );
}
