//! REST API throttling: a stage's `MethodSettings` limits each method in a bucket of its own, and
//! a usage plan's per-method `Throttle` each method for each key.
//!
//! Every limit here refills one token per 100 s (`ThrottlingRateLimit: 0.01`), so a bucket
//! emptied by the test stays empty for the test's whole run: the answers do not depend on timing.

use sluice_testkit::{fresh_dir, Server};

use crate::{client, sluice};

/// A SAM REST API with `GET /a`, `GET /b` and `GET /c` and `method_settings` on its stage.
fn project(label: &str, method_settings: &str) -> std::path::PathBuf {
    let dir = fresh_dir(label);
    std::fs::write(
        dir.join("template.yaml"),
        format!(
            r#"Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      MethodSettings:
{method_settings}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Events:
        A: {{Type: Api, Properties: {{RestApiId: !Ref Api, Path: /a, Method: GET}}}}
        B: {{Type: Api, Properties: {{RestApiId: !Ref Api, Path: /b, Method: GET}}}}
        C: {{Type: Api, Properties: {{RestApiId: !Ref Api, Path: /c, Method: GET}}}}
"#
        ),
    )
    .expect("writing the template");
    std::fs::write(
        dir.join("app.py"),
        "def handler(event, context):\n    return {\"statusCode\": 200, \"body\": \"ok\"}\n",
    )
    .expect("writing the handler");
    dir.join("template.yaml")
}

/// The statuses of `paths` requested one after the other.
fn statuses(server: &Server, paths: &[&str]) -> Vec<u16> {
    paths
        .iter()
        .map(|path| {
            client()
                .get(server.url(path))
                .send()
                .expect("requesting")
                .status()
                .as_u16()
        })
        .collect()
}

/// AWS ("Throttle requests to your REST APIs", How throttling limit settings are applied):
/// "Per-API, per-stage throttling limits are applied at the API method level for a stage". A
/// stage-wide burst of 1 lets each method through once, not the stage once; a method's own
/// `MethodSettings` entry still replaces the stage's for that method.
#[test]
fn a_stage_wide_limit_gives_each_method_a_bucket_and_a_methods_own_entry_wins() {
    let template = project(
        "rest-stage-throttle",
        r#"        - {ResourcePath: "/*", HttpMethod: "*", ThrottlingRateLimit: 0.01, ThrottlingBurstLimit: 1}
        - {ResourcePath: /c, HttpMethod: GET, ThrottlingRateLimit: 0.01, ThrottlingBurstLimit: 2}"#,
    );
    let server = Server::start(sluice(), &template, &[]);
    assert_eq!(
        statuses(&server, &["/a", "/b", "/a", "/b"]),
        [200, 200, 429, 429],
        "one request per method, then the method's own bucket is empty"
    );
    assert_eq!(statuses(&server, &["/c", "/c", "/c"]), [200, 200, 429]);
}

/// The key every usage-plan test sends.
const KEY: &str = "plan-method-key-0123456789";

/// A SAM REST API requiring an API key, with `GET /a` and `GET /b`, `api_properties` on the API
/// and `plan_properties` on the usage plan of [`KEY`].
fn keyed_project(label: &str, api_properties: &str, plan_properties: &str) -> std::path::PathBuf {
    let dir = fresh_dir(label);
    std::fs::write(
        dir.join("template.yaml"),
        format!(
            r#"Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      Auth: {{ApiKeyRequired: true}}
{api_properties}
  Key:
    Type: AWS::ApiGateway::ApiKey
    Properties: {{Value: {KEY}, Enabled: true}}
  Plan:
    Type: AWS::ApiGateway::UsagePlan
    Properties:
{plan_properties}
  PlanKey:
    Type: AWS::ApiGateway::UsagePlanKey
    Properties: {{KeyId: !Ref Key, KeyType: API_KEY, UsagePlanId: !Ref Plan}}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      Events:
        A: {{Type: Api, Properties: {{RestApiId: !Ref Api, Path: /a, Method: GET}}}}
        B: {{Type: Api, Properties: {{RestApiId: !Ref Api, Path: /b, Method: GET}}}}
"#
        ),
    )
    .expect("writing the template");
    std::fs::write(
        dir.join("app.py"),
        "def handler(event, context):\n    return {\"statusCode\": 200, \"body\": \"ok\"}\n",
    )
    .expect("writing the handler");
    dir.join("template.yaml")
}

