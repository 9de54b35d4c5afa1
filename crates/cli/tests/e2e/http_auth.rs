//! HTTP API authorizers end to end: JWT tokens from `sluice token` as a user makes them, Lambda
//! authorizers in python (2.0 simple, 2.0 policy, 1.0), AWS_IAM; AWS's HTTP API answers, the
//! function never reached on refusal, and authorizer caching counted in invocations.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use sluice_testkit::{fresh_dir, Server};

use crate::{client, sluice};

fn template() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/http-auth/template.yaml")
}

/// `sluice token -t <template> --state-dir <dir> <args…>`, as a user runs it.
pub fn token_for(template: &Path, state_dir: &Path, args: &[&str]) -> String {
    let out = Command::new(sluice())
        .arg("token")
        .arg("-t")
        .arg(template)
        .arg("--state-dir")
        .arg(state_dir)
        .args(args)
        .output()
        .expect("running sluice token");
    assert!(
        out.status.success(),
        "sluice token failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// GET `path` with headers: status, `www-authenticate` and body.
pub fn call(
    server: &Server,
    path: &str,
    headers: &[(&str, &str)],
) -> (u16, Option<String>, String) {
    let mut request = client().get(server.url(path));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().expect("request");
    let status = response.status().as_u16();
    let challenge = response
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap_or_default().to_owned());
    (status, challenge, response.text().expect("body"))
}

/// Invocations of one function started so far (its START lines).
fn invocations(server: &Server, function: &str) -> usize {
    let needle = format!("[{function}] START RequestId");
    server.logs().iter().filter(|l| l.contains(&needle)).count()
}

/// The invocation count once the log has caught up: log lines arrive through a pipe after the
/// response, so wait until `expected` START lines are in (or 10 s), then a little longer for any
/// unexpected one, and return what is there.
fn settled(server: &Server, function: &str, expected: usize) -> usize {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while invocations(server, function) < expected && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    invocations(server, function)
}

fn authorizer(body: &str) -> Value {
    let body: Value = serde_json::from_str(body).unwrap_or_else(|_| panic!("json: {body}"));
    body["authorizer"].clone()
}

const UNAUTHORIZED: &str = r#"{"message":"Unauthorized"}"#;
const FORBIDDEN: &str = r#"{"message":"Forbidden"}"#;
const INTERNAL: &str = r#"{"message":"Internal Server Error"}"#;

#[test]
fn jwt_authorizer_validates_local_pool_tokens_audience_and_scopes() {
    let state = fresh_dir("http-auth-jwt");
    let server = Server::start_in(sluice(), &template(), &state, &[]);
    assert_eq!(call(&server, "/public", &[]).0, 200);
    let (status, _, body) = call(&server, "/me", &[]);
    assert_eq!((status, body.as_str()), (401, UNAUTHORIZED));

    let id_token = token_for(
        &template(),
        &state,
        &[
            "--pool",
            "UserPool",
            "--client",
            "WebClient",
            "--username",
            "ada",
            "--groups",
            "admin,users",
        ],
    );
    let bearer = format!("Bearer {id_token}");
    let (status, _, body) = call(&server, "/me", &[("Authorization", &bearer)]);
    assert_eq!(status, 200, "{body}");
    let jwt = &authorizer(&body)["jwt"];
    assert_eq!(jwt["claims"]["cognito:username"], "ada");
    // HTTP APIs pass every claim as a string; lists as `[a b]`.
    assert_eq!(jwt["claims"]["cognito:groups"], "[admin users]");
    assert!(jwt["claims"]["exp"].as_str().is_some(), "{jwt}");
    // No scopes on the route: `scopes` is null.
    assert_eq!(jwt["scopes"], Value::Null);
    // The raw token works too, and a payload 1.0 route gets the claims without the `jwt` level.
    let (status, _, body) = call(&server, "/me-v1", &[("Authorization", &id_token)]);
    assert_eq!(status, 200, "{body}");
    assert_eq!(authorizer(&body)["claims"]["cognito:username"], "ada");

    // Another app client of the same pool: AWS's documented www-authenticate answer.
    let other = token_for(
        &template(),
        &state,
        &["--pool", "UserPool", "--client", "OtherClient"],
    );
    let (status, challenge, body) = call(&server, "/me", &[("Authorization", &other)]);
    assert_eq!((status, body.as_str()), (401, UNAUTHORIZED));
    assert_eq!(
        challenge.as_deref(),
        Some(
            r#"Bearer scope="" error="invalid_token" error_description="the token does not have a valid audience""#
        )
    );
    // A tampered token, garbage, an expired token: 401, never reaching the function (which has
    // answered /public, /me and /me-v1 so far).
    assert_eq!(settled(&server, "EchoFunction", 3), 3);
    let mut parts: Vec<String> = id_token.split('.').map(str::to_owned).collect();
    parts[1] = parts[1].chars().rev().collect();
    let expired = token_for(
        &template(),
        &state,
        &[
            "--pool",
            "UserPool",
            "--client",
            "WebClient",
            "--expires-in",
            "-1h",
        ],
    );
    for bad in [parts.join("."), "garbage".to_owned(), expired] {
        let (status, challenge, body) = call(&server, "/me", &[("Authorization", &bad)]);
        assert_eq!((status, body.as_str()), (401, UNAUTHORIZED), "{bad}");
        assert!(challenge.is_some_and(|c| c.starts_with("Bearer ")), "{bad}");
    }
    assert_eq!(settled(&server, "EchoFunction", 3), 3);

    // Scopes: an access token granting items/read passes; other scopes are 403 Forbidden.
    let read = token_for(
        &template(),
        &state,
        &[
            "--pool",
            "UserPool",
            "--client",
            "WebClient",
            "--scope",
            "items/read items/write",
        ],
    );
    let (status, _, body) = call(&server, "/scoped", &[("Authorization", &read)]);
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        authorizer(&body)["jwt"]["scopes"],
        serde_json::json!(["items/read", "items/write"])
    );
    let write = token_for(
        &template(),
        &state,
        &[
            "--pool",
            "UserPool",
            "--client",
            "WebClient",
            "--scope",
            "items/write",
        ],
    );
    let (status, _, body) = call(&server, "/scoped", &[("Authorization", &write)]);
    assert_eq!((status, body.as_str()), (403, FORBIDDEN));
}

