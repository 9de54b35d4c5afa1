//! REST API resource policies: SAM's `Auth.ResourcePolicy` (API and event), CloudFormation's
//! `Policy` and the document's `x-amazon-apigateway-policy`, as the statements API Gateway gets.

use super::{load, load_err};
use crate::{ConditionOperator, Effect, ResourcePolicy};

fn policy_of(yaml: &str, api: &str) -> ResourcePolicy {
    let model = load(yaml);
    let api = model
        .rest_apis
        .iter()
        .find(|a| a.logical_id == api)
        .unwrap_or_else(|| panic!("no API {api}"));
    api.resource_policy.clone().expect("a resource policy")
}

const SAM_API: &str = r#"
Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: v1
      Auth:
        ResourcePolicy:
          IpRangeBlacklist: [203.0.113.0/24]
          AwsAccountWhitelist: ["111122223333"]
          CustomStatements:
            - Effect: Deny
              Principal: "*"
              Action: execute-api:Invoke
              Resource: execute-api:/*/DELETE/*
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: src
      Events:
        Get:
          Type: Api
          Properties:
            RestApiId: !Ref Api
            Path: /items/{id}
            Method: get
        Any:
          Type: Api
          Properties:
            RestApiId: !Ref Api
            Path: /open
            Method: any
            Auth:
              ResourcePolicy:
                SourceVpcWhitelist: [vpc-1234]
"#;

#[test]
fn sam_writes_its_statements_for_every_path_then_the_custom_ones_once() {
    let policy = policy_of(SAM_API, "Api");
    let summary: Vec<(Effect, Vec<String>, bool)> = policy
        .statements
        .iter()
        .map(|s| (s.effect, s.resources.clone(), s.principals.anyone))
        .collect();
    let items = vec!["execute-api:/v1/GET/items/*".to_owned()];
    let open = vec!["execute-api:/v1/*/open".to_owned()];
    assert_eq!(
        summary,
        vec![
            // The account whitelist, then the IP blacklist's allow and deny, per path.
            (Effect::Allow, items.clone(), false),
            (Effect::Allow, items.clone(), true),
            (Effect::Deny, items, true),
            (Effect::Allow, open.clone(), false),
            (Effect::Allow, open.clone(), true),
            (Effect::Deny, open.clone(), true),
            (
                Effect::Deny,
                vec!["execute-api:/*/DELETE/*".to_owned()],
                true
            ),
            // The event's own policy: the VPC whitelist on its method only.
            (Effect::Deny, open, true),
        ]
    );
    assert_eq!(policy.statements[0].principals.aws, ["111122223333"]);
    let ip = &policy.statements[2].conditions[0];
    assert_eq!(ip.operator, ConditionOperator::IpAddress);
    assert_eq!(
        (ip.key.as_str(), ip.values.clone()),
        ("aws:SourceIp", vec!["203.0.113.0/24".to_owned()])
    );
    let vpc = &policy.statements[7].conditions[0];
    assert_eq!(vpc.operator, ConditionOperator::StringNotEquals);
    assert_eq!(vpc.key, "aws:SourceVpc");
}

#[test]
fn an_api_without_a_policy_has_none() {
    let model = load(&SAM_API.replace("        ResourcePolicy:\n          IpRangeBlacklist: [203.0.113.0/24]\n          AwsAccountWhitelist: [\"111122223333\"]\n          CustomStatements:\n            - Effect: Deny\n              Principal: \"*\"\n              Action: execute-api:Invoke\n              Resource: execute-api:/*/DELETE/*\n", "        ApiKeyRequired: false\n").replace("            Auth:\n              ResourcePolicy:\n                SourceVpcWhitelist: [vpc-1234]\n", ""));
    assert_eq!(model.rest_apis[0].resource_policy, None);
    assert!(
        !model.warnings.iter().any(|w| w.contains("ResourcePolicy")),
        "{:?}",
        model.warnings
    );
}