/// Status and body of `GET path` with [`KEY`].
fn keyed(server: &Server, path: &str) -> (u16, String) {
    let response = client()
        .get(server.url(path))
        .header("x-api-key", KEY)
        .send()
        .expect("requesting");
    (
        response.status().as_u16(),
        response.text().unwrap_or_default(),
    )
}

const TOO_MANY: &str = r#"{"message":"Too Many Requests"}"#;

/// A usage plan's `ApiStages[].Throttle` limits one method for each key, on top of the plan's
/// own per-key limit (AWS support on re:Post: the plan's limit "is still global to that key"):
/// past `/a/GET`'s burst of 1, `GET /a` answers 429 while `GET /b` still passes.
#[test]
fn a_usage_plans_method_throttle_limits_that_method_for_each_key() {
    let template = keyed_project(
        "rest-plan-method-throttle",
        "",
        r#"      ApiStages:
        - ApiId: !Ref Api
          Stage: prod
          Throttle:
            /a/GET: {RateLimit: 0.01, BurstLimit: 1}
      Throttle: {RateLimit: 100, BurstLimit: 100}"#,
    );
    let server = Server::start(sluice(), &template, &[]);
    assert_eq!(keyed(&server, "/a").0, 200);
    assert_eq!(keyed(&server, "/a"), (429, TOO_MANY.to_owned()));
    assert_eq!(keyed(&server, "/b").0, 200);
    assert_eq!(keyed(&server, "/b").0, 200);
}

/// AWS applies the usage plan's per-method limit first, then the plan's per-key limit
/// ("API Gateway throttling-related settings are applied in the following order", developer
/// guide, "Throttle requests to your REST APIs"): a request `/a/GET`'s limit refuses spends no
/// token of the key's plan-wide burst of 2, which still lets one `GET /b` through.
#[test]
fn a_request_the_methods_plan_limit_refuses_leaves_the_plans_own_bucket_alone() {
    let template = keyed_project(
        "rest-plan-method-first",
        "",
        r#"      ApiStages:
        - ApiId: !Ref Api
          Stage: prod
          Throttle:
            /a/GET: {RateLimit: 0.01, BurstLimit: 1}
      Throttle: {RateLimit: 0.01, BurstLimit: 2}"#,
    );
    let server = Server::start(sluice(), &template, &[]);
    let answers: Vec<u16> = ["/a", "/a", "/b", "/b"]
        .iter()
        .map(|path| keyed(&server, path).0)
        .collect();
    assert_eq!(answers, [200, 429, 200, 429]);
}

/// A usage plan's quota counts the requests the throttles let through: one the stage's method
/// limit refuses (429 Too Many Requests) is not counted, so a quota of 2 still serves a second
/// request before answering 429 Limit Exceeded.
#[test]
fn a_throttled_request_is_not_counted_in_the_quota() {
    let template = keyed_project(
        "rest-quota-after-throttles",
        r#"      MethodSettings:
        - {ResourcePath: /a, HttpMethod: GET, ThrottlingRateLimit: 0.01, ThrottlingBurstLimit: 1}"#,
        r#"      ApiStages:
        - ApiId: !Ref Api
          Stage: prod
      Quota: {Limit: 2, Period: DAY}"#,
    );
    let server = Server::start(sluice(), &template, &[]);
    assert_eq!(keyed(&server, "/a").0, 200);
    assert_eq!(keyed(&server, "/a"), (429, TOO_MANY.to_owned()));
    assert_eq!(keyed(&server, "/b").0, 200);
    assert_eq!(
        keyed(&server, "/b"),
        (429, r#"{"message":"Limit Exceeded"}"#.to_owned())
    );
}
