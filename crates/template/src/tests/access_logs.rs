//! `AccessLogSetting(s)`: the log group and format a stage's access log uses.

use super::{load, load_err};
use crate::StageAccessLog;

const FUNCTION: &str = "  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      Events:
        Rest: {Type: Api, Properties: {Path: /r, Method: get, RestApiId: !Ref Rest}}
        Http: {Type: HttpApi, Properties: {Path: /h, Method: get, ApiId: !Ref Http}}
";

fn template(rest: &str, http: &str) -> String {
    format!(
        "Transform: AWS::Serverless-2016-10-31
Resources:
{FUNCTION}  Logs:
    Type: AWS::Logs::LogGroup
    Properties: {{LogGroupName: /sluice/access}}
  Unnamed:
    Type: AWS::Logs::LogGroup
  Rest:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
{rest}  Http:
    Type: AWS::Serverless::HttpApi
    Properties:
{http}"
    )
}

#[test]
fn get_att_arn_and_sub_arn_name_the_log_group() {
    let model = load(&template(
        "      AccessLogSetting:
        DestinationArn: !GetAtt Logs.Arn
        Format: '{\"requestId\":\"$context.requestId\",\"status\":\"$context.status\"}'
",
        "      AccessLogSettings:
        DestinationArn: !Sub arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:${Unnamed}
        Format: \"$context.requestId $context.routeKey\\n\"
",
    ));
    assert!(model.warnings.is_empty(), "{:?}", model.warnings);
    assert_eq!(
        model.access_logs,
        vec![
            StageAccessLog {
                api: "Rest".into(),
                log_group: "/sluice/access".into(),
                format: r#"{"requestId":"$context.requestId","status":"$context.status"}"#.into(),
            },
            // A group without LogGroupName is named for its logical id; the final newline AWS
            // allows is not part of the line.
            StageAccessLog {
                api: "Http".into(),
                log_group: "Unnamed".into(),
                format: "$context.requestId $context.routeKey".into(),
            },
        ]
    );
}

#[test]
fn globals_set_the_implicit_apis_access_log() {
    let model = load(
        "Transform: AWS::Serverless-2016-10-31
Globals:
  Api:
    AccessLogSetting:
      DestinationArn: arn:aws:logs:us-east-1:123456789012:log-group:api-access:*
      Format: $context.extendedRequestId $context.status
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      Events:
        Rest: {Type: Api, Properties: {Path: /r, Method: get}}
",
    );
    assert_eq!(model.access_logs.len(), 1);
    assert_eq!(model.access_logs[0].api, "ServerlessRestApi");
    assert_eq!(model.access_logs[0].log_group, "api-access");
}

#[test]
fn a_raw_stage_logs_for_its_api() {
    let model = load(
        "Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties: {Runtime: python3.12, Handler: app.handler, Code: ./src}
  Api:
    Type: AWS::ApiGatewayV2::Api
    Properties: {Name: quick, ProtocolType: HTTP, Target: !GetAtt Fn.Arn}
  Logs:
    Type: AWS::Logs::LogGroup
  Stage:
    Type: AWS::ApiGatewayV2::Stage
    Properties:
      ApiId: !Ref Api
      StageName: prod
      AccessLogSettings: {DestinationArn: !GetAtt Logs.Arn, Format: $context.requestId}
",
    );
    assert_eq!(
        model.access_logs,
        vec![StageAccessLog {
            api: "Api".into(),
            log_group: "Logs".into(),
            format: "$context.requestId".into(),
        }]
    );
}

#[test]
fn half_a_setting_leaves_logging_off_with_a_warning() {
    let model = load(&template(
        "      AccessLogSetting: {Format: $context.requestId}\n",
        "      AccessLogSettings: {}\n",
    ));
    assert!(model.access_logs.is_empty());
    assert_eq!(
        model.warnings,
        vec!["Resources.Rest.Properties.AccessLogSetting: access logging needs both DestinationArn and Format; it stays off".to_string()]
    );
}

