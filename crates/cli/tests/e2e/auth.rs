//! Authorizers end to end: the real binary, tokens from `sluice token` as a user makes them, and
//! the answers AWS gives (401/403/500 bodies), with the function never reached on refusal.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use sluice_testkit::{assert_eventually, fresh_dir, Server};

use crate::{client, sluice};

/// The auth fixture's template.
pub fn auth_template() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/auth/template.yaml")
}

/// Runs `sluice token -t <fixture> --state-dir <dir> <args…>` and returns the token it prints.
pub fn token(state_dir: &Path, args: &[&str]) -> String {
    let out = Command::new(sluice())
        .arg("token")
        .arg("-t")
        .arg(auth_template())
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

/// GET `path` with headers; status and body text.
pub fn get(server: &Server, path: &str, headers: &[(&str, &str)]) -> (u16, String) {
    let mut request = client().get(server.url(path));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().expect("request");
    let status = response.status().as_u16();
    (status, response.text().expect("body"))
}

/// How many times the echo function has started an invocation so far.
fn echo_invocations(server: &Server) -> usize {
    server
        .logs()
        .iter()
        .filter(|l| l.contains("[EchoFunction] START RequestId"))
        .count()
}

const UNAUTHORIZED: &str = r#"{"message":"Unauthorized"}"#;

#[test]
fn cognito_authorizer_checks_signature_claims_and_scopes() {
    let state = fresh_dir("auth-cognito");
    let server = Server::start_in(sluice(), &auth_template(), &state, &[]);

    // The open route needs nothing; the protected one needs a token.
    assert_eq!(get(&server, "/public", &[]).0, 200);
    assert_eq!(get(&server, "/me", &[]), (401, UNAUTHORIZED.to_owned()));

    let id_token = token(
        &state,
        &[
            "--pool",
            "UserPool",
            "--username",
            "ada",
            "--groups",
            "admin,users",
            "--claim",
            "email=ada@example.com",
        ],
    );
    let (status, body) = get(&server, "/me", &[("Authorization", &id_token)]);
    assert_eq!(status, 200, "{body}");
    let body: Value = serde_json::from_str(&body).expect("json");
    let claims = &body["authorizer"]["claims"];
    assert_eq!(claims["cognito:username"], "ada");
    assert_eq!(claims["cognito:groups"], "admin,users");
    assert_eq!(claims["email"], "ada@example.com");
    assert_eq!(claims["token_use"], "id");
    // API Gateway passes every claim as a string, exp/iat in Java's date format.
    assert!(
        claims
            .as_object()
            .expect("claims")
            .values()
            .all(Value::is_string),
        "{claims}"
    );
    assert!(
        claims["exp"].as_str().expect("exp").ends_with(" UTC 2026")
            || claims["exp"].as_str().expect("exp").contains(" UTC "),
        "{claims}"
    );

    // The JWKS the services endpoint serves has the key that signed the token.
    let pool_id = claims["iss"]
        .as_str()
        .expect("iss")
        .rsplit('/')
        .next()
        .expect("pool id")
        .to_owned();
    let jwks: Value = client()
        .get(format!(
            "{}/{pool_id}/.well-known/jwks.json",
            server.services_url
        ))
        .send()
        .expect("jwks")
        .json()
        .expect("jwks json");
    assert_eq!(jwks["keys"][0]["kty"], "RSA");
    let config: Value = client()
        .get(format!(
            "{}/{pool_id}/.well-known/openid-configuration",
            server.services_url
        ))
        .send()
        .expect("openid configuration")
        .json()
        .expect("json");
    assert_eq!(config["issuer"], claims["iss"]);

    // Scopes: the scoped route wants an access token granting items/read.
    assert_eq!(
        get(&server, "/scoped", &[("Authorization", &id_token)]).0,
        401
    );
    let read = token(&state, &["--pool", "UserPool", "--scope", "items/read"]);
    assert_eq!(get(&server, "/scoped", &[("Authorization", &read)]).0, 200);
    let write = token(&state, &["--pool", "UserPool", "--scope", "items/write"]);
    assert_eq!(get(&server, "/scoped", &[("Authorization", &write)]).0, 401);
    // An access token where an id token is expected.
    assert_eq!(get(&server, "/me", &[("Authorization", &read)]).0, 401);
}

#[test]
fn every_token_attack_is_401_and_never_reaches_the_function() {
    let state = fresh_dir("auth-attacks");
    let server = Server::start_in(sluice(), &auth_template(), &state, &[]);
    let good = token(&state, &["--pool", "UserPool"]);
    assert_eq!(get(&server, "/me", &[("Authorization", &good)]).0, 200);
    // Logs arrive through a pipe: once the REPORT line is read, the START line before it is too.
    assert!(server.wait_for_log("[EchoFunction] REPORT").is_some());
    let before = echo_invocations(&server);

    let parts: Vec<&str> = good.split('.').collect();
    let b64 = |s: &str| {
        use base64_url::encode;
        encode(s)
    };
    let none = format!("{}.{}.", b64(r#"{"alg":"none","typ":"JWT"}"#), parts[1]);
    let tampered = {
        let payload = base64_url::decode(parts[1]).expect("payload");
        let mut claims: Value = serde_json::from_slice(&payload).expect("claims");
        claims["cognito:username"] = "mallory".into();
        format!("{}.{}.{}", parts[0], b64(&claims.to_string()), parts[2])
    };
    let expired = token(&state, &["--pool", "UserPool", "--expires-in", "-1h"]);
    let other_pool = token(&state, &["--pool", "OtherPool"]);
    let unknown_kid = {
        let header = base64_url::decode(parts[0]).expect("header");
        let mut header: Value = serde_json::from_slice(&header).expect("header json");
        header["kid"] = "nope".into();
        format!("{}.{}.{}", b64(&header.to_string()), parts[1], parts[2])
    };
    let hs256 = {
        let header = b64(r#"{"alg":"HS256","typ":"JWT"}"#);
        format!("{header}.{}.{}", parts[1], parts[2])
    };
    let huge = format!("{good}{}", "A".repeat(12 * 1024));
    for (what, token) in [
        ("alg none", none.as_str()),
        ("HS256 header on an RS256 token", hs256.as_str()),
        ("tampered payload", tampered.as_str()),
        ("expired", expired.as_str()),
        (
            "another pool (wrong issuer and audience)",
            other_pool.as_str(),
        ),
        ("unknown kid", unknown_kid.as_str()),
        ("garbage", "garbage"),
    ] {
        let (status, body) = get(&server, "/me", &[("Authorization", token)]);
        assert_eq!((status, body.as_str()), (401, UNAUTHORIZED), "{what}");
    }
    // Over API Gateway's 10240 bytes of request line and headers: refused before any authorizer.
    assert_eq!(
        get(&server, "/me", &[("Authorization", &huge)]),
        (
            431,
            r#"{"message":"HTTP header is larger than 10240 bytes."}"#.to_owned()
        )
    );
    // Give a (wrongly) started invocation time to show up in the log before counting.
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(
        echo_invocations(&server),
        before,
        "no refused request reached the function"
    );
}

#[test]
fn a_token_is_verified_once_and_still_expires_while_cached() {
    let state = fresh_dir("auth-expiring");
    let server = Server::start_in(sluice(), &auth_template(), &state, &[]);
    // Long enough for three requests on a loaded machine, short enough to wait for.
    let short = token(&state, &["--pool", "UserPool", "--expires-in", "8s"]);
    for _ in 0..3 {
        assert_eq!(get(&server, "/me", &[("Authorization", &short)]).0, 200);
    }
    // The access line says `cached` when the signature was verified on an earlier request.
    let lines = |needle: &str| server.logs().iter().filter(|l| l.contains(needle)).count();
    assert_eventually!(
        lines("[authorizer=Cognito]") == 1 && lines("[authorizer=Cognito cached]") == 2,
        "one verification, two cache hits: {:#?}",
        server.logs()
    );
    // Cached or not, `exp` is checked on every request: the same token is refused once it passes.
    assert_eventually!(within std::time::Duration::from_secs(30);
        get(&server, "/me", &[("Authorization", &short)]).0 == 401,
        "the expired token was still accepted"
    );
    // Lines reach the terminal in order but after the response (written in batches, off the
    // request path): once a request's access line is read, so are the START lines of the
    // invocations before it. Counted earlier, the last accepted request's START could still be
    // on its way, and arrive during the check below.
    let refused = |count: usize| {
        assert_eventually!(
            lines(r#""GET /me HTTP/1.1" 401"#) == count,
            "{count} refused request(s) in the log: {:#?}",
            server.logs()
        );
    };
    refused(1);
    let before = echo_invocations(&server);
    assert_eq!(
        get(&server, "/me", &[("Authorization", &short)]),
        (401, UNAUTHORIZED.to_owned())
    );
    // A (wrongly) started invocation's START would be logged before this request's access line.
    refused(2);
    assert_eq!(
        echo_invocations(&server),
        before,
        "the function was not reached"
    );
}

/// Minimal base64url without padding, so the test needs no extra crate.
mod base64_url {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    pub fn encode(text: &str) -> String {
        let bytes = text.as_bytes();
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let n = chunk
                .iter()
                .enumerate()
                .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
            for i in 0..=chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            }
        }
        out
    }

    pub fn decode(text: &str) -> Option<Vec<u8>> {
        let mut bits = 0u32;
        let mut count = 0;
        let mut out = Vec::new();
        for c in text.bytes() {
            let v = ALPHABET.iter().position(|a| *a == c)? as u32;
            bits = (bits << 6) | v;
            count += 6;
            if count >= 8 {
                count -= 8;
                out.push((bits >> count) as u8);
                bits &= (1 << count) - 1;
            }
        }
        Some(out)
    }
}

#[test]
fn tokens_survive_a_restart_and_unenforceable_settings_fail_closed() {
    let state = fresh_dir("auth-restart");
    let id_token = token(&state, &["--pool", "UserPool"]);
    let mut server = Server::start_in(sluice(), &auth_template(), &state, &[]);
    assert_eq!(get(&server, "/me", &[("Authorization", &id_token)]).0, 200);
    // An authorizer Sluice cannot enforce (its ValidationExpression does not compile): the route
    // answers 500 with a log line naming why, never opens.
    assert_eq!(
        get(&server, "/broken", &[("X-Token", "allow")]),
        (500, r#"{"message": "Internal server error"}"#.to_owned())
    );
    assert!(server.wait_for_log("ValidationExpression \"([\"").is_some());
    server.stop();
    let server = Server::start_in(sluice(), &auth_template(), &state, &[]);
    assert_eq!(get(&server, "/me", &[("Authorization", &id_token)]).0, 200);
}

#[test]
fn validate_reports_what_cannot_be_enforced() {
    let out = Command::new(sluice())
        .args(["validate", "-t"])
        .arg(auth_template())
        .output()
        .expect("running sluice validate");
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("GET /broken") && stderr.contains("ValidationExpression"),
        "{stderr}"
    );
    assert!(!stderr.contains("/iam"), "AWS_IAM is enforced: {stderr}");
}

#[test]
fn a_pool_outside_the_template_is_trusted_through_its_jwks_file() {
    let external =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/auth-external/template.yaml");
    let issuer = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_EXTERNAL1";

    // Without the file Sluice fetches the pool's keys from AWS, as API Gateway does; with no
    // token (and whether or not the fetch succeeds) the request is refused as on AWS.
    let bare = Server::start(sluice(), &external, &[]);
    assert_eq!(get(&bare, "/me", &[]).0, 401);
    drop(bare);

    // A "real issuer": the fixture pool's key, minting tokens with the external pool's issuer.
    let issuer_state = fresh_dir("auth-issuer");
    let token_from_issuer = token(
        &issuer_state,
        &["--pool", "UserPool", "--claim", &format!("iss={issuer}")],
    );
    let issuing = Server::start_in(sluice(), &auth_template(), &issuer_state, &[]);
    let pool_id = issuing
        .wait_for_log("Cognito user pool UserPool (")
        .and_then(|l| {
            l.split('(')
                .nth(1)
                .and_then(|r| r.split(')').next())
                .map(str::to_owned)
        })
        .expect("pool id printed");
    let jwks = client()
        .get(format!(
            "{}/{pool_id}/.well-known/jwks.json",
            issuing.services_url
        ))
        .send()
        .expect("jwks")
        .text()
        .expect("jwks text");
    drop(issuing);

    let state = fresh_dir("auth-external");
    std::fs::create_dir_all(state.join("jwks")).expect("jwks dir");
    std::fs::write(state.join("jwks/us-east-1_EXTERNAL1.json"), jwks).expect("jwks file");
    let server = Server::start_in(sluice(), &external, &state, &[]);
    assert_eq!(get(&server, "/me", &[]).0, 401);
    let (status, body) = get(&server, "/me", &[("Authorization", &token_from_issuer)]);
    assert_eq!(status, 200, "{body}");
    // The fixture pool's own token names another issuer: refused.
    let own = token(&issuer_state, &["--pool", "UserPool"]);
    assert_eq!(get(&server, "/me", &[("Authorization", &own)]).0, 401);
}

#[test]
fn aws_iam_routes_verify_sigv4_signatures_from_botocore() {
    botocore_signed_requests_pass(
        &auth_template(),
        "AKIASLUICETEST000001",
        "sigv4_execute_api.py",
    );
}

/// Serves `template` with a credentials file holding `key`, then runs the botocore-signing client
/// `script` (from the clients fixtures) against it.
pub(crate) fn botocore_signed_requests_pass(template: &std::path::Path, key: &str, script: &str) {
    assert!(
        sluice_testkit::ensure_python_module("botocore", "botocore"),
        "botocore is needed to sign requests"
    );
    let state = fresh_dir("auth-iam");
    let secret = "sluice-test-secret-key";
    std::fs::write(
        state.join("credentials"),
        format!("[tester]\naws_access_key_id = {key}\naws_secret_access_key = {secret}\n"),
    )
    .expect("credentials file");
    let server = Server::start_in(sluice(), template, &state, &[]);
    sluice_testkit::assert_python_script_passes(
        &crate::services::clients_dir().join(script),
        &[&server.base_url, key, secret],
        &[],
    );
}

#[test]
fn disable_authorizer_opens_authorizer_routes_only() {
    let server = Server::start(sluice(), &auth_template(), &["--disable-authorizer"]);
    assert!(server.wait_for_log("--disable-authorizer").is_some());
    assert_eq!(get(&server, "/me", &[]).0, 200);
    assert_eq!(get(&server, "/token/1", &[]).0, 200);
    // API keys and AWS_IAM are not authorizers: still enforced.
    assert_eq!(get(&server, "/keyed", &[]).0, 403);
    assert_eq!(get(&server, "/iam", &[]).0, 403);
}

#[test]
fn auth_declared_outside_sam_events_is_enforced_or_fails_closed() {
    let template =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/auth-raw/template.yaml");
    let server = Server::start(sluice(), &template, &[]);
    let internal = (500, r#"{"message": "Internal server error"}"#.to_owned());
    // A document's scheme that API Gateway would not enforce: closed, not open.
    assert_eq!(get(&server, "/doc", &[]), internal);
    // A document under a DefaultAuthorizer gets it, as SAM applies it to DefinitionBody paths.
    assert_eq!(
        get(&server, "/defaulted", &[]),
        (401, UNAUTHORIZED.to_owned())
    );
    // Raw methods: a Cognito AuthorizationType without AuthorizerId fails closed; AWS_IAM and
    // ApiKeyRequired apply; an AuthorizerId's AWS::ApiGateway::Authorizer decides.
    assert_eq!(get(&server, "/raw-cognito", &[]), internal);
    assert_eq!(
        get(&server, "/raw-token", &[]),
        (401, UNAUTHORIZED.to_owned())
    );
    assert_eq!(get(&server, "/raw-token", &[("X-Token", "deny")]).0, 403);
    assert_eq!(get(&server, "/raw-token", &[("X-Token", "allow")]).0, 200);
    assert_eq!(
        get(&server, "/raw-pool", &[("Authorization", "not-a-jwt")]),
        (401, UNAUTHORIZED.to_owned())
    );
    assert_eq!(
        get(&server, "/raw-iam", &[]),
        (
            403,
            r#"{"message":"Missing Authentication Token"}"#.to_owned()
        )
    );
    assert_eq!(
        get(&server, "/raw-key", &[]),
        (403, r#"{"message":"Forbidden"}"#.to_owned())
    );
}

#[test]
fn an_openapi_documents_own_security_guards_its_routes() {
    let template =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/auth-raw/template.yaml");
    let state = fresh_dir("auth-openapi");
    let server = Server::start_in(sluice(), &template, &state, &[]);
    // A path that requires nothing is open, though others in the document require something.
    assert_eq!(get(&server, "/guarded/open", &[]).0, 200);
    // Cognito user pool scheme: 401 without a token, served with one of the pool's.
    assert_eq!(
        get(&server, "/guarded/pool", &[]),
        (401, UNAUTHORIZED.to_owned())
    );
    let out = Command::new(sluice())
        .args(["token", "-t"])
        .arg(&template)
        .arg("--state-dir")
        .arg(&state)
        .output()
        .expect("sluice token");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let id_token = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    assert_eq!(
        get(&server, "/guarded/pool", &[("Authorization", &id_token)]).0,
        200
    );
    // Lambda TOKEN scheme: the authorizer's answer decides.
    assert_eq!(
        get(&server, "/guarded/token", &[]),
        (401, UNAUTHORIZED.to_owned())
    );
    assert_eq!(
        get(&server, "/guarded/token", &[("X-Token", "deny")]).0,
        403
    );
    assert_eq!(
        get(&server, "/guarded/token", &[("X-Token", "allow")]).0,
        200
    );
    // The x-api-key scheme and per-method AWS_IAM, as API Gateway answers them.
    assert_eq!(
        get(&server, "/guarded/key", &[]),
        (403, r#"{"message":"Forbidden"}"#.to_owned())
    );
    assert_eq!(
        get(&server, "/guarded/iam", &[]),
        (
            403,
            r#"{"message":"Missing Authentication Token"}"#.to_owned()
        )
    );
}

#[test]
fn raw_authorizer_resources_guard_the_methods_that_name_them() {
    let template =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/auth-raw/template.yaml");
    let state = fresh_dir("auth-raw-authorizers");
    let server = Server::start_in(sluice(), &template, &state, &[]);
    // A TOKEN AWS::ApiGateway::Authorizer: its IdentitySource header carries the token, and the
    // function's answer decides.
    assert_eq!(
        get(&server, "/raw-token", &[]),
        (401, UNAUTHORIZED.to_owned())
    );
    assert_eq!(
        get(&server, "/raw-token", &[("X-Token", "deny")]),
        (
            403,
            r#"{"message":"User is not authorized to access this resource with an explicit deny"}"#
                .to_owned()
        )
    );
    assert_eq!(get(&server, "/raw-token", &[("X-Token", "allow")]).0, 200);
    // A COGNITO_USER_POOLS one: a token of its ProviderARNs' pool.
    assert_eq!(
        get(&server, "/raw-pool", &[]),
        (401, UNAUTHORIZED.to_owned())
    );
    let out = Command::new(sluice())
        .args(["token", "-t"])
        .arg(&template)
        .arg("--state-dir")
        .arg(&state)
        .output()
        .expect("sluice token");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let id_token = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    assert_eq!(
        get(&server, "/raw-pool", &[("Authorization", &id_token)]).0,
        200
    );
}

/// A REST API with `Cors`, a Cognito `DefaultAuthorizer` and `ApiKeyRequired`; `preflight` sets
/// SAM's two "…ToCorsPreflight" flags.
fn cors_auth_project(label: &str, preflight: &str) -> PathBuf {
    let dir = fresh_dir(label);
    std::fs::write(
        dir.join("template.yaml"),
        format!(
            "Transform: AWS::Serverless-2016-10-31
Resources:
  UserPool:
    Type: AWS::Cognito::UserPool
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: Prod
      Cors:
        AllowOrigin: \"'https://app.example.com'\"
        AllowHeaders: \"'Content-Type, Authorization, X-Api-Key'\"
      Auth:
        DefaultAuthorizer: Cognito
        ApiKeyRequired: true
{preflight}        Authorizers:
          Cognito:
            UserPoolArn: !GetAtt UserPool.Arn
  Key:
    Type: AWS::ApiGateway::ApiKey
    Properties: {{Value: preflight-key-0123456789abcdef, Enabled: true}}
  Plan:
    Type: AWS::ApiGateway::UsagePlan
    Properties:
      ApiStages: [{{ApiId: !Ref Api, Stage: Prod}}]
  PlanKey:
    Type: AWS::ApiGateway::UsagePlanKey
    Properties: {{KeyId: !Ref Key, KeyType: API_KEY, UsagePlanId: !Ref Plan}}
  EchoFunction:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      CodeUri: {}
      Handler: echo.handler
      Events:
        Get: {{Type: Api, Properties: {{RestApiId: !Ref Api, Path: /items, Method: get}}}}
",
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/auth/src")
                .display()
        ),
    )
    .unwrap();
    dir.join("template.yaml")
}

/// An OPTIONS preflight of /items, as a browser sends it (no token, no key).
fn preflight(server: &Server, headers: &[(&str, &str)]) -> (u16, Option<String>) {
    let mut request = client()
        .request(reqwest::Method::OPTIONS, server.url("/items"))
        .header("Origin", "https://app.example.com")
        .header("Access-Control-Request-Method", "GET");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().unwrap();
    let allow = response
        .headers()
        .get("access-control-allow-headers")
        .map(|v| v.to_str().unwrap().to_owned());
    (response.status().as_u16(), allow)
}

#[test]
fn sams_cors_preflight_gets_the_default_authorizer_and_key_unless_told_not_to() {
    // SAM's defaults (AddDefaultAuthorizerToCorsPreflight and AddApiKeyRequiredToCorsPreflight
    // true): the OPTIONS method needs a token and a key, as on AWS.
    let template = cors_auth_project("cors-guarded", "");
    let state = fresh_dir("cors-guarded-state");
    let server = Server::start_in(sluice(), &template, &state, &[]);
    assert_eq!(preflight(&server, &[]), (401, None));
    let out = Command::new(sluice())
        .args(["token", "-t"])
        .arg(&template)
        .arg("--state-dir")
        .arg(&state)
        .output()
        .unwrap();
    let token = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    assert_eq!(preflight(&server, &[("Authorization", &token)]).0, 403);
    assert_eq!(
        preflight(
            &server,
            &[
                ("Authorization", &token),
                ("x-api-key", "preflight-key-0123456789abcdef")
            ]
        ),
        (
            200,
            Some("Content-Type, Authorization, X-Api-Key".to_owned())
        )
    );
    drop(server);

    // Both flags false: the browser's bare preflight is answered, headers as written.
    let template = cors_auth_project(
        "cors-open",
        "        AddDefaultAuthorizerToCorsPreflight: false\n        AddApiKeyRequiredToCorsPreflight: false\n",
    );
    let server = Server::start(sluice(), &template, &[]);
    assert_eq!(
        preflight(&server, &[]),
        (
            200,
            Some("Content-Type, Authorization, X-Api-Key".to_owned())
        )
    );
    // The GET itself still needs both.
    assert_eq!(get(&server, "/items", &[]).0, 401);
}
