//! `Type: DynamoDB` events and `AWS::Lambda::EventSourceMapping` on a stream become stream mappings.

use super::{load, load_err};
use crate::{StartingPosition, StreamMapping};

const TABLE: &str = "
  Orders:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: orders
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
      StreamSpecification: {StreamViewType: NEW_AND_OLD_IMAGES}
";

fn template(function_events: &str, extra: &str) -> String {
    format!(
        "Transform: AWS::Serverless-2016-10-31
Resources:{TABLE}
  Consumer:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Events:
{function_events}{extra}"
    )
}

#[test]
fn a_dynamodb_event_reads_every_setting() {
    let model = load(&template(
        r#"        Changes:
          Type: DynamoDB
          Properties:
            Stream: !GetAtt Orders.StreamArn
            StartingPosition: LATEST
            BatchSize: 10
            MaximumBatchingWindowInSeconds: 2
            MaximumRetryAttempts: 3
            MaximumRecordAgeInSeconds: 3600
            BisectBatchOnFunctionError: true
            FunctionResponseTypes: [ReportBatchItemFailures]
            Enabled: false
            FilterCriteria:
              Filters:
                - Pattern: '{"eventName": ["INSERT"]}'
            DestinationConfig:
              OnFailure:
                Destination: arn:aws:sqs:us-east-1:123456789012:dlq
            ParallelizationFactor: 2
"#,
        "",
    ));
    let m = &model.stream_mappings[0];
    assert_eq!(model.stream_mappings.len(), 1);
    assert_eq!(m.id, "Consumer/Changes");
    assert_eq!(m.function, "Consumer");
    assert_eq!(m.table, "orders");
    assert_eq!(m.starting_position, StartingPosition::Latest);
    assert_eq!((m.batch_size, m.batching_window_secs), (10, 2));
    assert_eq!(
        (m.maximum_retry_attempts, m.maximum_record_age_secs),
        (3, 3600)
    );
    assert!(m.bisect_on_error && m.report_batch_item_failures && !m.enabled);
    assert_eq!(m.filter_patterns, vec![r#"{"eventName": ["INSERT"]}"#]);
    assert_eq!(
        m.on_failure_destination.as_deref(),
        Some("arn:aws:sqs:us-east-1:123456789012:dlq")
    );
    // Only what Sluice does not do is warned about, and the event type itself is not.
    assert_eq!(
        model.warnings,
        vec!["Resources.Consumer.Properties.Events.Changes.Properties.ParallelizationFactor: not emulated yet (ignored)"]
    );
}

#[test]
fn defaults_are_lambdas() {
    let model = load(&template(
        "        Changes:
          Type: DynamoDB
          Properties:
            Stream: !GetAtt Orders.StreamArn
            StartingPosition: TRIM_HORIZON
",
        "",
    ));
    let expected = StreamMapping::new(
        "Consumer/Changes",
        "Consumer",
        "orders",
        "arn:aws:dynamodb:us-east-1:123456789012:table/orders/stream/1970-01-01T00:00:00.000",
    );
    assert_eq!(model.stream_mappings, vec![expected]);
    assert_eq!(model.stream_mappings[0].batch_size, 100);
    assert_eq!(model.stream_mappings[0].maximum_retry_attempts, -1);
}

#[test]
fn an_event_source_mapping_on_a_stream_names_its_function_by_ref_or_arn() {
    let model = load(&template(
        "        Other:
          Type: Schedule
          Properties: {Schedule: rate(1 minute)}
",
        "
  ByName:
    Type: AWS::Lambda::EventSourceMapping
    Properties:
      EventSourceArn: !GetAtt Orders.StreamArn
      FunctionName: !Ref Consumer
      StartingPosition: TRIM_HORIZON
      BatchSize: 5
  ByArn:
    Type: AWS::Lambda::EventSourceMapping
    Properties:
      EventSourceArn: !GetAtt Refunds.StreamArn
      FunctionName: !GetAtt Consumer.Arn
      StartingPosition: LATEST
  Refunds:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{AttributeName: pk, AttributeType: S}]
      KeySchema: [{AttributeName: pk, KeyType: HASH}]
      StreamSpecification: {StreamViewType: KEYS_ONLY}
  FromQueue:
    Type: AWS::Lambda::EventSourceMapping
    Properties:
      EventSourceArn: arn:aws:sqs:us-east-1:123456789012:q
      FunctionName: !Ref Consumer
",
    ));
    let ids: Vec<(&str, &str, u32)> = model
        .stream_mappings
        .iter()
        .map(|m| (m.id.as_str(), m.function.as_str(), m.batch_size))
        .collect();
    assert_eq!(
        ids,
        vec![("ByName", "Consumer", 5), ("ByArn", "Consumer", 100)]
    );
    assert!(
        model
            .warnings
            .iter()
            .any(|w| w.starts_with("Resources.FromQueue: event source arn:aws:sqs")),
        "{:?}",
        model.warnings
    );
    assert!(
        !model
            .warnings
            .iter()
            .any(|w| w.contains("EventSourceMapping")),
        "{:?}",
        model.warnings
    );
}

/// Lambda refuses a second mapping of one stream to one function, so the template would not
/// deploy: an error naming the second one.
#[test]
fn two_mappings_of_one_stream_to_one_function_are_an_error() {
    let twice = load_err(&template(
        "        Changes:
          Type: DynamoDB
          Properties:
            Stream: !GetAtt Orders.StreamArn
            StartingPosition: LATEST
        Again:
          Type: DynamoDB
          Properties:
            Stream: !GetAtt Orders.StreamArn
            StartingPosition: TRIM_HORIZON
",
        "",
    ));
    assert!(
        twice.contains("Events.Again.Properties.Stream")
            && twice.contains("ResourceConflictException")
            && twice.contains("Consumer/Changes"),
        "{twice}"
    );
    let resource = load_err(&template(
        "        Changes:
          Type: DynamoDB
          Properties:
            Stream: !GetAtt Orders.StreamArn
            StartingPosition: LATEST
",
        "
  Mapping:
    Type: AWS::Lambda::EventSourceMapping
    Properties:
      EventSourceArn: !GetAtt Orders.StreamArn
      FunctionName: !Ref Consumer
      StartingPosition: LATEST
",
    ));
    assert!(
        resource.contains("Resources.Mapping.Properties.EventSourceArn"),
        "{resource}"
    );
}

#[test]
fn bad_settings_are_template_errors_naming_the_property() {
    let event = |props: &str| {
        template(
            &format!(
                "        Changes:
          Type: DynamoDB
          Properties:
            Stream: !GetAtt Orders.StreamArn
{props}"
            ),
            "",
        )
    };
    let missing = load_err(&event(""));
    assert!(
        missing.contains("Events.Changes.Properties.StartingPosition")
            && missing.contains("TRIM_HORIZON or LATEST"),
        "{missing}"
    );
    let batch = load_err(&event(
        "            StartingPosition: LATEST\n            BatchSize: 0\n",
    ));
    assert!(
        batch.contains("BatchSize") && batch.contains("from 1 to 10000"),
        "{batch}"
    );
    let pattern = load_err(&event(
        "            StartingPosition: LATEST\n            FilterCriteria:\n              Filters:\n                - Pattern: not json\n",
    ));
    assert!(
        pattern.contains("Filters[0].Pattern") && pattern.contains("not a JSON object"),
        "{pattern}"
    );
    let stream = load_err(&template(
        "        Changes:
          Type: DynamoDB
          Properties:
            Stream: arn:aws:kinesis:us-east-1:123456789012:stream/s
            StartingPosition: LATEST
",
        "",
    ));
    assert!(stream.contains("is not a DynamoDB stream ARN"), "{stream}");
}

/// AWS (Lambda docs, "Tenant isolation"): a tenant-isolated function is invoked only with a
/// tenant id, which a stream mapping never sends; the docs do not refuse the deployment, so
/// Sluice loads it and warns.
#[test]
fn a_stream_mapping_of_a_tenant_isolated_function_is_warned_of() {
    let changes = "        Changes:
          Type: DynamoDB
          Properties:
            Stream: !GetAtt Orders.StreamArn
            StartingPosition: LATEST
";
    let model = load(&template(changes, "").replace(
        "      Events:",
        "      TenancyConfig: {TenantIsolationMode: PER_TENANT}\n      Events:",
    ));
    assert_eq!(model.stream_mappings.len(), 1);
    assert!(
        model
            .warnings
            .iter()
            .any(|w| w.starts_with("Resources.Consumer:")
                && w.contains("Consumer/Changes")
                && w.contains("tenant isolation")),
        "{:?}",
        model.warnings
    );
    let standard = load(&template(changes, ""));
    assert!(
        !standard.warnings.iter().any(|w| w.contains("tenant")),
        "{:?}",
        standard.warnings
    );
}
