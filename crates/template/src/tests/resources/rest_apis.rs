//! REST APIs and their routes: implicit and explicit APIs, `RestApiId`, and route conflicts.

use super::super::{load, load_err};
use super::{route, FN};

#[test]
fn implicit_and_explicit_apis() {
    let yaml = format!(
        "Globals:
  Api:
    Name: shared
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
    let model = load("Transform: AWS::Serverless-2016-10-31\nResources:\n  A:\n    Type: AWS::Serverless::Api\n    Properties:\n      StageName: s\n      CanarySetting: {}\n      TracingEnabled: true\n");
    assert_eq!(
        model.warnings,
        vec![
            // `Auth` and `MethodSettings` are emulated now (see tests/auth.rs); two properties
            // that are not stand in for them.
            "Resources.A.Properties.CanarySetting: not emulated yet (ignored)".to_string(),
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
fn a_greedy_path_beside_a_variable_one_is_refused_as_api_gateway_refuses_it() {
    // AWS: a resource has one variable child, greedy or not (LocalStack's AWS-validated
    // `test_create_proxy_resource_validation`: `/{dynamic}` beside `/{proxy+}` is "A sibling
    // ({proxy+}) of this resource already has a variable path part -- only one is allowed").
    let yaml = format!(
        "Resources:\n  F:\n{FN}\n      Events:\n        A: {{Type: Api, Properties: {{Path: \"/items/{{id}}\", Method: get}}}}\n        B: {{Type: Api, Properties: {{Path: \"/items/{{proxy+}}\", Method: post}}}}\n"
    );
    let err = load_err(&yaml);
    assert!(
        err.contains(":9:")
            && err.contains("Resources.F.Properties.Events.B.Properties.Path")
            && err.contains("A sibling ({id}) of this resource already has a variable path part"),
        "{err}"
    );
    // A literal between them makes two resources with a variable child each.
    let yaml = format!(
        "Resources:\n  F:\n{FN}\n      Events:\n        A: {{Type: Api, Properties: {{Path: \"/items/{{id}}\", Method: get}}}}\n        B: {{Type: Api, Properties: {{Path: \"/items/{{id}}/files/{{proxy+}}\", Method: post}}}}\n"
    );
    assert_eq!(load(&yaml).rest_apis[0].routes.len(), 2);
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
fn an_event_naming_a_dropped_or_foreign_api_is_refused_or_ignored_for_both_kinds() {
    for (event_type, key, api_type, other_type) in [
        (
            "Api",
            "RestApiId",
            "AWS::Serverless::Api",
            "AWS::ApiGatewayV2::Api",
        ),
        (
            "HttpApi",
            "ApiId",
            "AWS::Serverless::HttpApi",
            "AWS::ApiGateway::RestApi",
        ),
    ] {
        let yaml = format!(
            "Conditions:\n  Never: !Equals [a, b]\nResources:\n  Dropped:\n    Type: {api_type}\n    Condition: Never\n    Properties: {{StageName: v1}}\n  Foreign:\n    Type: {other_type}\n    Properties: {{}}\n  F:\n{FN}\n      Events:\n        E: {{Type: {event_type}, Properties: {{Path: /x, Method: get, {key}: !Ref NAMED}}}}\n"
        );
        let err = load_err(&yaml.replace("NAMED", "Dropped"));
        assert!(
            err.contains(&format!(
                "Resources.F.Properties.Events.E.Properties.{key}: {key} names Dropped, whose Condition is false"
            )),
            "{err}"
        );
        let model = load(&yaml.replace("NAMED", "Foreign"));
        let warning = format!("Resources.F.Properties.Events.E: {key} names Foreign, an {other_type}; only {api_type} is emulated (route ignored)");
        assert!(model.warnings.contains(&warning), "{:#?}", model.warnings);
        assert!(model.rest_apis.iter().all(|api| api.routes.is_empty()));
        assert!(model.http_apis.iter().all(|api| api.routes.is_empty()));
    }
}
