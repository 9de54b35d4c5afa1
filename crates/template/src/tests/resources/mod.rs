//! Resources: whole templates, conditions and warnings; functions and REST APIs by topic below.

mod functions;
mod rest_apis;

use std::path::PathBuf;

use super::{load, load_err};
use crate::{Code, Route};

/// The article's Items application.
const ITEMS: &str = "AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Description: Items API

Resources:
  ItemsFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.lambda_handler
      Runtime: python3.12
      MemorySize: 256
      Timeout: 30
      Events:
        ListItems:
          Type: Api
          Properties:
            Path: /items
            Method: get
        CreateItem:
          Type: Api
          Properties:
            Path: /items
            Method: post
        GetItem:
          Type: Api
          Properties:
            Path: /items/{id}
            Method: get
        DeleteItem:
          Type: Api
          Properties:
            Path: /items/{id}
            Method: delete

Outputs:
  ItemsApi:
    Value: !Sub 'https://${ServerlessRestApi}.execute-api.${AWS::Region}.amazonaws.com/Prod/items'
";

fn route(method: &str, path: &str, function: &str, event: &str) -> Route {
    Route {
        method: method.into(),
        path: path.into(),
        function: function.into(),
        event_name: event.into(),
        ..Default::default()
    }
}

#[test]
fn items_template() {
    let model = load(ITEMS);
    assert_eq!(model.template_path, PathBuf::from("/app/template.yaml"));
    assert_eq!(model.functions.len(), 1);
    let f = &model.functions[0];
    assert_eq!(f.logical_id, "ItemsFunction");
    assert_eq!(f.name, "ItemsFunction");
    assert_eq!(f.runtime, "python3.12");
    assert_eq!(f.handler, "app.lambda_handler");
    assert_eq!(f.code, Code::Dir(PathBuf::from("/app/src")));
    assert_eq!((f.memory_mb, f.timeout_secs), (256, 30));
    assert_eq!(f.architectures, vec!["x86_64".to_string()]);
    assert_eq!(
        (f.reserved_concurrency, f.build_method.clone()),
        (None, None)
    );
    assert!(f.environment.is_empty());
    assert_eq!(model.rest_apis.len(), 1);
    let api = &model.rest_apis[0];
    assert_eq!(
        (api.logical_id.as_str(), api.stage_name.as_str()),
        ("ServerlessRestApi", "Prod")
    );
    assert_eq!(
        api.routes,
        vec![
            route("GET", "/items", "ItemsFunction", "ListItems"),
            route("POST", "/items", "ItemsFunction", "CreateItem"),
            route("GET", "/items/{id}", "ItemsFunction", "GetItem"),
            route("DELETE", "/items/{id}", "ItemsFunction", "DeleteItem"),
        ]
    );
    assert!(model.warnings.is_empty(), "{:?}", model.warnings);
}

const FN: &str = "    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12";

#[test]
fn event_invoke_config_sets_retries_age_and_destinations() {
    // SAM's examples/2016-10-31/function_lambda_event_destinations: an OnSuccess Lambda
    // destination, read as the function's asynchronous settings.
    let model = load(&format!(
        "Transform: AWS::Serverless-2016-10-31
Resources:
  F:
{FN}
      EventInvokeConfig:
        MaximumRetryAttempts: 1
        MaximumEventAgeInSeconds: 120
        DestinationConfig:
          OnSuccess:
            Type: Lambda
            Destination: !GetAtt Other.Arn
  Other:
{FN}
"
    ));
    let settings = &model.functions[0].event_invoke;
    assert_eq!(settings.maximum_retry_attempts, Some(1));
    assert_eq!(settings.maximum_event_age_secs, Some(120));
    let on_success = settings.on_success.as_ref().unwrap();
    assert_eq!(on_success.kind, "Lambda");
    assert_eq!(
        on_success.target.as_deref(),
        Some("arn:aws:lambda:us-east-1:123456789012:function:Other")
    );
    assert!(settings.on_failure.is_none());
    assert!(model.warnings.is_empty(), "{:?}", model.warnings);
}

