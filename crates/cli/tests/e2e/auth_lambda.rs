//! Lambda authorizers (TOKEN and REQUEST), API keys with a usage plan, and throttling, end to end.

use std::process::Command;
use std::time::Instant;

use serde_json::Value;
use sluice_testkit::{fresh_dir, Server};

use crate::auth::{auth_template, get};
use crate::sluice;

fn authorizer(body: &str) -> Value {
    let body: Value = serde_json::from_str(body).unwrap_or_else(|_| panic!("json: {body}"));
    body["authorizer"].clone()
}

#[test]
fn token_authorizer_policies_context_cache_and_failures() {
    let server = Server::start(sluice(), &auth_template(), &[]);
    let (status, body) = get(&server, "/token/1", &[("X-Token", "allow")]);
    assert_eq!(status, 200, "{body}");
    let first = authorizer(&body);
    assert_eq!(first["principalId"], "user-allow");
    assert_eq!(first["type"], "TOKEN");
    // The TOKEN input is exactly AWS's three keys; the method ARN names the request's own path.
    assert_eq!(first["eventKeys"], "authorizationToken,methodArn,type");
    let arn = first["methodArn"].as_str().expect("methodArn");
    assert!(
        arn.starts_with("arn:aws:execute-api:us-east-1:123456789012:")
            && arn.ends_with("/Prod/GET/token/1"),
        "{arn}"
    );
    // Context values arrive as strings.
    assert_eq!(first["admin"], "true");
    let calls = first["calls"].as_str().expect("calls").to_owned();

    // Same token: answered from the cache (the authorizer is not invoked again), for any path the
    // cached policy covers.
    let (_, body) = get(&server, "/token/2", &[("X-Token", "allow")]);
    assert_eq!(authorizer(&body)["calls"], calls.as_str());
    assert!(server.wait_for_log("authorizer=TokenAuth cached").is_some());
    // Another token: invoked again.
    let (_, body) = get(&server, "/token/1", &[("X-Token", "other")]);
    assert_ne!(authorizer(&body)["calls"], calls.as_str());
    // TTL 0: invoked every time.
    let (_, a) = get(&server, "/nocache", &[("X-Token", "allow")]);
    let (_, b) = get(&server, "/nocache", &[("X-Token", "allow")]);
    assert_ne!(authorizer(&a)["calls"], authorizer(&b)["calls"]);

    // A policy cached for one path does not cover another: AWS answers 403 from the cache.
    assert_eq!(get(&server, "/token/1", &[("X-Token", "narrow")]).0, 200);
    assert_eq!(
        get(&server, "/token/2", &[("X-Token", "narrow")]),
        (
            403,
            r#"{"Message":"User is not authorized to access this resource"}"#.to_owned()
        )
    );

    let deny =
        r#"{"message":"User is not authorized to access this resource with an explicit deny"}"#;
    let unauthorized = r#"{"message":"Unauthorized"}"#;
    let failed = r#"{"message":null}"#;
    for (token, status, body) in [
        ("deny", 403, deny),
        ("unauthorized", 401, unauthorized),
        ("boom", 500, failed),
        ("garbage", 500, failed),
        ("badcontext", 500, failed),
        // Fails the ValidationExpression `[a-z]+`: refused without invoking.
        ("UPPER", 401, unauthorized),
    ] {
        assert_eq!(
            get(&server, "/token/1", &[("X-Token", token)]),
            (status, body.to_owned()),
            "{token}"
        );
    }
    assert_eq!(
        get(&server, "/token/1", &[]),
        (401, unauthorized.to_owned())
    );
    // The server is still up and serving after every failure.
    assert_eq!(get(&server, "/public", &[]).0, 200);
}

#[test]
fn request_authorizer_gets_the_request_and_needs_every_identity_source() {
    let server = Server::start(sluice(), &auth_template(), &[]);
    let (status, body) = get(&server, "/request?tenant=t1", &[("X-User", "bob")]);
    assert_eq!(status, 200, "{body}");
    let context = authorizer(&body);
    assert_eq!(context["principalId"], "user-bob");
    assert_eq!(context["type"], "REQUEST");
    // Every key of AWS's REQUEST authorizer input (shared/events/apigateway-request-authorizer.json).
    let keys: Vec<&str> = context["eventKeys"]
        .as_str()
        .expect("keys")
        .split(',')
        .collect();
    for key in [
        "type",
        "methodArn",
        "resource",
        "path",
        "httpMethod",
        "headers",
        "queryStringParameters",
        "pathParameters",
        "stageVariables",
        "requestContext",
    ] {
        assert!(keys.contains(&key), "{key} missing from {keys:?}");
    }
    assert!(!keys.contains(&"body"), "the REQUEST input carries no body");
    assert_eq!(context["tenant"], "t1");
    assert_eq!(context["tier"], "gold");
    // AWS: a route without path parameters gives the authorizer `{}`, not null.
    assert_eq!(context["pathParameters"], "{}");
    assert_eq!(get(&server, "/request", &[("X-User", "bob")]).0, 401);
    assert_eq!(get(&server, "/request?tenant=t1", &[]).0, 401);
}