#[test]
fn formats_aws_refuses_are_template_errors() {
    let err = load_err(&template(
        "      AccessLogSetting: {DestinationArn: !GetAtt Logs.Arn, Format: $context.status}\n",
        "",
    ));
    assert!(
        err.contains("Resources.Rest.Properties.AccessLogSetting.Format: Access Log format must contain at least one of $context.requestId or $context.extendedRequestId"),
        "{err}"
    );
    let err = load_err(&template(
        "",
        "      AccessLogSettings: {DestinationArn: !GetAtt Logs.Arn, Format: \"$context.requestId\\n$context.status\"}\n",
    ));
    assert!(
        err.contains("Resources.Http.Properties.AccessLogSettings.Format: Access Log format must be single line"),
        "{err}"
    );
}

#[test]
fn a_destination_that_is_no_log_group_is_an_error_and_firehose_is_not_emulated() {
    let err = load_err(&template(
        "      AccessLogSetting: {DestinationArn: my-group, Format: $context.requestId}\n",
        "",
    ));
    assert!(
        err.contains(
            "AccessLogSetting.DestinationArn: \"my-group\" is not a CloudWatch Logs log group ARN"
        ),
        "{err}"
    );
    let model = load(&template(
        "      AccessLogSetting: {DestinationArn: 'arn:aws:firehose:us-east-1:123456789012:deliverystream/amazon-apigateway-x', Format: $context.requestId}\n",
        "",
    ));
    assert!(model.access_logs.is_empty());
    assert!(
        model.warnings[0].contains("Firehose destination is not emulated"),
        "{:?}",
        model.warnings
    );
}

/// A raw REST API `Api` with one method, and `stages` (its Stage / Deployment resources).
fn raw_rest(stages: &str) -> String {
    format!(
        "Conditions:
  Off: !Equals [a, b]
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties: {{Runtime: python3.12, Handler: app.handler, Code: ./src}}
  Logs:
    Type: AWS::Logs::LogGroup
    Properties: {{LogGroupName: /raw/deployment}}
  Api:
    Type: AWS::ApiGateway::RestApi
    Properties: {{Name: raw}}
  Get:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Api
      ResourceId: !GetAtt Api.RootResourceId
      HttpMethod: GET
      Integration: {{Type: AWS_PROXY, Uri: !Sub 'arn:aws:apigateway:${{AWS::Region}}:lambda:path/2015-03-31/functions/${{Fn.Arn}}/invocations'}}
{stages}"
    )
}

const DEPLOYMENT: &str = "  Deployment:
    Type: AWS::ApiGateway::Deployment
    Properties:
      RestApiId: !Ref Api
      StageName: prod
      StageDescription:
        ThrottlingRateLimit: 5
        AccessLogSetting:
          DestinationArn: !GetAtt Logs.Arn
          Format: '{\"requestId\":\"$context.requestId\"}'
";

#[test]
fn a_deployments_stage_description_logs_for_its_stage() {
    // AWS (CloudFormation): `AccessLogSetting` is a property of a Deployment's `StageDescription`.
    let model = load(&raw_rest(DEPLOYMENT));
    assert!(model.warnings.is_empty(), "{:?}", model.warnings);
    assert_eq!(model.rest_apis[0].stage_name, "prod");
    assert_eq!(
        model.access_logs,
        vec![StageAccessLog {
            api: "Api".into(),
            log_group: "/raw/deployment".into(),
            format: r#"{"requestId":"$context.requestId"}"#.into(),
        }]
    );
    // Its errors name the property under StageDescription.
    let err = load_err(&raw_rest(
        &DEPLOYMENT.replace("$context.requestId", "$context.status"),
    ));
    assert!(
        err.contains("Resources.Deployment.Properties.StageDescription.AccessLogSetting.Format: Access Log format must contain"),
        "{err}"
    );
}

