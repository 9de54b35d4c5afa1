//! One test per intrinsic, short and long forms, nesting included.

use super::{env_value, env_value_with, load, load_err};
use crate::LoadOptions;

const PARAMS: &str = "Parameters:
  Stage:
    Type: String
    Default: dev
  Names:
    Type: CommaDelimitedList
    Default: a,b,c";

const EXTRA_RESOURCES: &str = "  Table:
    Type: AWS::Serverless::SimpleTable
    Properties:
      TableName: items-table
  Other:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: other-fn
      Handler: app.handler
      Runtime: python3.12
  Queue:
    Type: AWS::SQS::Queue";

fn with_resources(value: &str) -> String {
    env_value_with(PARAMS, value, EXTRA_RESOURCES, &LoadOptions::default())
}

#[test]
fn ref_to_parameter_short_and_long() {
    assert_eq!(env_value(PARAMS, "!Ref Stage"), "dev");
    assert_eq!(env_value(PARAMS, "{Ref: Stage}"), "dev");
}

#[test]
fn ref_to_pseudo_parameters() {
    assert_eq!(env_value("", "!Ref AWS::Region"), "us-east-1");
    assert_eq!(env_value("", "!Ref AWS::AccountId"), "123456789012");
    assert_eq!(env_value("", "!Ref AWS::StackName"), "sluice");
    assert_eq!(env_value("", "!Ref AWS::Partition"), "aws");
    assert_eq!(env_value("", "!Ref AWS::URLSuffix"), "amazonaws.com");
    assert!(env_value("", "!Ref AWS::StackId")
        .starts_with("arn:aws:cloudformation:us-east-1:123456789012:stack/sluice/"));
    let options = LoadOptions {
        aws: sluice_aws_env::AwsEnv::in_region("eu-west-1"),
        ..LoadOptions::default()
    };
    assert_eq!(
        env_value_with("", "!Ref AWS::Region", "", &options),
        "eu-west-1"
    );
}

#[test]
fn ref_no_value_removes_the_key() {
    assert_eq!(env_value("", "!Ref AWS::NoValue"), "<absent>");
}

#[test]
fn ref_to_resources_gives_physical_names() {
    assert_eq!(with_resources("!Ref Table"), "items-table");
    assert_eq!(with_resources("!Ref Other"), "other-fn");
    assert_eq!(with_resources("!Ref Fn"), "Fn");
    assert_eq!(with_resources("!Ref Queue"), "Queue");
}

#[test]
fn ref_to_unknown_name_is_an_error_with_line() {
    let err = load_err(&super::env_template("", "!Ref Nope", ""));
    assert!(err.starts_with("/app/template.yaml:11:16: "), "{err}");
    assert!(
        err.contains("Resources.Fn.Properties.Environment.Variables.VAL"),
        "{err}"
    );
    assert!(err.contains("\"Nope\""), "{err}");
}

#[test]
fn sub_with_parameters_pseudo_and_literal() {
    assert_eq!(
        env_value(PARAMS, "!Sub 'app-${Stage}-${AWS::Region}'"),
        "app-dev-us-east-1"
    );
    assert_eq!(
        env_value(PARAMS, "!Sub '${!Literal}-${Stage}'"),
        "${Literal}-dev"
    );
    assert_eq!(env_value(PARAMS, "{'Fn::Sub': 'x-${Stage}'}"), "x-dev");
}

#[test]
fn sub_with_variables_and_nested_intrinsics() {
    let value = "!Sub ['${Name}-${Stage}-${Region}', {Name: !Join ['+', [a, b]], Region: !Ref AWS::Region}]";
    assert_eq!(env_value(PARAMS, value), "a+b-dev-us-east-1");
}

#[test]
fn sub_with_resource_attribute() {
    assert_eq!(
        with_resources("!Sub '${Other.Arn}'"),
        "arn:aws:lambda:us-east-1:123456789012:function:other-fn"
    );
    assert_eq!(with_resources("!Sub '${Table}'"), "items-table");
}

#[test]
fn get_att_both_forms() {
    let arn = "arn:aws:lambda:us-east-1:123456789012:function:other-fn";
    assert_eq!(with_resources("!GetAtt Other.Arn"), arn);
    assert_eq!(with_resources("!GetAtt [Other, Arn]"), arn);
    assert_eq!(with_resources("{'Fn::GetAtt': [Other, Arn]}"), arn);
    assert_eq!(
        with_resources("!GetAtt Table.Arn"),
        "arn:aws:dynamodb:us-east-1:123456789012:table/items-table"
    );
    assert_eq!(
        with_resources("!GetAtt Queue.Arn"),
        "arn:aws:sqs:us-east-1:123456789012:Queue"
    );
    // Roles SAM generates for each function are referable too.
    assert_eq!(
        with_resources("!GetAtt FnRole.Arn"),
        "arn:aws:iam::123456789012:role/FnRole"
    );
    // Any other attribute gives a plausible string rather than failing.
    assert!(!with_resources("!GetAtt Queue.Whatever").is_empty());
}

