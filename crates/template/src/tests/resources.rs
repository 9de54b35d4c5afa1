//! Functions, APIs, routes, Globals, conditions and warnings.
//!
//! Long: one test per resource-reader feature; split by topic when it next grows.

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
fn function_defaults_and_options() {
    let yaml = format!(
        "Resources:
  Plain:
{FN}
  Full:
    Type: AWS::Serverless::Function
    Metadata:
      BuildMethod: rust-cargolambda
    Properties:
      FunctionName: full-fn
      CodeUri: ./target/lambda/../lambda/full
      Runtime: provided.al2023
      Architectures: [arm64]
      ReservedConcurrentExecutions: 5
      Environment:
        Variables:
          COUNT: 3
  Inline:
{FN}
      InlineCode: |
        def handler(e, c): return 1
"
    );
    let model = load(&yaml);
    let [plain, full, inline] = &model.functions[..] else {
        panic!("{:?}", model.functions)
    };
    assert_eq!((plain.memory_mb, plain.timeout_secs), (128, 3));
    assert_eq!(plain.code, Code::Dir(PathBuf::from("/app")));
    assert_eq!(full.name, "full-fn");
    assert_eq!(full.handler, "");
    assert_eq!(
        full.code,
        Code::Dir(PathBuf::from("/app/target/lambda/full"))
    );
    assert_eq!(full.architectures, vec!["arm64".to_string()]);
    assert_eq!(full.reserved_concurrency, Some(5));
    assert_eq!(full.build_method.as_deref(), Some("rust-cargolambda"));
    assert_eq!(full.environment["COUNT"], "3");
    assert_eq!(
        inline.code,
        Code::Inline("def handler(e, c): return 1\n".into())
    );
    assert!(
        model.rest_apis.is_empty(),
        "no Api events, so no implicit API"
    );
}

#[test]
fn s3_code_uri_warns_and_uses_the_template_folder() {
    let yaml = format!("Resources:\n  F:\n{FN}\n      CodeUri: s3://bucket/key.zip\n  G:\n{FN}\n      CodeUri: {{Bucket: b, Key: k}}\n");
    let model = load(&yaml);
    assert_eq!(model.functions[0].code, Code::Dir(PathBuf::from("/app")));
    assert_eq!(model.functions[1].code, Code::Dir(PathBuf::from("/app")));
    assert_eq!(
        model
            .warnings
            .iter()
            .filter(|w| w.contains("CodeUri"))
            .count(),
        2,
        "{:?}",
        model.warnings
    );
}

#[test]
fn missing_runtime_and_handler_are_errors() {
    let yaml = "Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      Handler: app.handler\n";
    let err = load_err(yaml);
    assert!(
        err.starts_with(
            "/app/template.yaml:5:7: Resources.F.Properties.Runtime: Runtime is required"
        ),
        "{err}"
    );
    let yaml = "Resources:\n  F:\n    Type: AWS::Serverless::Function\n    Properties:\n      Runtime: nodejs20.x\n";
    let err = load_err(yaml);
    assert!(
        err.contains("Resources.F.Properties.Handler: Handler is required"),
        "{err}"
    );
}

#[test]
fn globals_merge_scalars_maps_and_lists() {
    let yaml = "Globals:
  Function:
    Runtime: python3.11
    Handler: app.handler
    Timeout: 10
    MemorySize: 512
    Environment:
      Variables:
        SHARED: global
        OVERRIDDEN: global
  Api:
    BinaryMediaTypes: ['image~1png']
    Variables:
      A: global
Resources:
  F:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Timeout: 20
      Environment:
        Variables:
          OVERRIDDEN: local
          LOCAL: local
      Events:
        E:
          Type: Api
          Properties: {Path: /x, Method: get, RestApiId: !Ref MyApi}
  MyApi:
    Type: AWS::Serverless::Api
    Properties:
      StageName: v1
      BinaryMediaTypes: ['*~1*']
      Variables:
        B: local
";
    let model = load(yaml);
    let f = &model.functions[0];
    assert_eq!(
        (f.runtime.as_str(), f.handler.as_str()),
        ("python3.12", "app.handler")
    );
    assert_eq!((f.timeout_secs, f.memory_mb), (20, 512));
    let env: Vec<(&str, &str)> = f
        .environment
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        env,
        vec![
            ("LOCAL", "local"),
            ("OVERRIDDEN", "local"),
            ("SHARED", "global")
        ]
    );
    let api = &model.rest_apis[0];
    assert_eq!(
        api.binary_media_types,
        vec!["image/png".to_string(), "*/*".to_string()]
    );
    assert_eq!(api.stage_variables.len(), 2);
    assert_eq!(api.stage_name, "v1");
}