#[test]
fn cloudformation_policy_and_openapi_policy_are_read_as_documents() {
    let yaml = r#"
Resources:
  Raw:
    Type: AWS::ApiGateway::RestApi
    Properties:
      Name: raw
      Policy: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*","Condition":{"IpAddressIfExists":{"aws:SourceIp":"10.0.0.0/8"}}}]}'
  Documented:
    Type: AWS::ApiGateway::RestApi
    Properties:
      Name: documented
      Body:
        openapi: 3.0.1
        paths: {}
        x-amazon-apigateway-policy:
          Version: "2012-10-17"
          Statement:
            Effect: Deny
            NotPrincipal: {AWS: "arn:aws:iam::123456789012:root"}
            NotAction: execute-api:Invoke
            NotResource: [!Sub "arn:aws:execute-api:${AWS::Region}:${AWS::AccountId}:*/*/GET/health"]
"#;
    let raw = policy_of(yaml, "Raw");
    assert_eq!(raw.statements[0].resources, ["execute-api:/*"]);
    assert!(raw.statements[0].conditions[0].if_exists);
    let documented = policy_of(yaml, "Documented");
    let s = &documented.statements[0];
    assert!(s.not_principal && s.not_action && s.not_resource);
    assert_eq!(
        s.resources,
        ["arn:aws:execute-api:us-east-1:123456789012:*/*/GET/health"]
    );
}

#[test]
fn malformed_policies_are_refused_with_file_line_and_property() {
    let yaml = r#"
Resources:
  Raw:
    Type: AWS::ApiGateway::RestApi
    Properties:
      Name: raw
      Policy:
        Statement:
          - Effect: Allow
            Principal: "*"
            Action: execute-api:Invoke
"#;
    let e = load_err(yaml);
    assert!(
        e.starts_with("/app/template.yaml:8:")
            && e.contains("Resources.Raw.Properties.Policy.Statement[0].Resource"),
        "{e}"
    );
    let e = load_err(&yaml.replace("Statement:", "Statment:"));
    assert!(
        e.contains("Statment is not a policy document element"),
        "{e}"
    );
    let e = load_err(
        "Resources:\n  Raw:\n    Type: AWS::ApiGateway::RestApi\n    Properties:\n      Policy: '{\"Statement\": ['\n",
    );
    assert!(e.contains("Policy: the policy is not valid JSON"), "{e}");
    let e = load_err(&SAM_API.replace(
        "IpRangeBlacklist: [203.0.113.0/24]",
        "IpRangeBlacklist: [203.0.113.0/33]",
    ));
    assert!(
        e.contains("Resources.Api.Properties.Auth.ResourcePolicy.IpRangeBlacklist")
            && e.contains("\"203.0.113.0/33\" is not an IP address or CIDR block"),
        "{e}"
    );
    let e = load_err(&SAM_API.replace(
        "SourceVpcWhitelist: [vpc-1234]",
        "SourceVpcWhitelisted: [vpc-1234]",
    ));
    assert!(
        e.contains("Events.Any.Properties.Auth.ResourcePolicy.SourceVpcWhitelisted")
            && e.contains("not a property of ResourcePolicy"),
        "{e}"
    );
}

#[test]
fn with_cors_the_preflight_method_is_covered_too() {
    let yaml = r#"
Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: Prod
      Cors: "'*'"
      Auth:
        ResourcePolicy:
          IpRangeWhitelist: [10.0.0.0/8]
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: src
      Events:
        Get:
          Type: Api
          Properties:
            RestApiId: !Ref Api
            Path: /items
            Method: get
"#;
    let policy = policy_of(yaml, "Api");
    assert_eq!(
        policy.statements[0].resources,
        [
            "execute-api:/Prod/GET/items",
            "execute-api:/Prod/OPTIONS/items"
        ]
    );
}

#[test]
fn the_implicit_api_takes_its_policy_from_globals() {
    let yaml = r#"
Transform: AWS::Serverless-2016-10-31
Globals:
  Api:
    Auth:
      ResourcePolicy:
        IpRangeBlacklist: [198.51.100.0/24]
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: src
      Events:
        Get:
          Type: Api
          Properties:
            Path: /
            Method: get
"#;
    let policy = policy_of(yaml, "ServerlessRestApi");
    assert_eq!(policy.statements.len(), 2);
    assert_eq!(policy.statements[1].resources, ["execute-api:/Prod/GET/"]);
}