#[test]
fn event_invoke_config_names_each_destination_it_cannot_deliver_to() {
    // SAM creates the queue when `Destination` is absent; Sluice runs no SQS, so it says where.
    let model = load(&format!(
        "Transform: AWS::Serverless-2016-10-31
Resources:
  F:
{FN}
      DeadLetterQueue:
        Type: SQS
        TargetArn: arn:aws:sqs:us-east-1:123456789012:dlq
      EventInvokeConfig:
        DestinationConfig:
          OnFailure:
            Type: SQS
"
    ));
    assert_eq!(
        model.warnings,
        vec![
            "/app/template.yaml:14:13: Resources.F.Properties.EventInvokeConfig.DestinationConfig.OnFailure: SQS destinations are not emulated yet; Sluice logs the invocation record it would send".to_string(),
            "/app/template.yaml:9:9: Resources.F.Properties.DeadLetterQueue: dead-letter queues are not emulated yet; discarded events are only logged".to_string(),
        ]
    );
}

#[test]
fn a_durable_function_is_said_to_run_as_a_plain_one() {
    // AWS invokes it with a durable execution envelope its SDK expects; Sluice cannot.
    let model = load(&format!(
        "Transform: AWS::Serverless-2016-10-31
Resources:
  F:
{FN}
      DurableConfig:
        ExecutionTimeout: 900
"
    ));
    assert_eq!(
        model.warnings,
        vec!["/app/template.yaml:9:9: Resources.F.Properties.DurableConfig: durable functions are not emulated yet; the function is invoked as a plain one, which the durable execution SDK refuses".to_string()]
    );
}

#[test]
fn event_invoke_config_out_of_range_is_refused() {
    // AWS (PutFunctionEventInvokeConfig): MaximumRetryAttempts 0–2.
    let error = load_err(&format!(
        "Transform: AWS::Serverless-2016-10-31
Resources:
  F:
{FN}
      EventInvokeConfig:
        MaximumRetryAttempts: 3
"
    ));
    assert!(
        error.contains("MaximumRetryAttempts must be a whole number from 0 to 2"),
        "{error}"
    );
}

#[test]
fn a_lambda_event_invoke_config_resource_configures_the_function_it_names() {
    let model = load(&format!(
        "Transform: AWS::Serverless-2016-10-31
Resources:
  Config:
    Type: AWS::Lambda::EventInvokeConfig
    Properties:
      FunctionName: !Ref F
      Qualifier: $LATEST
      MaximumRetryAttempts: 0
      DestinationConfig:
        OnFailure:
          Destination: !GetAtt F.Arn
  F:
{FN}
"
    ));
    let settings = &model.functions[0].event_invoke;
    assert_eq!(settings.maximum_retry_attempts, Some(0));
    assert_eq!(settings.on_failure.as_ref().unwrap().kind, "Lambda");
    assert!(model.warnings.is_empty(), "{:?}", model.warnings);
}

#[test]
fn efs_mounts_warn_with_the_path_the_function_will_not_find() {
    let model = load(&format!(
        "Transform: AWS::Serverless-2016-10-31
Resources:
  F:
{FN}
      FileSystemConfigs:
        - Arn: !Sub arn:aws:elasticfilesystem:${{AWS::Region}}:${{AWS::AccountId}}:access-point/fsap-1
          LocalMountPath: /mnt/msg
"
    ));
    assert_eq!(model.functions.len(), 1);
    assert_eq!(
        model.warnings,
        vec![
            "Resources.F.Properties.FileSystemConfigs: EFS mounts are not emulated yet (ignored); the function finds no /mnt/msg"
                .to_string()
        ]
    );
}

#[test]
fn other_event_types_and_resources_warn() {
    let yaml = format!(
        "Transform: [AWS::Serverless-2016-10-31]
Resources:
  F:
{FN}
      Events:
        Upload:
          Type: S3
          Properties: {{Bucket: !Ref Bucket, Events: s3:ObjectCreated:*}}
        Queue:
          Type: SQS
  Bucket:
    Type: AWS::S3::Bucket
  Table:
    Type: AWS::Serverless::SimpleTable
"
    );
    let model = load(&yaml);
    assert_eq!(
        model.warnings,
        vec![
            "Resources.F.Properties.Events.Upload: event type S3 is not emulated yet (ignored)"
                .to_string(),
            "Resources.F.Properties.Events.Queue: event type SQS is not emulated yet (ignored)"
                .to_string(),
            "Resources.Bucket: resource type AWS::S3::Bucket is not emulated yet (ignored)"
                .to_string(),
        ]
    );
    assert!(model.rest_apis.is_empty());
}

