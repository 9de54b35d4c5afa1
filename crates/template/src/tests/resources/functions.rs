//! `AWS::Serverless::Function`: defaults and options, code locations, Globals, shared names, aliases
//! and layers.

use std::path::PathBuf;

use super::super::{load, load_err};
use super::FN;
use crate::Code;

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
fn cdk_asset_metadata_names_the_code_uri_folder() {
    // SAM CLI reads CDK's asset metadata in place of `CodeUri`; another property's asset is not it.
    let yaml = format!(
        "Resources:
  Asset:
{FN}
    Metadata:
      aws:asset:path: ./asset.abc
      aws:asset:property: CodeUri
  Other:
{FN}
      CodeUri: src
    Metadata:
      aws:asset:path: ./asset.def
      aws:asset:property: Content
"
    );
    let model = load(&yaml);
    assert_eq!(
        model.functions[0].code,
        Code::Dir(PathBuf::from("/app/asset.abc"))
    );
    assert_eq!(
        model.functions[1].code,
        Code::Dir(PathBuf::from("/app/src"))
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
fn auto_publish_alias_makes_ref_version_the_published_version_arn() {
    // SAM's examples/2016-10-31/lambda_safe_deployments: `!Ref safeTest.Version` names the
    // AWS::Lambda::Version SAM generates, whose Ref is the version's ARN (version 1 on a first
    // deploy, the one the alias points at).
    let yaml = "Transform: AWS::Serverless-2016-10-31
Resources:
  safeTest:
    Type: AWS::Serverless::Function
    Properties: {Handler: a.handler, Runtime: nodejs20.x, AutoPublishAlias: live}
  hook:
    Type: AWS::Serverless::Function
    Properties:
      Handler: b.handler
      Runtime: nodejs20.x
      Environment:
        Variables:
          CurrentVersion: !Ref safeTest.Version
";
    let model = load(yaml);
    assert_eq!(
        model.function("hook").unwrap().environment["CurrentVersion"],
        "arn:aws:lambda:us-east-1:123456789012:function:safeTest:1"
    );
}

#[test]
fn provisioned_concurrency_is_read_with_its_alias_and_from_globals() {
    let yaml = "Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    ProvisionedConcurrencyConfig:
      ProvisionedConcurrentExecutions: 2
Resources:
  Warm:
    Type: AWS::Serverless::Function
    Properties: {Handler: a.handler, Runtime: python3.12, AutoPublishAlias: live}
  Warmer:
    Type: AWS::Serverless::Function
    Properties:
      Handler: b.handler
      Runtime: python3.12
      AutoPublishAlias: live
      ProvisionedConcurrencyConfig:
        ProvisionedConcurrentExecutions: 5
";
    let model = load(yaml);
    assert_eq!(
        model.function("Warm").unwrap().provisioned_concurrency,
        Some(2)
    );
    assert_eq!(
        model.function("Warmer").unwrap().provisioned_concurrency,
        Some(5)
    );
}

#[test]
fn provisioned_concurrency_without_auto_publish_alias_is_refused_as_sam_does() {
    let yaml = "Transform: AWS::Serverless-2016-10-31
Resources:
  Cold:
    Type: AWS::Serverless::Function
    Properties:
      Handler: a.handler
      Runtime: python3.12
      ProvisionedConcurrencyConfig:
        ProvisionedConcurrentExecutions: 1
";
    let err = load_err(yaml);
    assert!(
        err.contains("Resources.Cold.Properties.ProvisionedConcurrencyConfig: Resource with id [Cold] is invalid. To set ProvisionedConcurrencyConfig AutoPublishALias must be defined on the function"),
        "{err}"
    );
}

#[test]
fn layers_sam_build_would_build_are_recorded_for_sluice_build_and_others_are_said_once() {
    // SAM builds a layer with a runtime BuildMethod into its `python/` or `nodejs/` folder and
    // runs `make build-<id>` for `makefile` (sessions-with-aws-sam's lambda-layers demo app uses
    // `BuildMethod: nodejs12.x`); Sluice builds those too. It builds no java layer: said once.
    let dir = std::env::temp_dir().join(format!("sluice-built-layer-{}", std::process::id()));
    for layer in ["common", "deps", "jars"] {
        std::fs::create_dir_all(dir.join("layers").join(layer)).unwrap();
    }
    let template = dir.join("template.yaml");
    let body = "Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Handler: app.handler
    Runtime: nodejs20.x
    Layers: [!Ref Common, !Ref Deps, !Ref Jars]
Resources:
  Common:
    Type: AWS::Serverless::LayerVersion
    Properties: {ContentUri: layers/common/}
    Metadata:
      BuildMethod: makefile
  Deps:
    Type: AWS::Serverless::LayerVersion
    Properties: {ContentUri: layers/deps/}
    Metadata:
      BuildMethod: nodejs12.x
  Jars:
    Type: AWS::Serverless::LayerVersion
    Properties: {ContentUri: layers/jars/}
    Metadata:
      BuildMethod: java11
  F:
    Type: AWS::Serverless::Function
  G:
    Type: AWS::Serverless::Function
";
    std::fs::write(&template, body).unwrap();
    let model = crate::load(&template, &crate::LoadOptions::default()).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(model.functions.len(), 2);
    let builds = |f: &crate::Function| {
        f.layer_builds
            .iter()
            .map(|b| {
                (
                    b.logical_id.clone(),
                    b.content.strip_prefix(&dir).unwrap().to_owned(),
                    b.build_method.clone(),
                )
            })
            .collect::<Vec<_>>()
    };
    let expected = vec![
        (
            "Common".to_owned(),
            PathBuf::from("layers/common"),
            "makefile".to_owned(),
        ),
        (
            "Deps".to_owned(),
            PathBuf::from("layers/deps"),
            "nodejs12.x".to_owned(),
        ),
    ];
    assert_eq!(builds(&model.functions[0]), expected);
    assert_eq!(builds(&model.functions[1]), expected);
    assert_eq!(model.functions[0].layers.len(), 3);
    assert_eq!(
        model.warnings,
        [format!(
            "{}:22:20: Resources.Jars.Metadata.BuildMethod: layer Jars is built by `sam build` (java11); Sluice builds python, nodejs and makefile layers only, so functions see its ContentUri folder as it is (build the layer there, or point ContentUri at the built folder)",
            template.display()
        )]
    );
}

#[test]
fn a_layer_one_nested_stack_outputs_is_the_local_folder_in_the_stack_it_is_passed_to() {
    // serverless-patterns' lambda-layer-ssm-parameters: the Layer application outputs
    // `!Ref Layer` (the layer version's ARN, on AWS) and the parent passes it to the Function
    // application as `LayerArn: !GetAtt Layer.Outputs.LayerArn`, declared after it or not.
    // Sluice evaluated the GetAtt before the Layer stack was loaded and refused the template
    // ("Layer-Outputs.LayerArn is not a layer version ARN").
    let dir = std::env::temp_dir().join(format!("sluice-nested-layer-{}", std::process::id()));
    for folder in ["layer/src/nodejs", "function/src"] {
        std::fs::create_dir_all(dir.join(folder)).unwrap();
    }
    let write = |path: &str, text: &str| std::fs::write(dir.join(path), text).unwrap();
    write(
        "template.yml",
        "Transform: AWS::Serverless-2016-10-31
Resources:
  Function:
    Type: AWS::Serverless::Application
    Properties:
      Location: ./function/template.yml
      Parameters:
        LayerArn: !GetAtt Layer.Outputs.LayerArn
  Layer:
    Type: AWS::Serverless::Application
    Properties:
      Location: ./layer/template.yml
      Parameters: {AppName: config-example}
",
    );
    write(
        "layer/template.yml",
        "Transform: AWS::Serverless-2016-10-31
Parameters:
  AppName: {Type: String}
Resources:
  Layer:
    Type: AWS::Serverless::LayerVersion
    Properties:
      LayerName: !Sub ${AppName}-layer
      ContentUri: ./src
    Metadata:
      BuildMethod: nodejs22.x
Outputs:
  LayerArn:
    Value: !Ref Layer
",
    );
    write(
        "function/template.yml",
        "Transform: AWS::Serverless-2016-10-31
Parameters:
  LayerArn: {Type: String}
Resources:
  Function:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs22.x
      CodeUri: ./src
      Handler: app.handler
      Layers: [!Ref LayerArn]
",
    );
    let model = crate::load(&dir.join("template.yml"), &crate::LoadOptions::default());
    std::fs::remove_dir_all(&dir).unwrap();
    let model = model.unwrap();
    assert_eq!(model.warnings, Vec::<String>::new());
    let function = &model.functions[0];
    assert_eq!(function.layers, [dir.join("layer/src")]);
    assert_eq!(
        function.layer_builds,
        [crate::LayerBuild {
            logical_id: "Layer".to_owned(),
            content: dir.join("layer/src"),
            build_method: "nodejs22.x".to_owned(),
        }]
    );
    // AWS: Ref of a layer version is its ARN.
    assert!(model
        .layers
        .contains_key("arn:aws:lambda:us-east-1:123456789012:layer:config-example-layer:1"));
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

#[test]
fn a_layer_stored_in_s3_warns_and_the_function_runs_without_it() {
    // As with an S3 CodeUri, an S3 layer cannot be fetched offline; the function still loads.
    let model = load(
        "Transform: AWS::Serverless-2016-10-31
Resources:
  Remote:
    Type: AWS::Serverless::LayerVersion
    Properties: {ContentUri: s3://bucket/layer.zip}
  Raw:
    Type: AWS::Lambda::LayerVersion
    Properties:
      Content: {S3Bucket: bucket, S3Key: layer.zip}
  F:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      Layers: [!Ref Remote, !Ref Raw]
",
    );
    assert!(model.functions[0].layers.is_empty());
    assert_eq!(
        model.warnings,
        [
            "Resources.F.Properties.Layers.0: layer Remote is stored in S3, which is not available offline (the function runs without it)",
            "Resources.F.Properties.Layers.1: layer Raw is stored in S3, which is not available offline (the function runs without it)",
        ]
    );
}

#[test]
fn a_layer_that_is_not_a_layer_version_arn_is_refused_as_lambda_refuses_it() {
    // CloudFormation: Lambda rejects the function (Layers member must match
    // arn:…:lambda:<region>:<12-digit account>:layer:<name>:<version>). Here `${LayerVersion}`
    // stays literal: no `!Sub` resolves it.
    let err = load_err(&format!(
        "Resources:\n  F:\n{FN}\n      Layers:\n        - arn:aws:lambda:us-west-2:111111111101:layer:missing:${{LayerVersion}}\n"
    ));
    assert!(
        err.contains("Resources.F.Properties.Layers.0: arn:aws:lambda:us-west-2:111111111101:layer:missing:${LayerVersion} is not a layer version ARN"),
        "{err}"
    );
    for bad in [
        "arn:aws:lambda:us-east-1:1234:layer:short-account:1",
        "arn:aws:lambda:us-east-1:123456789012:layer:no-version",
        "arn:aws:s3:::bucket",
    ] {
        let err = load_err(&format!("Resources:\n  F:\n{FN}\n      Layers: [{bad}]\n"));
        assert!(err.contains("is not a layer version ARN"), "{bad}: {err}");
    }
}

#[test]
fn inline_code_wins_over_a_code_uri_as_in_sam() {
    let model = load(
        "Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    CodeUri: src/
Resources:
  Inline:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      InlineCode: 'def handler(e, c): return 1'
",
    );
    assert_eq!(
        model.functions[0].code,
        Code::Inline("def handler(e, c): return 1".into())
    );
    assert_eq!(
        model.warnings,
        ["Resources.Inline.Properties.CodeUri: ignored, as SAM ignores it beside InlineCode"]
    );
}

#[test]
fn esbuild_build_properties_are_read_with_their_types() {
    let model = load(
        "Parameters:
  Target: {Type: String, Default: es2022}
Resources:
  Ts:
    Type: AWS::Serverless::Function
    Metadata:
      BuildMethod: esbuild
      BuildProperties:
        Minify: false
        Target: !Ref Target
        EntryPoints: [app.ts]
    Properties:
      CodeUri: .
      Handler: app.handler
      Runtime: nodejs20.x
",
    );
    let f = &model.functions[0];
    assert_eq!(f.build_method.as_deref(), Some("esbuild"));
    assert_eq!(
        f.build_properties,
        serde_json::json!({"Minify": false, "Target": "es2022", "EntryPoints": ["app.ts"]})
    );
}

#[test]
fn tenancy_config_turns_tenant_isolation_on() {
    // serverless-patterns apigw-lambda-tenant-isolation: one isolated function beside a standard
    // one; Globals may carry it (samtranslator lists TenancyConfig there), and a raw
    // AWS::Lambda::Function takes the same property.
    let model = load(
        "Globals:
  Function:
    TenancyConfig: {TenantIsolationMode: PER_TENANT}
Resources:
  Isolated:
    Type: AWS::Serverless::Function
    Properties: {CodeUri: ., Handler: app.handler, Runtime: python3.12}
  Raw:
    Type: AWS::Lambda::Function
    Properties:
      Code: .
      Handler: app.handler
      Runtime: python3.12
      Role: arn:aws:iam::123456789012:role/r
      TenancyConfig:
        TenantIsolationMode: PER_TENANT
  RawStandard:
    Type: AWS::Lambda::Function
    Properties:
      Code: .
      Handler: app.handler
      Runtime: python3.12
      Role: arn:aws:iam::123456789012:role/r
",
    );
    let isolated = |id: &str| model.function(id).expect(id).tenant_isolation;
    assert!(isolated("Isolated"));
    assert!(isolated("Raw"));
    assert!(!isolated("RawStandard"));
    let err = load_err(&format!(
        "Resources:
  Fn:
{FN}
      TenancyConfig: {{TenantIsolationMode: PER_REQUEST}}
"
    ));
    assert!(
        err.contains("TenancyConfig.TenantIsolationMode") && err.contains("PER_TENANT"),
        "{err}"
    );
}

/// AWS (Lambda docs, "Tenant isolation"): "Tenant isolation mode is not supported with functions
/// that use function URLs, provisioned concurrency, or SnapStart": refused at the property.
#[test]
fn tenant_isolation_refuses_function_urls_provisioned_concurrency_and_snap_start() {
    let isolated = |extra: &str| {
        format!(
            "Resources:
  Fn:
{FN}
      TenancyConfig: {{TenantIsolationMode: PER_TENANT}}
{extra}"
        )
    };
    let raw = "  Raw:
    Type: AWS::Lambda::Function
    Properties:
      Code: .
      Handler: app.handler
      Runtime: python3.12
      Role: arn:aws:iam::123456789012:role/r
      TenancyConfig: {TenantIsolationMode: PER_TENANT}
";
    for (yaml, property, feature) in [
        (
            isolated("      FunctionUrlConfig: {AuthType: NONE}\n"),
            "Resources.Fn.Properties.FunctionUrlConfig",
            "a function URL",
        ),
        (
            isolated(
                "      AutoPublishAlias: live
      ProvisionedConcurrencyConfig: {ProvisionedConcurrentExecutions: 1}
",
            ),
            "Resources.Fn.Properties.ProvisionedConcurrencyConfig",
            "provisioned concurrency",
        ),
        (
            isolated("      SnapStart: {ApplyOn: PublishedVersions}\n"),
            "Resources.Fn.Properties.SnapStart",
            "SnapStart",
        ),
        (
            isolated(
                "  Url:
    Type: AWS::Lambda::Url
    Properties: {TargetFunctionArn: !GetAtt Fn.Arn, AuthType: NONE}
",
            ),
            "Resources.Url.Properties.TargetFunctionArn",
            "a function URL",
        ),
        (
            format!("Resources:\n{raw}      SnapStart: {{ApplyOn: PublishedVersions}}\n"),
            "Resources.Raw.Properties.SnapStart",
            "SnapStart",
        ),
    ] {
        let err = load_err(&yaml);
        assert!(
            err.contains("/app/template.yaml:")
                && err.contains(property)
                && err.contains(&format!("Lambda does not support {feature}")),
            "{err}"
        );
    }
    // SnapStart turned off is no SnapStart.
    let model = load(&isolated("      SnapStart: {ApplyOn: None}\n"));
    assert!(model.function("Fn").expect("Fn").tenant_isolation);
}