#[test]
fn get_att_to_missing_resource_is_an_error() {
    let err = load_err(&super::env_template("", "!GetAtt Missing.Arn", ""));
    assert!(
        err.starts_with("/app/template.yaml:11:16: ") && err.contains("Missing"),
        "{err}"
    );
}

#[test]
fn join_with_nested_ref_list() {
    assert_eq!(
        env_value(PARAMS, "!Join [':', [x, !Ref Stage, y]]"),
        "x:dev:y"
    );
    assert_eq!(env_value(PARAMS, "!Join ['-', !Ref Names]"), "a-b-c");
}

#[test]
fn select_and_split() {
    assert_eq!(env_value(PARAMS, "!Select [1, !Ref Names]"), "b");
    assert_eq!(env_value("", "!Select [2, !Split [',', 'x,y,z']]"), "z");
    assert_eq!(
        env_value("", "{'Fn::Select': ['0', [first, second]]}"),
        "first"
    );
    let err = load_err(&super::env_template("", "!Select [5, [a]]", ""));
    assert!(err.contains("out of range"), "{err}");
}

#[test]
fn split_then_join() {
    assert_eq!(env_value("", "!Join ['/', !Split ['.', a.b.c]]"), "a/b/c");
}

#[test]
fn find_in_map_with_nested_ref() {
    let prelude = "Parameters:
  Stage:
    Type: String
    Default: prod
Mappings:
  Sizes:
    dev: {Memory: 128}
    prod: {Memory: 1024}";
    assert_eq!(
        env_value(prelude, "!FindInMap [Sizes, !Ref Stage, Memory]"),
        "1024"
    );
    let err = load_err(&super::env_template(
        prelude,
        "!FindInMap [Sizes, test, Memory]",
        "",
    ));
    assert!(err.contains("Sizes.test.Memory"), "{err}");
}

#[test]
fn base64() {
    assert_eq!(env_value("", "!Base64 hello"), "aGVsbG8=");
    assert_eq!(env_value(PARAMS, "!Base64 {'Fn::Sub': '${Stage}'}"), "ZGV2");
}

#[test]
fn get_azs() {
    assert_eq!(env_value("", "!Select [0, !GetAZs '']"), "us-east-1a");
    assert_eq!(
        env_value("", "!Select [1, !GetAZs eu-west-1]"),
        "eu-west-1b"
    );
}

const CONDITIONS: &str = "Parameters:
  Stage:
    Type: String
    Default: prod
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
  IsDev: !Not [!Condition IsProd]
  Both: !And [!Condition IsProd, !Equals [a, a]]
  Either: !Or [!Condition IsDev, {'Fn::Equals': [x, y]}]
  LongNot: {'Fn::Not': [{Condition: IsProd}]}";

#[test]
fn if_with_equals_condition() {
    assert_eq!(env_value(CONDITIONS, "!If [IsProd, big, small]"), "big");
    assert_eq!(env_value(CONDITIONS, "!If [IsDev, big, small]"), "small");
}

#[test]
fn and_or_not_condition_functions() {
    assert_eq!(env_value(CONDITIONS, "!If [Both, yes, no]"), "yes");
    assert_eq!(env_value(CONDITIONS, "!If [Either, yes, no]"), "no");
    assert_eq!(env_value(CONDITIONS, "!If [LongNot, yes, no]"), "no");
}

#[test]
fn equals_in_a_value_gives_a_boolean_string() {
    assert_eq!(env_value(PARAMS, "!Equals [!Ref Stage, dev]"), "true");
}

#[test]
fn if_with_no_value_removes_the_key() {
    assert_eq!(
        env_value(CONDITIONS, "!If [IsDev, x, !Ref AWS::NoValue]"),
        "<absent>"
    );
}

#[test]
fn circular_conditions_are_reported() {
    let prelude = "Conditions:\n  A: !Condition B\n  B: !Not [!Condition A]";
    let err = load_err(&super::env_template(prelude, "!If [A, x, y]", ""));
    assert!(err.contains("circular"), "{err}");
}

