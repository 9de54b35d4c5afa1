//! REST API throttling: a stage's `MethodSettings` limits each method in a bucket of its own.
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