#[test]
fn implicit_and_explicit_apis() {
    let yaml = format!(
        "Globals:
  Api:
    StageName: ignored-for-implicit
Resources:
  Api1:
    Type: AWS::Serverless::Api
    Properties:
      StageName: dev
      Variables: {{mode: test}}
  F:
{FN}
      Events:
        Implicit:
          Type: Api
          Properties: {{Path: /a, Method: any}}
        Explicit:
          Type: Api
          Properties: {{Path: '/{{proxy+}}', Method: Post, RestApiId: Api1}}
"
    );
    let model = load(&yaml);
    let ids: Vec<&str> = model
        .rest_apis
        .iter()
        .map(|a| a.logical_id.as_str())
        .collect();
    assert_eq!(ids, vec!["Api1", "ServerlessRestApi"]);
    assert_eq!(model.rest_apis[0].stage_name, "dev");
    assert_eq!(model.rest_apis[0].stage_variables["mode"], "test");
    assert_eq!(
        model.rest_apis[0].routes,
        vec![route("POST", "/{proxy+}", "F", "Explicit")]
    );
    assert_eq!(model.rest_apis[1].stage_name, "Prod");
    assert_eq!(
        model.rest_apis[1].routes,
        vec![route("ANY", "/a", "F", "Implicit")]
    );
}

#[test]
fn api_requires_stage_name_and_warns_on_other_properties() {
    let err = load_err(
        "Resources:\n  A:\n    Type: AWS::Serverless::Api\n    Properties:\n      Name: x\n",
    );
    assert!(
        err.contains("Resources.A.Properties.StageName: StageName is required"),
        "{err}"
    );
    let model = load("Transform: AWS::Serverless-2016-10-31\nResources:\n  A:\n    Type: AWS::Serverless::Api\n    Properties:\n      StageName: s\n      AccessLogSetting: {}\n      TracingEnabled: true\n");
    assert_eq!(
        model.warnings,
        vec![
            // `Auth` and `MethodSettings` are emulated now (see tests/auth.rs); two properties
            // that are not stand in for them.
            "Resources.A.Properties.AccessLogSetting: not emulated yet (ignored)".to_string(),
            "Resources.A.Properties.TracingEnabled: not emulated yet (ignored)".to_string()
        ]
    );
}