#[test]
fn simple_response_authorizer_caches_by_identity_and_fails_closed() {
    let server = Server::start(sluice(), &template(), &[]);
    let (status, _, body) = call(&server, "/simple/1", &[("X-Token", "allow")]);
    assert_eq!(status, 200, "{body}");
    let lambda = &authorizer(&body)["lambda"];
    // The 2.0 authorizer request, as AWS builds it.
    assert_eq!(lambda["version"], "2.0");
    assert_eq!(lambda["type"], "REQUEST");
    assert_eq!(lambda["identitySource"], serde_json::json!(["allow"]));
    assert_eq!(lambda["routeKey"], "GET /simple/{id}");
    assert_eq!(lambda["hasBody"], false);
    let arn = lambda["arn"].as_str().expect("routeArn");
    assert!(
        arn.starts_with("arn:aws:execute-api:us-east-1:123456789012:")
            && arn.ends_with("/$default/GET/simple/1"),
        "{arn}"
    );
    // Context values keep their JSON types on HTTP APIs.
    assert_eq!(lambda["nested"]["a"], 1);

    // Same identity: answered from the cache (ReauthorizeEvery 60), for another path too.
    assert_eq!(settled(&server, "SimpleAuthorizer", 1), 1);
    assert_eq!(call(&server, "/simple/2", &[("X-Token", "allow")]).0, 200);
    assert_eq!(settled(&server, "SimpleAuthorizer", 1), 1);
    // Another identity: invoked again.
    assert_eq!(call(&server, "/simple/1", &[("X-Token", "other")]).0, 200);
    assert_eq!(settled(&server, "SimpleAuthorizer", 2), 2);
    // ReauthorizeEvery 0: invoked every time.
    assert_eq!(call(&server, "/nocache", &[("X-Token", "allow")]).0, 200);
    assert_eq!(call(&server, "/nocache", &[("X-Token", "allow")]).0, 200);
    assert_eq!(settled(&server, "SimpleAuthorizer", 4), 4);

    // A missing identity source: 401 without invoking.
    let (status, _, body) = call(&server, "/simple/1", &[]);
    assert_eq!((status, body.as_str()), (401, UNAUTHORIZED));
    assert_eq!(settled(&server, "SimpleAuthorizer", 4), 4);

    // Refusals never reach the function (it has answered five requests so far).
    for (token, status, body) in [
        ("deny", 403, FORBIDDEN),
        ("unauthorized", 401, UNAUTHORIZED),
        ("boom", 500, INTERNAL),
        ("garbage", 500, INTERNAL),
    ] {
        let (got, _, text) = call(&server, "/simple/1", &[("X-Token", token)]);
        assert_eq!((got, text.as_str()), (status, body), "{token}");
    }
    assert_eq!(settled(&server, "EchoFunction", 5), 5);
    assert_eq!(call(&server, "/public", &[]).0, 200);
}

