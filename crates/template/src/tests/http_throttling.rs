//! HTTP API route throttling: `DefaultRouteSettings` and `RouteSettings` of the stage (SAM's
//! `AWS::Serverless::HttpApi` and its events, or a raw `AWS::ApiGatewayV2::Stage`).

use super::{load, load_err};
use crate::auth_model::{RouteLimits, RouteThrottling};

/// A SAM HTTP API `Api` with `api_properties`, and a function whose events add `GET /items`,
/// `POST /items` (its own `RouteSettings`: `event_settings`) and `ANY /{proxy+}`.
fn sam(api_properties: &str, event_settings: &str) -> String {
    format!(
        "Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
{api_properties}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      Events:
        List:
          Type: HttpApi
          Properties: {{ApiId: !Ref Api, Path: /items, Method: GET}}
        Create:
          Type: HttpApi
          Properties:
            ApiId: !Ref Api
            Path: /items
            Method: POST
            RouteSettings: {event_settings}
        Proxy:
          Type: HttpApi
          Properties: {{ApiId: !Ref Api, Path: '/{{proxy+}}', Method: ANY}}
"
    )
}

fn throttling(yaml: &str) -> RouteThrottling {
    load(yaml).auth.apis["Api"].route_throttling.clone()
}

fn limits(rate: Option<f64>, burst: Option<u32>) -> Option<RouteLimits> {
    Some(RouteLimits {
        rate_limit: rate,
        burst_limit: burst,
    })
}

#[test]
fn a_routes_own_entry_wins_over_the_default_and_an_events_merges_over_the_apis() {
    let t = throttling(&sam(
        "      DefaultRouteSettings: {ThrottlingBurstLimit: 100, ThrottlingRateLimit: 50}
      RouteSettings:
        GET /items: {ThrottlingBurstLimit: 1, ThrottlingRateLimit: 0.5}
        POST /items: {ThrottlingBurstLimit: 7, ThrottlingRateLimit: 3, DetailedMetricsEnabled: true}",
        "{ThrottlingRateLimit: 9}",
    ));
    assert_eq!(t.default, limits(Some(50.0), Some(100)));
    // The route's own entry, whole: its limits, not the default's.
    assert_eq!(t.for_route("GET /items"), limits(Some(0.5), Some(1)));
    // SAM merges the event's RouteSettings over the API's entry for its route, key by key.
    assert_eq!(t.for_route("POST /items"), limits(Some(9.0), Some(7)));
    // A route without an entry gets the default.
    assert_eq!(t.for_route("ANY /{proxy+}"), limits(Some(50.0), Some(100)));
}

#[test]
fn an_events_settings_alone_limit_its_route_and_no_settings_limit_nothing() {
    let t = throttling(&sam("      StageName: prod", "{ThrottlingBurstLimit: 2}"));
    assert_eq!(t.default, None);
    assert_eq!(t.for_route("POST /items"), limits(None, Some(2)));
    assert_eq!(t.for_route("GET /items"), None);
    // Settings that say nothing of throttling limit nothing.
    let t = throttling(&sam(
        "      DefaultRouteSettings: {DetailedMetricsEnabled: true}",
        "{LoggingLevel: INFO}",
    ));
    assert!(t.is_empty(), "{t:?}");
}

#[test]
fn globals_give_the_implicit_http_api_its_route_settings() {
    let model = load(
        "Transform: AWS::Serverless-2016-10-31
Globals:
  HttpApi:
    DefaultRouteSettings: {ThrottlingBurstLimit: 5, ThrottlingRateLimit: 5}
    RouteSettings:
      GET /a: {ThrottlingBurstLimit: 1, ThrottlingRateLimit: 1}
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      Events:
        A: {Type: HttpApi, Properties: {Path: /a, Method: get}}
        B: {Type: HttpApi, Properties: {Path: /b, Method: get}}
",
    );
    let t = &model.auth.apis["ServerlessHttpApi"].route_throttling;
    assert_eq!(t.for_route("GET /a"), limits(Some(1.0), Some(1)));
    assert_eq!(t.for_route("GET /b"), limits(Some(5.0), Some(5)));
}

#[test]
fn a_route_settings_key_that_names_no_route_is_refused_as_aws_refuses_the_stage() {
    // The route is `ANY /{proxy+}`: AWS matches keys exactly, so `DELETE /{proxy+}` names none.
    let err = load_err(&sam(
        "      RouteSettings:
        DELETE /{proxy+}: {ThrottlingBurstLimit: 1}",
        "{}",
    ));
    assert_eq!(
        err,
        "/app/template.yaml:7:27: Resources.Api.Properties.RouteSettings.DELETE /{proxy+}: \
         no route \"DELETE /{proxy+}\" on this API; AWS refuses a stage whose RouteSettings name one\n  \
         hint: use a route key of the API: ANY /{proxy+}, GET /items, POST /items"
    );
}