#[test]
fn the_served_stages_name_settings_and_log_come_from_one_resource() {
    let stage_wide_rate = |model: &crate::Model| {
        model.auth.apis["Api"]
            .method_settings
            .iter()
            .find(|s| s.resource_path == "/*" && s.http_method == "*")
            .and_then(|s| s.rate_limit)
    };
    let stage = |extra: &str| {
        format!(
            "  Stage:
    Type: AWS::ApiGateway::Stage
{extra}    Properties:
      RestApiId: !Ref Api
      StageName: v1
      MethodSettings: [{{ResourcePath: /*, HttpMethod: '*', ThrottlingRateLimit: 1}}]
      AccessLogSetting: {{DestinationArn: 'arn:aws:logs:us-east-1:123456789012:log-group:stage', Format: $context.requestId}}
"
        )
    };
    // A Stage and a Deployment's stage: the Stage is served, with its own settings and log.
    let model = load(&raw_rest(&format!("{DEPLOYMENT}{}", stage(""))));
    assert_eq!(model.rest_apis[0].stage_name, "v1");
    assert_eq!(stage_wide_rate(&model), Some(1.0));
    assert_eq!(model.access_logs[0].log_group, "stage");
    // A disabled Stage, or one without a StageName, serves nothing: the Deployment's stage is
    // served, name, settings and log alike.
    for skipped in [
        stage("    Condition: Off\n"),
        stage("").replace("      StageName: v1\n", ""),
    ] {
        let model = load(&raw_rest(&format!("{skipped}{DEPLOYMENT}")));
        assert_eq!(model.rest_apis[0].stage_name, "prod", "{skipped}");
        assert_eq!(stage_wide_rate(&model), Some(5.0), "{skipped}");
        assert_eq!(model.access_logs.len(), 1, "{skipped}");
        assert_eq!(
            model.access_logs[0].log_group, "/raw/deployment",
            "{skipped}"
        );
    }
}

#[test]
fn method_settings_and_a_stage_description_set_execution_logging() {
    use crate::auth_model::LoggingLevel;
    let model = load(&template(
        "      MethodSettings:
        - {ResourcePath: /*, HttpMethod: '*', LoggingLevel: INFO, DataTraceEnabled: true}
        - {ResourcePath: /r, HttpMethod: GET, LoggingLevel: error}
        - {ResourcePath: /*, HttpMethod: POST, ThrottlingRateLimit: 3}
",
        "",
    ));
    let settings = &model.auth.apis["Rest"].method_settings;
    let levels: Vec<_> = settings
        .iter()
        .map(|s| (s.logging_level, s.data_trace_enabled))
        .collect();
    assert_eq!(
        levels,
        vec![
            (Some(LoggingLevel::Info), Some(true)),
            // CloudFormation names the values in capitals; any case reads.
            (Some(LoggingLevel::Error), None),
            (None, None),
        ]
    );

    // A Deployment's StageDescription: its stage-wide `/*/*` setting.
    let model = load(&raw_rest(&DEPLOYMENT.replace(
        "        ThrottlingRateLimit: 5\n",
        "        LoggingLevel: INFO\n        DataTraceEnabled: false\n",
    )));
    let stage_wide = &model.auth.apis["Api"].method_settings[0];
    assert_eq!(
        (
            stage_wide.resource_path.as_str(),
            stage_wide.logging_level,
            stage_wide.data_trace_enabled
        ),
        ("/*", Some(LoggingLevel::Info), Some(false))
    );

    let err = load_err(&template(
        "      MethodSettings: [{ResourcePath: /*, HttpMethod: '*', LoggingLevel: DEBUG}]\n",
        "",
    ));
    assert!(
        err.contains("Resources.Rest.Properties.MethodSettings[0].LoggingLevel: \"DEBUG\" is not a logging level"),
        "{err}"
    );
    assert!(err.contains("use INFO"), "{err}");
}