#[test]
fn policy_authorizers_payload_2_and_1() {
    let server = Server::start(sluice(), &template(), &[]);
    // 2.0 with an IAM policy answer; both identity sources required.
    let (status, _, body) = call(&server, "/policy/1?tenant=t1", &[("X-Token", "allow")]);
    assert_eq!(status, 200, "{body}");
    let lambda = &authorizer(&body)["lambda"];
    assert_eq!(lambda["version"], "2.0");
    assert!(lambda["arn"]
        .as_str()
        .expect("arn")
        .ends_with("/$default/GET/policy/1"));
    assert_eq!(call(&server, "/policy/1", &[("X-Token", "allow")]).0, 401);
    let (status, _, body) = call(&server, "/policy/1?tenant=t1", &[("X-Token", "deny")]);
    assert_eq!((status, body.as_str()), (403, FORBIDDEN));
    // A policy for one route ARN, cached, does not cover another path: 403.
    assert_eq!(
        call(&server, "/policy/1?tenant=t2", &[("X-Token", "narrow")]).0,
        200
    );
    assert_eq!(
        call(&server, "/policy/2?tenant=t2", &[("X-Token", "narrow")]).0,
        403
    );
    assert_eq!(
        call(&server, "/policy/1?tenant=t1", &[("X-Token", "garbage")]).0,
        500
    );

    // 1.0: the REST-like request (methodArn, identitySource as one string); a 1.0 route gets the
    // context flat, with principalId.
    let (status, _, body) = call(&server, "/v1", &[("X-Token", "allow")]);
    assert_eq!(status, 200, "{body}");
    let context = authorizer(&body);
    assert_eq!(context["version"], "1.0");
    assert_eq!(context["identitySource"], "allow");
    assert_eq!(context["principalId"], "user-allow");
    assert!(context["arn"]
        .as_str()
        .expect("methodArn")
        .ends_with("/$default/GET/v1"));
}

#[test]
fn aws_iam_on_an_http_api_verifies_botocore_signatures() {
    crate::auth::botocore_signed_requests_pass(
        &template(),
        "AKIASLUICETEST000002",
        "sigv4_http_api.py",
    );
}

#[test]
fn headers_over_10_kb_get_431_without_reaching_the_function() {
    let server = Server::start(sluice(), &template(), &[]);
    let huge = "a".repeat(11 * 1024);
    for path in ["/public", "/me", "/no-such-route"] {
        let (status, _, body) = call(&server, path, &[("Authorization", &huge)]);
        assert_eq!(status, 431, "{path}");
        assert_eq!(
            body,
            r#"{"message":"HTTP header is larger than 10240 bytes."}"#
        );
    }
    assert_eq!(settled(&server, "EchoFunction", 0), 0);
    // Just under the limit still reaches the open route.
    let (status, _, _) = call(&server, "/public", &[("X-Pad", &"b".repeat(9 * 1024))]);
    assert_eq!(status, 200);
}

#[test]
fn a_child_stacks_authorizers_and_api_keys_guard_its_routes() {
    let template =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/nested-auth/template.yaml");
    let state = fresh_dir("nested-auth");
    let server = Server::start_in(sluice(), &template, &state, &[]);
    // REST API of the child: its DefaultAuthorizer (TOKEN) and its API key route.
    assert_eq!(call(&server, "/guarded", &[]).0, 401);
    assert_eq!(call(&server, "/guarded", &[("X-Token", "deny")]).0, 403);
    assert_eq!(call(&server, "/guarded", &[("X-Token", "allow")]).0, 200);
    assert_eq!(call(&server, "/keyed", &[]).0, 403);
    // HTTP API of the child: its JWT DefaultAuthorizer, with the child pool's token.
    assert_eq!(call(&server, "/jwt", &[]).0, 401);
    let token = token_for(&template, &state, &["--pool", "Child/UserPool"]);
    let (status, _, body) = call(&server, "/jwt", &[("Authorization", &token)]);
    assert_eq!(status, 200, "{body}");
}