#[test]
fn import_value_empties_a_variable_and_fails_only_where_sluice_needs_the_value() {
    // An environment variable: empty, as SAM CLI leaves it, for --env-vars to fill.
    let model = super::load(&super::env_template(
        "",
        "!Join ['', [!ImportValue shared-table, -suffix]]",
        "",
    ));
    assert_eq!(model.functions[0].environment["VAL"], "");
    assert!(
        model.warnings.iter().any(|w| w
            .contains("Resources.Fn.Properties.Environment.Variables.VAL: Fn::ImportValue")
            && w.contains("--env-vars")),
        "{:?}",
        model.warnings
    );
    // A property Sluice needs to run the function has no empty stand-in.
    let err = load_err(
        "Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      Timeout: !ImportValue shared-timeout
",
    );
    assert!(
        err.contains("Fn::ImportValue") && err.contains("hint:"),
        "{err}"
    );
    // The same intrinsic in a property Sluice does not read is fine.
    let yaml = super::env_template(
        "",
        "ok",
        "  Other:\n    Type: AWS::SNS::Topic\n    Properties:\n      TopicName: !ImportValue x\n",
    );
    assert_eq!(super::load(&yaml).functions[0].environment["VAL"], "ok");
}

#[test]
fn import_value_in_rest_cors_serves_the_api_without_cors() {
    // The allowed origin is another stack's export on AWS; locally there is none to read.
    let model = super::load(
        "Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: dev
      Cors:
        AllowOrigin: !Sub
          - \"'https://${zone}'\"
          - {zone: !ImportValue shared-zone}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      Events:
        Get: {Type: Api, Properties: {RestApiId: !Ref Api, Path: /items, Method: get}}
",
    );
    let api = &model.rest_apis[0];
    assert!(api.cors.is_none());
    assert_eq!(api.routes.len(), 1);
    assert!(
        model.warnings.iter().any(
            |w| w.contains("Resources.Api.Properties.Cors: Fn::ImportValue")
                && w.contains("without CORS")
        ),
        "{:?}",
        model.warnings
    );
}

#[test]
fn numbers_and_booleans_are_stringified() {
    assert_eq!(env_value("", "42"), "42");
    assert_eq!(env_value("", "true"), "true");
    assert_eq!(env_value("", "''"), "");
}

#[test]
fn anchors_and_aliases_are_expanded() {
    let yaml = "Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      Environment:
        Variables: &vars
          ONE: one
  Fn2:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      Environment:
        Variables: *vars
";
    let model = super::load(yaml);
    assert_eq!(model.functions[1].environment["ONE"], "one");
}

#[test]
fn merge_keys_fill_in_missing_entries() {
    let yaml = "Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties: &base
      Handler: app.handler
      Runtime: python3.12
      MemorySize: 512
  Fn2:
    Type: AWS::Serverless::Function
    Properties:
      <<: *base
      MemorySize: 1024
";
    let model = super::load(yaml);
    assert_eq!(
        (
            model.functions[1].runtime.as_str(),
            model.functions[1].memory_mb
        ),
        ("python3.12", 1024)
    );
}

#[test]
fn a_variable_reading_an_unemulated_resources_attribute_as_a_list_is_empty_with_a_warning() {
    // A VPC endpoint's DnsEntries is a list on AWS; Sluice has no endpoint to read it from.
    let model = super::load(
        "Resources:
  Endpoint:
    Type: AWS::EC2::VPCEndpoint
    Properties: {VpcId: vpc-1, ServiceName: com.amazonaws.us-east-1.dynamodb}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      Environment:
        Variables:
          DNS: !Select [1, !Split [':', !Select [0, !GetAtt Endpoint.DnsEntries]]]
          KEPT: plain
",
    );
    let env = &model.functions[0].environment;
    assert_eq!(env["DNS"], "");
    assert_eq!(env["KEPT"], "plain");
    assert!(
        model.warnings.iter().any(|w| w
            .starts_with("Resources.Fn.Properties.Environment.Variables.DNS: ")
            && w.contains("the variable is empty")),
        "{:?}",
        model.warnings
    );
    // Other failures still stop the load at their place.
    let err = load_err(&super::env_template("", "!Ref Nowhere", ""));
    assert!(err.contains("Environment.Variables.VAL"), "{err}");
}

#[test]
fn ref_of_an_api_key_is_its_aws_shaped_id() {
    let yaml = super::env_template(
        "",
        "!Ref Key",
        "  Key:\n    Type: AWS::ApiGateway::ApiKey\n    Properties: {Enabled: true}\n",
    );
    let model = super::load(&yaml);
    assert_eq!(
        model.functions[0].environment["VAL"],
        crate::auth_model::api_key_id("Key")
    );
}