#[test]
fn rest_api_id_to_missing_resource_is_an_error() {
    let yaml = format!("Resources:\n  F:\n{FN}\n      Events:\n        E:\n          Type: Api\n          Properties:\n            Path: /x\n            Method: get\n            RestApiId: !Ref Nope\n");
    let err = load_err(&yaml);
    assert!(
        err.starts_with(
            "/app/template.yaml:13:24: Resources.F.Properties.Events.E.Properties.RestApiId: "
        ),
        "{err}"
    );
    assert!(err.contains("no resource Nope"), "{err}");
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
fn duplicate_routes_are_errors() {
    let yaml = format!(
        "Resources:\n  F:\n{FN}\n      Events:\n        A: {{Type: Api, Properties: {{Path: /x, Method: get}}}}\n        B: {{Type: Api, Properties: {{Path: /x, Method: GET}}}}\n"
    );
    let err = load_err(&yaml);
    assert!(
        err.contains("Resources.F.Properties.Events.B")
            && err.contains("already defined by Resources.F.Properties.Events.A"),
        "{err}"
    );
}

#[test]
fn routes_differing_only_in_variable_names_conflict_with_positions() {
    // Same method: one route shadows the other.
    let yaml = format!(
        "Resources:\n  F:\n{FN}\n      Events:\n        A: {{Type: Api, Properties: {{Path: \"/a/{{id}}\", Method: get}}}}\n        B: {{Type: Api, Properties: {{Path: \"/a/{{name}}/\", Method: get}}}}\n"
    );
    let err = load_err(&yaml);
    assert!(
        err.contains("already defined by Resources.F.Properties.Events.A"),
        "{err}"
    );
    // Other methods: API Gateway still keeps one variable name per position of a path.
    let yaml = format!(
        "Resources:\n  F:\n{FN}\n      Events:\n        A: {{Type: Api, Properties: {{Path: \"/a/{{id}}\", Method: get}}}}\n        B: {{Type: Api, Properties: {{Path: \"/a/{{name}}/x\", Method: post}}}}\n"
    );
    let err = load_err(&yaml);
    assert!(
        err.contains(":9:")
            && err.contains("Resources.F.Properties.Events.B.Properties.Path")
            && err.contains("{name}")
            && err.contains("{id}"),
        "{err}"
    );
    // Separate APIs may name them as they like.
    let yaml = format!(
        "Resources:\n  Other:\n    Type: AWS::Serverless::Api\n    Properties: {{StageName: v1}}\n  F:\n{FN}\n      Events:\n        A: {{Type: Api, Properties: {{Path: \"/a/{{id}}\", Method: get}}}}\n        B: {{Type: Api, Properties: {{Path: \"/a/{{name}}\", Method: get, RestApiId: !Ref Other}}}}\n"
    );
    assert_eq!(load(&yaml).rest_apis.len(), 2);
}

#[test]
fn invalid_paths_are_template_errors_at_the_path() {
    let yaml = format!(
        "Resources:\n  F:\n{FN}\n      Events:\n        A: {{Type: Api, Properties: {{Path: \"/{{proxy+}}/x\", Method: get}}}}\n"
    );
    let err = load_err(&yaml);
    assert!(
        err.contains("Resources.F.Properties.Events.A.Properties.Path") && err.contains("greedy"),
        "{err}"
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

#[test]
fn functions_sharing_a_function_name_both_run_and_the_name_reaches_the_first() {
    let yaml = "Transform: AWS::Serverless-2016-10-31
Resources:
  First:
    Type: AWS::Serverless::Function
    Properties: {Handler: a.handler, Runtime: python3.12, FunctionName: shared}
  Second:
    Type: AWS::Serverless::Function
    Properties: {Handler: b.handler, Runtime: python3.12, FunctionName: shared}
";
    let model = load(yaml);
    let names: Vec<(&str, &str)> = model
        .functions
        .iter()
        .map(|f| (f.logical_id.as_str(), f.name.as_str()))
        .collect();
    assert_eq!(names, [("First", "shared"), ("Second", "Second")]);
    assert_eq!(
        model.function("shared").map(|f| f.logical_id.as_str()),
        Some("First")
    );
    assert_eq!(
        model.warnings,
        ["Resources.Second.Properties.FunctionName: shared is also the name of First (AWS would refuse to deploy both); Second runs under its logical id, and the Invoke API resolves shared to First"]
    );
}

#[test]
fn auto_publish_alias_makes_ref_alias_the_qualified_arn() {
    let yaml = "Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    AutoPublishAlias: live
Resources:
  Worker:
    Type: AWS::Serverless::Function
    Properties: {Handler: a.handler, Runtime: python3.12, FunctionName: worker}
  Caller:
    Type: AWS::Serverless::Function
    Properties:
      Handler: b.handler
      Runtime: python3.12
      AutoPublishAlias: blue
      Environment:
        Variables:
          WORKER: !Ref Worker.Alias
          SELF: !Ref Caller.Alias
";
    let model = load(yaml);
    let caller = model.function("Caller").unwrap();
    assert_eq!(
        caller.environment["WORKER"],
        "arn:aws:lambda:us-east-1:123456789012:function:worker:live"
    );
    assert_eq!(
        caller.environment["SELF"],
        "arn:aws:lambda:us-east-1:123456789012:function:Caller:blue"
    );
    assert_eq!(caller.alias.as_deref(), Some("blue"));
    assert_eq!(
        model.function("worker").unwrap().alias.as_deref(),
        Some("live")
    );
}

#[test]
fn local_layers_become_folders_in_order_and_remote_ones_warn() {
    let dir = std::env::temp_dir().join(format!("sluice-layers-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("layers/common")).unwrap();
    std::fs::create_dir_all(dir.join("layers/extra")).unwrap();
    let template = dir.join("template.yaml");
    let body = "Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Layers: [!Ref Common]
Resources:
  Common:
    Type: AWS::Serverless::LayerVersion
    Properties: {ContentUri: layers/common/}
  Extra:
    Type: AWS::Lambda::LayerVersion
    Properties: {Content: ./layers/extra}
  F:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      Layers:
        - !Ref Extra
        - arn:aws:lambda:us-east-1:017000801446:layer:AWSLambdaPowertoolsPythonV2:79
";
    std::fs::write(&template, body).unwrap();
    let model = crate::load(&template, &crate::LoadOptions::default()).unwrap();
    assert_eq!(
        model.functions[0].layers,
        [dir.join("layers/common"), dir.join("layers/extra")]
    );
    assert_eq!(
        model.warnings,
        ["Resources.F.Properties.Layers.2: layer arn:aws:lambda:us-east-1:017000801446:layer:AWSLambdaPowertoolsPythonV2:79 is not in this template and cannot be fetched offline (the function runs without it)"]
    );
    std::fs::remove_dir_all(dir.join("layers/extra")).unwrap();
    let err = crate::load(&template, &crate::LoadOptions::default())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("Resources.Extra.Properties.Content: folder")
            && err.contains("layers/extra does not exist"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
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