/// The value `start-api` printed for the plan's generated key.
fn printed_key(server: &Server) -> String {
    let line = server
        .wait_for_log("API key ApiApiKey:")
        .expect("the key is printed at startup");
    line.rsplit(' ').next().expect("value").to_owned()
}

#[test]
fn api_key_usage_plan_quota_persists_across_restart() {
    let state = fresh_dir("auth-keys");
    let mut server = Server::start_in(sluice(), &auth_template(), &state, &[]);
    let key = printed_key(&server);
    let forbidden = (403, r#"{"message":"Forbidden"}"#.to_owned());
    assert_eq!(get(&server, "/keyed", &[]), forbidden);
    assert_eq!(get(&server, "/keyed", &[("x-api-key", "wrong")]), forbidden);
    assert_eq!(get(&server, "/keyed", &[("x-api-key", &key)]).0, 200);
    assert_eq!(get(&server, "/keyed", &[("x-api-key", &key)]).0, 200);
    server.stop();

    // `sluice api-keys` lists the same value.
    let out = Command::new(sluice())
        .args(["api-keys", "-t"])
        .arg(auth_template())
        .arg("--state-dir")
        .arg(&state)
        .output()
        .expect("sluice api-keys");
    assert!(String::from_utf8_lossy(&out.stdout).contains(&key));

    // Quota 3 per day: the restart keeps the two already used.
    let server = Server::start_in(sluice(), &auth_template(), &state, &[]);
    assert_eq!(printed_key(&server), key, "the generated key is kept");
    assert_eq!(get(&server, "/keyed", &[("x-api-key", &key)]).0, 200);
    assert_eq!(
        get(&server, "/keyed", &[("x-api-key", &key)]),
        (429, r#"{"message":"Limit Exceeded"}"#.to_owned())
    );
}

#[test]
fn usage_plan_throttles_each_key_and_refuses_disabled_keys() {
    let server = Server::start(sluice(), &auth_template(), &[]);
    let key = ("x-api-key", "fixed-key-value-0123456789");
    // Burst 2, rate 0.01/s: two requests pass, the third is throttled for this key only.
    let (status, body) = get(&server, "/keyed", &[key]);
    assert_eq!(status, 200);
    // AWS tells the function which key a keyed method was called with.
    let identity = &serde_json::from_str::<serde_json::Value>(&body).unwrap()["identity"];
    assert_eq!(identity["apiKey"], "fixed-key-value-0123456789");
    let key_id = identity["apiKeyId"].as_str().unwrap();
    assert!(
        key_id.len() == 10 && key_id.bytes().all(|b| b.is_ascii_alphanumeric()),
        "{key_id}"
    );
    assert_eq!(get(&server, "/keyed", &[key]).0, 200);
    assert_eq!(
        get(&server, "/keyed", &[key]),
        (429, r#"{"message":"Too Many Requests"}"#.to_owned())
    );
    assert!(server
        .wait_for_log("throttled by usage plan BurstPlan key FixedKey")
        .is_some());
    let generated = printed_key(&server);
    assert_eq!(get(&server, "/keyed", &[("x-api-key", &generated)]).0, 200);
    // CloudFormation's ApiKey is disabled unless `Enabled: true`.
    assert_eq!(
        get(
            &server,
            "/keyed",
            &[("x-api-key", "disabled-key-value-0123456789")]
        ),
        (403, r#"{"message":"Forbidden"}"#.to_owned())
    );
}

#[test]
fn method_throttle_holds_under_concurrent_load() {
    let server = Server::start(sluice(), &auth_template(), &[]);
    let url = server.url("/limited");
    let started = Instant::now();
    // 200 requests from 20 threads at burst 50, rate 10/s.
    let threads: Vec<_> = (0..20)
        .map(|_| {
            let url = url.clone();
            std::thread::spawn(move || {
                let client = crate::client();
                (0..10)
                    .map(|_| {
                        let response = client.get(&url).send().expect("request");
                        let status = response.status().as_u16();
                        (status, response.text().unwrap_or_default())
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let results: Vec<(u16, String)> = threads
        .into_iter()
        .flat_map(|t| t.join().expect("thread"))
        .collect();
    let elapsed = started.elapsed().as_secs_f64();
    let ok = results.iter().filter(|(s, _)| *s == 200).count();
    let throttled: Vec<_> = results.iter().filter(|(s, _)| *s == 429).collect();
    assert_eq!(ok + throttled.len(), 200, "only 200s and 429s");
    assert!(throttled
        .iter()
        .all(|(_, b)| b == r#"{"message":"Too Many Requests"}"#));
    // Token bucket bounds: the burst, plus what the rate refilled meanwhile.
    let most = 50 + (10.0 * elapsed).ceil() as usize;
    assert!(
        ok >= 50 && ok <= most,
        "{ok} allowed in {elapsed:.2} s (bounds 50..={most})"
    );
    assert!(server
        .wait_for_log("throttled by method GET /limited")
        .is_some());
}

#[test]
fn a_cached_method_answers_from_the_stage_cache_without_invoking() {
    let server = Server::start(sluice(), &auth_template(), &[]);
    let first = get(&server, "/cached", &[]);
    assert_eq!(first.0, 200);
    // The same answer, even when the client asks for a fresh one (invalidation needs IAM on AWS).
    assert_eq!(get(&server, "/cached", &[]), first);
    assert_eq!(
        get(&server, "/cached", &[("Cache-Control", "max-age=0")]),
        first
    );
    assert!(server
        .wait_for_log("\"GET /cached HTTP/1.1\" 200")
        .is_some());
    assert!(server.wait_for_log("response cache hit").is_some());
    let starts = server
        .logs()
        .iter()
        .filter(|l| l.contains("[CounterFunction] START"))
        .count();
    assert_eq!(starts, 1, "one invocation for three requests");
    // A method without CachingEnabled is not cached, though the stage has a cache.
    let (_, a) = get(&server, "/uncached", &[]);
    let (_, b) = get(&server, "/uncached", &[]);
    assert_ne!(a, b);
}

/// A cached REST API whose routes declare cache key parameters in each form a template can: a SAM
/// event's `RequestParameters` with `Caching: true`, and OpenAPI `cacheKeyParameters` on a Lambda
/// proxy and on a Lambda custom integration. The function answers its invocation's request id,
/// so equal answers mean the cache answered and different ones mean two invocations.
fn cache_key_template() -> std::path::PathBuf {
    let dir = fresh_dir("cache-keys");
    let template = r#"Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: Prod
      CacheClusterEnabled: true
      CacheClusterSize: "0.5"
      MethodSettings:
        - {ResourcePath: "/*", HttpMethod: "*", CachingEnabled: true, CacheTtlInSeconds: 3600}
      MergeDefinitions: true
      DefinitionBody:
        openapi: 3.0.1
        info: {title: cache-keys, version: "1"}
        paths:
          /items/{id}:
            get:
              parameters:
                - {name: id, in: path, required: true, schema: {type: string}}
                - {name: view, in: query, schema: {type: string}}
              x-amazon-apigateway-integration:
                type: aws_proxy
                httpMethod: POST
                uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations
                cacheKeyParameters: [method.request.path.id, method.request.querystring.view]
          /report:
            get:
              parameters:
                - {name: X-Team, in: header, schema: {type: string}}
              x-amazon-apigateway-integration:
                type: aws
                httpMethod: POST
                uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations
                cacheKeyParameters: [method.request.header.X-Team]
                requestTemplates:
                  application/json: '{"team": "$input.params(''X-Team'')"}'
                responses:
                  default: {statusCode: "200"}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      InlineCode: |
        def handler(event, context):
            if "httpMethod" in event:
                return {"statusCode": 200, "body": context.aws_request_id}
            return {"id": context.aws_request_id}
      Events:
        Users:
          Type: Api
          Properties:
            RestApiId: !Ref Api
            Path: /users
            Method: get
            RequestParameters:
              - method.request.querystring.type: {Required: false, Caching: true}
              - method.request.header.X-Team: {Caching: true}
              - method.request.querystring.department: {Required: false}
        Plain:
          Type: Api
          Properties: {RestApiId: !Ref Api, Path: /plain, Method: get}
"#;
    std::fs::write(dir.join("template.yaml"), template).expect("write template");
    dir.join("template.yaml")
}

/// GET `path` on `server`, expecting a 200; its body.
fn ok_body(server: &Server, path: &str, headers: &[(&str, &str)]) -> String {
    let (status, body) = get(server, path, headers);
    assert_eq!(status, 200, "GET {path}: {body}");
    body
}

#[test]
fn declared_cache_key_parameters_split_the_stage_cache_by_their_values() {
    let server = Server::start(sluice(), &cache_key_template(), &[]);
    let get = |path: &str| ok_body(&server, path, &[]);
    // AWS's own example: with `type` a cache key, `department` (not one) shares the entry.
    let admin = get("/users?type=admin&department=A");
    assert_eq!(get("/users?type=admin&department=B"), admin);
    let regular = get("/users?type=regular");
    assert_ne!(regular, admin);
    assert_eq!(get("/users?type=regular"), regular);
    // A request without the parameter has an entry of its own.
    let untyped = get("/users");
    assert!(untyped != admin && untyped != regular, "{untyped}");
    assert_eq!(get("/users"), untyped);
    assert_eq!(get("/users?type=admin"), admin);
    // A header key: its value splits the cache, its name's case does not.
    let red = ok_body(&server, "/users?type=admin", &[("X-Team", "red")]);
    assert_ne!(red, admin);
    assert_eq!(
        ok_body(&server, "/users?type=admin", &[("x-team", "red")]),
        red
    );
    assert_ne!(
        ok_body(&server, "/users?type=admin", &[("X-Team", "blue")]),
        red
    );

    // OpenAPI `cacheKeyParameters` on a Lambda proxy: the path and query keys.
    let one_a = get("/items/1?view=a");
    assert_eq!(get("/items/1?view=a&other=x"), one_a);
    let two_a = get("/items/2?view=a");
    let one_b = get("/items/1?view=b");
    assert!(two_a != one_a && one_b != one_a && one_b != two_a);

    // A Lambda custom integration's mapped answer is cached too, keyed by its header.
    let team = |value: &str| {
        let body = ok_body(&server, "/report", &[("X-Team", value)]);
        let answer: Value = serde_json::from_str(&body).expect("JSON answer");
        answer["id"]
            .as_str()
            .expect("the invocation's id")
            .to_owned()
    };
    let red = team("red");
    assert_eq!(team("red"), red);
    let blue = team("blue");
    assert_ne!(blue, red);
    assert_eq!(team("blue"), blue);

    // Without declared keys the query string is not part of the key, as on AWS.
    let plain = get("/plain?x=1");
    assert_eq!(get("/plain?x=2"), plain);
}

#[test]
fn a_raw_cloudformation_stage_caches_by_the_methods_cache_key_parameters() {
    let dir = fresh_dir("cache-keys-raw");
    let template = r#"Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      InlineCode: |
        def handler(event, context):
            return {"statusCode": 200, "body": context.aws_request_id}
  Raw:
    Type: AWS::ApiGateway::RestApi
    Properties: {Name: raw}
  Users:
    Type: AWS::ApiGateway::Resource
    Properties: {RestApiId: !Ref Raw, ParentId: !GetAtt Raw.RootResourceId, PathPart: users}
  GetUsers:
    Type: AWS::ApiGateway::Method
    Properties:
      RestApiId: !Ref Raw
      ResourceId: !Ref Users
      HttpMethod: GET
      AuthorizationType: NONE
      RequestParameters: {method.request.querystring.type: false}
      Integration:
        Type: AWS_PROXY
        IntegrationHttpMethod: POST
        Uri: !Sub arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Fn.Arn}/invocations
        CacheKeyParameters: [method.request.querystring.type]
  Deployment:
    Type: AWS::ApiGateway::Deployment
    DependsOn: GetUsers
    Properties: {RestApiId: !Ref Raw}
  Stage:
    Type: AWS::ApiGateway::Stage
    Properties:
      RestApiId: !Ref Raw
      DeploymentId: !Ref Deployment
      StageName: v1
      CacheClusterEnabled: true
      CacheClusterSize: "0.5"
      MethodSettings:
        - {ResourcePath: "/*", HttpMethod: "*", CachingEnabled: true, CacheTtlInSeconds: 3600}
"#;
    std::fs::write(dir.join("template.yaml"), template).expect("write template");
    let server = Server::start(sluice(), &dir.join("template.yaml"), &[]);
    let get = |path: &str| ok_body(&server, path, &[]);
    let admin = get("/users?type=admin");
    assert_eq!(get("/users?type=admin&page=2"), admin);
    let regular = get("/users?type=regular");
    assert_ne!(regular, admin);
    assert_eq!(get("/users?type=regular"), regular);
}