#[test]
fn false_condition_drops_the_resource() {
    let yaml = format!(
        "Parameters:
  Env: {{Type: String, Default: dev}}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
Resources:
  Kept:
{FN}
  Dropped:
    Condition: IsProd
{FN}
      Events:
        E: {{Type: Api, Properties: {{Path: /x, Method: get}}}}
"
    );
    let model = load(&yaml);
    let ids: Vec<&str> = model
        .functions
        .iter()
        .map(|f| f.logical_id.as_str())
        .collect();
    assert_eq!(ids, vec!["Kept"]);
    assert!(
        model.rest_apis.is_empty(),
        "the dropped function's event must not create the implicit API"
    );
}

#[test]
fn missing_transform_warns() {
    let model = load(&format!("Resources:\n  F:\n{FN}\n"));
    assert!(
        model.warnings.iter().any(|w| w.starts_with("Transform:")),
        "{:?}",
        model.warnings
    );
}

#[test]
fn sam_init_hello_world_template() {
    let yaml = r#"AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Description: >
  sam-app

  Sample SAM Template for sam-app

Globals:
  Function:
    Timeout: 3
    MemorySize: 128
    Tracing: Active
    LoggingConfig:
      LogFormat: JSON
  Api:
    TracingEnabled: true
Resources:
  HelloWorldFunction:
    Type: AWS::Serverless::Function # comment
    Properties:
      CodeUri: hello_world/
      Handler: app.lambda_handler
      Runtime: python3.13
      Architectures:
      - x86_64
      Events:
        HelloWorld:
          Type: Api
          Properties:
            Path: /hello
            Method: get
  ApplicationResourceGroup:
    Type: AWS::ResourceGroups::Group
    Properties:
      Name:
        Fn::Sub: ApplicationInsights-SAM-${AWS::StackName}
      ResourceQuery:
        Type: CLOUDFORMATION_STACK_1_0
  ApplicationInsightsMonitoring:
    Type: AWS::ApplicationInsights::Application
    Properties:
      ResourceGroupName:
        Ref: ApplicationResourceGroup
      AutoConfigurationEnabled: 'true'
Outputs:
  HelloWorldApi:
    Value: !Sub "https://${ServerlessRestApi}.execute-api.${AWS::Region}.amazonaws.com/Prod/hello/"
  HelloWorldFunctionIamRole:
    Value: !GetAtt HelloWorldFunctionRole.Arn
"#;
    let model = load(yaml);
    assert_eq!(
        model.functions[0].code,
        Code::Dir(PathBuf::from("/app/hello_world"))
    );
    assert_eq!(
        model.rest_apis[0].routes,
        vec![route("GET", "/hello", "HelloWorldFunction", "HelloWorld")]
    );
    assert_eq!(
        model.warnings,
        vec![
            "Resources.ApplicationResourceGroup: resource type AWS::ResourceGroups::Group is not emulated yet (ignored)".to_string(),
            "Resources.ApplicationInsightsMonitoring: resource type AWS::ApplicationInsights::Application is not emulated yet (ignored)"
                .to_string(),
            "Globals.Api.TracingEnabled: not emulated yet (ignored)".to_string(),
        ]
    );
}