/// Route keys match as written: `get /items` names no route of an API whose route is
/// `GET /items` (SAM writes an event's route key as `method.upper()`), so AWS refuses the stage
/// ("Unable to find Route by key … within the provided RouteSettings"). The hint says how to
/// spell it.
#[test]
fn a_route_settings_key_with_a_lower_case_method_is_refused_with_the_spelling_to_use() {
    let err = load_err(&sam(
        "      RouteSettings:
        get /items: {ThrottlingBurstLimit: 1}",
        "{}",
    ));
    assert_eq!(
        err,
        "/app/template.yaml:7:21: Resources.Api.Properties.RouteSettings.get /items: \
         no route \"get /items\" on this API; AWS refuses a stage whose RouteSettings name one\n  \
         hint: route keys are case-sensitive: write \"GET /items\""
    );
}

#[test]
fn limits_that_are_not_numbers_name_the_property() {
    let err = load_err(&sam(
        "      DefaultRouteSettings: {ThrottlingBurstLimit: lots}",
        "{}",
    ));
    assert!(
        err.starts_with(
            "/app/template.yaml:6:52: Resources.Api.Properties.DefaultRouteSettings.ThrottlingBurstLimit: \"lots\" is not a whole number"
        ),
        "{err}"
    );
    let err = load_err(&sam("      StageName: prod", "{ThrottlingRateLimit: -1}"));
    assert!(
        err.contains(
            "Resources.Fn.Properties.Events.Create.Properties.RouteSettings.ThrottlingRateLimit: \"-1\" is not a non-negative number"
        ),
        "{err}"
    );
    let err = load_err(&sam("      RouteSettings: [GET /items]", "{}"));
    assert!(
        err.contains("Resources.Api.Properties.RouteSettings: expected a mapping, found a list"),
        "{err}"
    );
}

/// A raw HTTP API with a `GET /items` route, a route whose integration is not in the template
/// (`POST /items`), and `stages`.
fn raw(stages: &str) -> String {
    format!(
        "Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties: {{Runtime: python3.12, Handler: app.handler, Code: ./src}}
  Api:
    Type: AWS::ApiGatewayV2::Api
    Properties: {{Name: raw, ProtocolType: HTTP}}
  Integration:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      ApiId: !Ref Api
      IntegrationType: AWS_PROXY
      IntegrationUri: !GetAtt Fn.Arn
      PayloadFormatVersion: '2.0'
  List:
    Type: AWS::ApiGatewayV2::Route
    Properties: {{ApiId: !Ref Api, RouteKey: GET /items, Target: !Sub 'integrations/${{Integration}}'}}
  Create:
    Type: AWS::ApiGatewayV2::Route
    Properties: {{ApiId: !Ref Api, RouteKey: POST /items, Target: integrations/elsewhere}}
{stages}"
    )
}

#[test]
fn a_raw_http_api_takes_its_limits_from_the_stage_it_serves() {
    let t = throttling(&raw("  Off:
    Type: AWS::ApiGatewayV2::Stage
    Condition: Never
    Properties:
      ApiId: !Ref Api
      DefaultRouteSettings: {ThrottlingBurstLimit: 99, ThrottlingRateLimit: 99}
  Stage:
    Type: AWS::ApiGatewayV2::Stage
    Properties:
      ApiId: !Ref Api
      StageName: prod
      DefaultRouteSettings: {ThrottlingBurstLimit: 10, ThrottlingRateLimit: 20}
      RouteSettings:
        GET /items: {ThrottlingBurstLimit: 1, ThrottlingRateLimit: 1}
        POST /items: {ThrottlingRateLimit: 4}
Conditions:
  Never: !Equals [a, b]
"));
    assert_eq!(t.default, limits(Some(20.0), Some(10)));
    assert_eq!(t.for_route("GET /items"), limits(Some(1.0), Some(1)));
    // POST /items is not served (its target is not read), but AWS has it: its key is accepted.
    assert_eq!(
        t.routes["POST /items"],
        RouteLimits {
            rate_limit: Some(4.0),
            burst_limit: None
        }
    );

    let err = load_err(&raw("  Stage:
    Type: AWS::ApiGatewayV2::Stage
    Properties:
      ApiId: !Ref Api
      RouteSettings:
        GET /item: {ThrottlingBurstLimit: 1}
"));
    assert!(
        err.contains(
            "Resources.Stage.Properties.RouteSettings.GET /item: no route \"GET /item\" on this API"
        ),
        "{err}"
    );
}