/// A SAM template with a function `Fn` (alias `live`), an API `MyApi` and `outputs` appended.
fn with_outputs(outputs: &str) -> String {
    format!(
        "Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage:
    Type: String
    Default: dev
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      AutoPublishAlias: live
      Events:
        Get:
          Type: Api
          Properties: {{Path: /x, Method: get, RestApiId: !Ref MyApi}}
        Implicit:
          Type: Api
          Properties: {{Path: /y, Method: get}}
  MyApi:
    Type: AWS::Serverless::Api
    Properties:
      StageName: !Ref Stage
Outputs:
{outputs}"
    )
}

#[test]
fn outputs_that_name_a_missing_resource_are_refused_as_cloudformation_refuses_them() {
    // AWS: "Template format error: Unresolved resource dependencies [X] in the Outputs block of
    // the template"; "Template error: instance of Fn::GetAtt references undefined resource X".
    let err = load_err(&with_outputs("  Out:\n    Value: !Ref Missing\n"));
    assert!(
        err.starts_with("/app/template.yaml:26:12: Outputs.Out.Value: Ref to \"Missing\""),
        "{err}"
    );
    assert!(
        err.contains("Unresolved resource dependencies [Missing] in the Outputs block"),
        "{err}"
    );
    let err = load_err(&with_outputs("  Out:\n    Value: !GetAtt Missing.Arn\n"));
    assert!(
        err.contains("instance of Fn::GetAtt references undefined resource Missing"),
        "{err}"
    );
    let err = load_err(&with_outputs(
        "  Out:\n    Value: !Sub 'https://${Missing}.example.com/${Fn.Arn}'\n",
    ));
    assert!(err.contains("[Missing]"), "{err}");
    let err = load_err(&with_outputs("  Out:\n    Value: !Sub '${Missing.Arn}'\n"));
    assert!(err.contains("undefined resource Missing"), "{err}");
}

#[test]
fn a_dotted_ref_sam_does_not_document_is_refused() {
    // serverless-patterns PR #220: `Ref StateMachine.StateMachineName` failed with "Unresolved
    // resource dependencies [StateMachine.StateMachineName]". `Fn.Arn` in a Ref is such a typo.
    let err = load_err(&with_outputs("  Out:\n    Value: !Ref Fn.Arn\n"));
    assert!(err.contains("[Fn.Arn]"), "{err}");
    let err = load_err(&super::env_template("", "!Ref Fn.Arn", ""));
    assert!(err.contains("\"Fn.Arn\""), "{err}");
}

#[test]
fn sub_resolves_a_functions_alias_and_version_as_sam_does() {
    // samtranslator `intrinsics/actions.py` (SubAction): `${Fn.Alias}` becomes `${FnAliaslive}`,
    // a Ref of the alias (its ARN); `${Fn.Version}` a Ref of the version (its ARN).
    let model = load(
        "Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      AutoPublishAlias: live
      Environment:
        Variables:
          ALIAS: !Sub '${Fn.Alias}/invocations'
          VERSION: !Sub 'v=${Fn.Version}'
",
    );
    let env = &model.functions[0].environment;
    assert_eq!(
        env["ALIAS"],
        "arn:aws:lambda:us-east-1:123456789012:function:Fn:live/invocations"
    );
    assert_eq!(
        env["VERSION"],
        "v=arn:aws:lambda:us-east-1:123456789012:function:Fn:1"
    );
}

#[test]
fn what_sam_generates_and_documents_still_resolves() {
    // SAM's "Generated AWS CloudFormation resources": referenceable properties and the logical
    // ids of generated resources, plus parameters and pseudo parameters.
    let model = load(&with_outputs(
        "  A: {Value: !Ref Fn.Alias}
  B: {Value: !Ref Fn.Version}
  C: {Value: !GetAtt FnRole.Arn}
  D: {Value: !Ref MyApi.Stage}
  E: {Value: !Ref MyApi.Deployment}
  F: {Value: !Ref ServerlessRestApi}
  G: {Value: !Ref ServerlessRestApiProdStage}
  H: {Value: !Sub 'https://${MyApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}/${Stage}/${!literal}'}
  I: {Value: !Sub ['${X}-${Fn.Arn}', {X: !Ref Stage}]}
  J: {Value: !Ref MyApidevStage, Export: {Name: !Sub '${AWS::StackName}-api'}}
  K: {Value: !Ref ServerlessDeploymentApplication}
  L: {Value: !GetAtt CodeDeployServiceRole.Arn}
",
    ));
    assert_eq!(model.functions.len(), 1);
}