#[test]
fn load_reads_the_file_and_resolves_code_uri_next_to_it() {
    let dir = std::env::temp_dir().join(format!("sluice-template-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir is writable");
    let path = dir.join("template.yaml");
    std::fs::write(
        &path,
        format!("Resources:\n  F:\n{FN}\n      CodeUri: ./fn/\n"),
    )
    .expect("temp file is writable");
    let loaded = crate::load(&path, &crate::LoadOptions::default());
    let missing = crate::load(&dir.join("nope.yaml"), &crate::LoadOptions::default());
    std::fs::remove_dir_all(&dir).ok();
    let model = loaded.expect("template loads");
    assert_eq!(model.template_path, path);
    assert_eq!(model.functions[0].code, Code::Dir(dir.join("fn")));
    let err = missing.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(err.contains("nope.yaml: cannot read the template"), "{err}");
}

#[test]
fn a_resource_type_typo_is_an_error_with_the_type_it_misses() {
    let yaml = "Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Functon
    Properties:
      Handler: app.handler
      Runtime: python3.12
";
    assert_eq!(
        load_err(yaml),
        "/app/template.yaml:4:11: Resources.Fn.Type: AWS::Serverless::Functon is not a SAM resource type\n  hint: did you mean AWS::Serverless::Function?"
    );
    let cfn = "Resources:\n  T:\n    Type: AWS::DynamoDB::Tabel\n";
    assert!(
        load_err(cfn).ends_with("hint: did you mean AWS::DynamoDB::Table?"),
        "{}",
        load_err(cfn)
    );
}

#[test]
fn the_newer_sam_resource_types_are_known_and_warn_as_not_emulated() {
    // SAM's transform (aws-sam-translator 1.115) defines these; a template using them deploys.
    let yaml = format!(
        "Transform: AWS::Serverless-2016-10-31
Resources:
  F:
{FN}
  Ws:
    Type: AWS::Serverless::WebSocketApi
    Properties:
      RouteSelectionExpression: $request.body.action
      Routes: {{$default: {{FunctionArn: !GetAtt F.Arn}}}}
  Web:
    Type: AWS::Serverless::WebFunction
  Image:
    Type: AWS::Serverless::MicrovmImage
  Link:
    Type: AWS::Serverless::NetworkConnector
"
    );
    let model = load(&yaml);
    assert_eq!(
        model.warnings,
        [
            "Resources.Ws: resource type AWS::Serverless::WebSocketApi is not emulated yet (ignored)",
            "Resources.Web: resource type AWS::Serverless::WebFunction is not emulated yet (ignored)",
            "Resources.Image: resource type AWS::Serverless::MicrovmImage is not emulated yet (ignored)",
            "Resources.Link: resource type AWS::Serverless::NetworkConnector is not emulated yet (ignored)",
        ]
    );
}

#[test]
fn an_event_type_or_api_event_property_sam_does_not_know_is_refused_with_the_one_it_misses() {
    let event = |event: &str| {
        load_err(&format!(
            "Transform: AWS::Serverless-2016-10-31
Resources:
  F:
{FN}
      Events:
        Get:
{event}"
        ))
    };
    assert_eq!(
        event("          Type: Apii\n          Properties: {Path: /, Method: get}\n"),
        "/app/template.yaml:10:17: Resources.F.Properties.Events.Get.Type: \"Apii\" is not an event type of AWS::Serverless::Function; SAM refuses the template\n  hint: did you mean Api?"
    );
    assert_eq!(
        event("          Type: Api\n          Properties: {Path: /, Method: get, RestApi: Other}\n"),
        "/app/template.yaml:11:55: Resources.F.Properties.Events.Get.Properties.RestApi: RestApi is not a property of an Api event; SAM refuses the template\n  hint: did you mean RestApiId?"
    );
    // SAM's other event types and Api properties load, with the usual warnings.
    let model = load(&format!(
        "Transform: AWS::Serverless-2016-10-31
Resources:
  F:
{FN}
      Events:
        Get:
          Type: Api
          Properties: {{Path: /, Method: get, Stage: Prod}}
        Rule:
          Type: ScheduleV2
          Properties: {{ScheduleExpression: rate(1 minute)}}
"
    ));
    assert_eq!(
        model.warnings,
        [
            "Resources.F.Properties.Events.Get.Properties.Stage: not emulated yet (ignored)",
            "Resources.F.Properties.Events.Rule: event type ScheduleV2 is not emulated yet (ignored)",
        ]
    );
}

#[test]
fn resources_without_local_effect_are_accepted_quietly() {
    let yaml = format!(
        "Transform: AWS::Serverless-2016-10-31
Resources:
  F:
{FN}
  Capacity:
    Type: AWS::Serverless::CapacityProvider
    Properties: {{VpcConfig: {{SubnetIds: [a]}}}}
  Role:
    Type: AWS::IAM::Role
  Allow:
    Type: AWS::Lambda::Permission
  Jobs:
    Type: AWS::Batch::JobQueue
"
    );
    let model = load(&yaml);
    assert_eq!(
        model.warnings,
        ["Resources.Jobs: resource type AWS::Batch::JobQueue is not emulated yet (ignored)"]
    );
}

const FOR_EACH: &str = "Transform: [AWS::LanguageExtensions, AWS::Serverless-2016-10-31]
Parameters:
  Names:
    Type: CommaDelimitedList
    Default: alpha,beta-one,gamma
Resources:
  Fn::ForEach::Functions:
    - Name
    - !Ref Names
    - '&{Name}Function':
        Type: AWS::Serverless::Function
        Properties:
          Handler: app.handler
          Runtime: python3.12
          FunctionName: !Sub 'fn-${Name}'
          Environment:
            Variables:
              WHO: !Ref Name
              PLAIN: '${Name}-table'
              COUNT: !Length [a, b, c, d]
              JSON: !ToJsonString {a: [1, x]}
          Events:
            Get:
              Type: Api
              Properties: {Path: !Sub '/${Name}', Method: get}
";

#[test]
fn for_each_stamps_out_functions_and_their_routes() {
    let model = load(FOR_EACH);
    let functions: Vec<(&str, &str, &str)> = model
        .functions
        .iter()
        .map(|f| {
            (
                f.logical_id.as_str(),
                f.name.as_str(),
                f.environment["WHO"].as_str(),
            )
        })
        .collect();
    assert_eq!(
        functions,
        [
            ("alphaFunction", "fn-alpha", "alpha"),
            ("betaoneFunction", "fn-beta-one", "beta-one"),
            ("gammaFunction", "fn-gamma", "gamma"),
        ]
    );
    assert_eq!(
        model.rest_apis[0].routes,
        [
            route("GET", "/alpha", "alphaFunction", "Get"),
            route("GET", "/beta-one", "betaoneFunction", "Get"),
            route("GET", "/gamma", "gammaFunction", "Get"),
        ]
    );
    let env = &model.functions[0].environment;
    // A plain string's `${Name}` is replaced too, not only `!Sub`'s.
    assert_eq!(env["PLAIN"], "alpha-table");
    assert_eq!(model.functions[1].environment["PLAIN"], "beta-one-table");
    assert_eq!(env["COUNT"], "4");
    assert_eq!(env["JSON"], r#"{"a":[1,"x"]}"#);
    assert!(model.warnings.is_empty(), "{:?}", model.warnings);
}

#[test]
fn for_each_without_the_transform_is_an_error() {
    let yaml = FOR_EACH.replace("AWS::LanguageExtensions, ", "");
    let err = load_err(&yaml);
    assert!(
        err.contains("Resources.Fn::ForEach::Functions: Fn::ForEach needs the AWS::LanguageExtensions transform"),
        "{err}"
    );
}

/// A runtime Sluice cannot run (java, dotnet) is the server's to report at startup and its
/// invocations' to fail, as a missing module is: the model keeps the function, its events and
/// where its `Runtime` was written.
#[test]
fn a_function_sluice_cannot_run_is_kept_with_its_events_and_runtime_source() {
    let model = load(
        "Transform: AWS::Serverless-2016-10-31
Resources:
  Java:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: java21
      Handler: example.Handler::handleRequest
      Events:
        Get: {Type: Api, Properties: {Path: /java, Method: get}}
  Raw:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: dotnet8
      Handler: Assembly::Type::Method
      Code: {ZipFile: x}
  Py:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Events:
        Get: {Type: Api, Properties: {Path: /py, Method: get}}
",
    );
    let ids: Vec<_> = model
        .functions
        .iter()
        .map(|f| f.logical_id.as_str())
        .collect();
    assert_eq!(ids, ["Java", "Raw", "Py"]);
    assert_eq!(
        model.rest_apis[0].routes,
        [
            route("GET", "/java", "Java", "Get"),
            route("GET", "/py", "Py", "Get")
        ]
    );
    let java = &model.functions[0];
    assert_eq!(java.runtime, "java21");
    assert_eq!(
        java.runtime_source.property,
        "Resources.Java.Properties.Runtime"
    );
    assert_eq!((java.runtime_source.line, java.runtime_source.col), (6, 16));
    assert_eq!(
        model.functions[1].runtime_source.property,
        "Resources.Raw.Properties.Runtime"
    );
    assert!(model.warnings.is_empty(), "{:?}", model.warnings);
}

#[test]
fn a_key_a_resource_may_not_have_is_named_with_what_it_likely_meant() {
    let model = load(
        "Transform: AWS::Serverless-2016-10-31
Resources:
  Py:
    Type: AWS::Serverless::Function
    DependsOn: Table
    Metadata: {BuildMethod: python3.12}
    Properties:
      Runtime: python3.12
      Handler: app.handler
  Table:
    Type: AWS::Serverless::SimpleTable
    roperties: {TableName: t}
  Queue:
    Type: AWS::SQS::Queue
    Description: a queue
",
    );
    let attributes: Vec<_> = model
        .warnings
        .iter()
        .filter(|w| w.contains("not a resource attribute"))
        .collect();
    assert_eq!(
        attributes,
        [
            "Resources.Table.roperties: not a resource attribute (did you mean Properties?): the SAM transform drops it",
            "Resources.Queue.Description: not a resource attribute: CloudFormation rejects the template (ignored here)",
        ]
    );
}
