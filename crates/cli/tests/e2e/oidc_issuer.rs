//! An HTTP API JWT authorizer whose issuer is not a Cognito pool of the template (Auth0, Okta, any
//! OIDC issuer): Sluice fetches the issuer's keys over HTTPS through its discovery document, as
//! API Gateway does, refetches them when a token names a new `kid`, and fails closed (401, one
//! warning) when they cannot be fetched. The issuer is a small python HTTPS server on loopback
//! with a certificate from a CA the test makes; the binary trusts it through `SSL_CERT_FILE`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{json, Value};
use sluice_testkit::{fresh_dir, Server};

use crate::certificates::{make_certificates, openssl};
use crate::http_auth::call;
use crate::http_proxy::Proxy;
use crate::sluice;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/oidc-issuer")
        .join(name)
}

/// An RSA signing key of the issuer, `<name>.pem` in `dir`, and its public JWK.
fn signing_key(dir: &Path, name: &str) -> Value {
    let file = format!("{name}.pem");
    openssl(
        dir,
        &[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
            &file,
        ],
    );
    let modulus = openssl(dir, &["rsa", "-in", &file, "-noout", "-modulus"]);
    let hex = modulus.trim().trim_start_matches("Modulus=");
    let bytes: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex modulus"))
        .collect();
    json!({"kty": "RSA", "alg": "RS256", "use": "sig", "kid": name,
           "n": URL_SAFE_NO_PAD.encode(bytes), "e": "AQAB"})
}

/// An RS256 token with `kid`, signed by the key in `<key>.pem`.
fn sign(dir: &Path, key: &str, kid: &str, claims: &Value) -> String {
    let header = json!({"alg": "RS256", "typ": "JWT", "kid": kid});
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    std::fs::write(dir.join("input"), &input).expect("writing the signing input");
    openssl(
        dir,
        &[
            "dgst",
            "-sha256",
            "-sign",
            &format!("{key}.pem"),
            "-out",
            "signature",
            "input",
        ],
    );
    let signature = std::fs::read(dir.join("signature")).expect("reading the signature");
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
}

fn claims(issuer: &str, sub: &str) -> Value {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs();
    json!({"iss": issuer, "aud": "sluice-tests", "sub": sub, "iat": now, "exp": now + 3600,
           "email": format!("{sub}@example.com")})
}

fn write_jwks(dir: &Path, keys: &[&Value]) {
    std::fs::write(dir.join("jwks.json"), json!({ "keys": keys }).to_string())
        .expect("writing jwks.json");
}

/// The python issuer, killed when dropped.
struct Issuer {
    child: Child,
    url: String,
}

/// Starts the python fixture `script` with `args` and waits for the port it writes to
/// `dir/port_file`.
fn start_python(
    script: &str,
    args: &[&std::ffi::OsStr],
    dir: &Path,
    port_file: &str,
) -> (Child, u16) {
    let mut child = Command::new("python3")
        .arg(fixture(script))
        .args(args)
        .stdin(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("starting {script}: {e}"));
    let deadline = Instant::now() + Duration::from_secs(30);
    let port = loop {
        if let Ok(port) = std::fs::read_to_string(dir.join(port_file)) {
            break port.trim().parse().expect("a port number");
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{script} exited: {status}");
        }
        assert!(Instant::now() < deadline, "{script} did not start");
        std::thread::sleep(Duration::from_millis(20));
    };
    (child, port)
}

impl Issuer {
    fn start(dir: &Path) -> Issuer {
        let (cert, key) = (dir.join("server.pem"), dir.join("server.key"));
        let args = [dir.as_os_str(), cert.as_os_str(), key.as_os_str()];
        let (child, port) = start_python("issuer.py", &args, dir, "port");
        Issuer {
            child,
            url: format!("https://localhost:{port}"),
        }
    }
}

impl Drop for Issuer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_sluice(issuer: &str, ca: &Path) -> Server {
    start_sluice_with(issuer, ca, &[])
}

fn start_sluice_with(issuer: &str, ca: &Path, env: &[(&str, &str)]) -> Server {
    let mut all = vec![("SSL_CERT_FILE", ca.as_os_str())];
    all.extend(env.iter().map(|(k, v)| (*k, std::ffi::OsStr::new(*v))));
    Server::start_with_env(
        sluice(),
        &fixture("template.yaml"),
        &["--parameter-overrides", &format!("Issuer={issuer}")],
        &all,
    )
}

const UNAUTHORIZED: &str = r#"{"message":"Unauthorized"}"#;

#[test]
fn jwt_authorizer_fetches_an_oidc_issuers_keys_over_https_and_refetches_on_a_new_kid() {
    let dir = fresh_dir("oidc-issuer");
    make_certificates(&dir);
    let first = signing_key(&dir, "key-1");
    let second = signing_key(&dir, "key-2");
    write_jwks(&dir, &[&first]);
    let issuer = Issuer::start(&dir);
    let server = start_sluice(&issuer.url, &dir.join("ca.pem"));

    // Possibly before the startup fetch has finished: the request waits for it.
    let token = sign(&dir, "key-1", "key-1", &claims(&issuer.url, "ada"));
    let bearer = format!("Bearer {token}");
    let (status, _, body) = call(&server, "/me", &[("Authorization", &bearer)]);
    assert_eq!(status, 200, "{body}");
    let body: Value = serde_json::from_str(&body).expect("json body");
    let claims_seen = &body["authorizer"]["jwt"]["claims"];
    assert_eq!(claims_seen["sub"], "ada", "{body}");
    assert_eq!(claims_seen["email"], "ada@example.com", "{body}");
    assert_eq!(claims_seen["iss"], issuer.url.as_str(), "{body}");

    // Signed by a key the issuer does not publish, under the published key's kid.
    let forged = sign(&dir, "key-2", "key-1", &claims(&issuer.url, "mallory"));
    let (status, challenge, body) = call(
        &server,
        "/me",
        &[("Authorization", &format!("Bearer {forged}"))],
    );
    assert_eq!((status, body.as_str()), (401, UNAUTHORIZED));
    assert!(
        challenge
            .as_deref()
            .is_some_and(|c| c.contains("invalid_token")),
        "{challenge:?}"
    );
    // The good token with its payload changed.
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    parts[1] = URL_SAFE_NO_PAD.encode(claims(&issuer.url, "root").to_string());
    let (status, _, body) = call(
        &server,
        "/me",
        &[("Authorization", &format!("Bearer {}", parts.join(".")))],
    );
    assert_eq!((status, body.as_str()), (401, UNAUTHORIZED));

    // The issuer rotates: the new key is published, then used. Its kid is unknown to the cached
    // keys, so Sluice fetches them again.
    write_jwks(&dir, &[&first, &second]);
    let rotated = sign(&dir, "key-2", "key-2", &claims(&issuer.url, "grace"));
    let (status, _, body) = call(
        &server,
        "/me",
        &[("Authorization", &format!("Bearer {rotated}"))],
    );
    assert_eq!(status, 200, "{body}");
    let body: Value = serde_json::from_str(&body).expect("json body");
    assert_eq!(body["authorizer"]["jwt"]["claims"]["sub"], "grace");
    // The first key still verifies.
    assert_eq!(call(&server, "/me", &[("Authorization", &bearer)]).0, 200);
}

#[test]
fn jwt_authorizer_fails_closed_with_one_warning_when_the_issuer_is_unreachable() {
    let dir = fresh_dir("oidc-issuer-down");
    make_certificates(&dir);
    signing_key(&dir, "key-1");
    // A port nothing listens on any more: the issuer is down before Sluice starts.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("binding a port")
        .port();
    let issuer = format!("https://localhost:{port}");
    let server = start_sluice(&issuer, &dir.join("ca.pem"));

    let token = sign(&dir, "key-1", "key-1", &claims(&issuer, "ada"));
    for _ in 0..3 {
        let (status, _, body) = call(
            &server,
            "/me",
            &[("Authorization", &format!("Bearer {token}"))],
        );
        assert_eq!((status, body.as_str()), (401, UNAUTHORIZED));
    }
    let warning = server
        .wait_for_log("keys could not be fetched")
        .expect("a warning about the issuer's keys");
    assert!(warning.contains(&issuer), "{warning}");
    let warnings = server
        .logs()
        .iter()
        .filter(|l| l.contains("keys could not be fetched"))
        .count();
    assert_eq!(warnings, 1, "{:#?}", server.logs());
    assert!(
        !server
            .logs()
            .iter()
            .any(|l| l.contains("[EchoFunction] START")),
        "the function must not run"
    );
}

/// The discovery document must name the configured issuer exactly (OIDC Discovery 1.0 §4.3):
/// configured with a trailing `/` the fixture does not publish, even tokens whose `iss` matches
/// the configuration are refused, with one warning naming both spellings.
#[test]
fn jwt_authorizer_fails_closed_when_the_discovery_document_names_another_issuer() {
    let dir = fresh_dir("oidc-issuer-mismatch");
    make_certificates(&dir);
    let key = signing_key(&dir, "key-1");
    write_jwks(&dir, &[&key]);
    let issuer = Issuer::start(&dir);
    let configured = format!("{}/", issuer.url);
    let server = start_sluice(&configured, &dir.join("ca.pem"));

    let token = sign(&dir, "key-1", "key-1", &claims(&configured, "ada"));
    for _ in 0..2 {
        let (status, _, body) = call(
            &server,
            "/me",
            &[("Authorization", &format!("Bearer {token}"))],
        );
        assert_eq!((status, body.as_str()), (401, UNAUTHORIZED));
    }
    let warning = server
        .wait_for_log("keys could not be fetched")
        .expect("a warning about the issuer's keys");
    assert!(
        warning.contains(&format!("{configured:?}"))
            && warning.contains(&format!("{:?}", issuer.url)),
        "{warning}"
    );
    let warnings = server
        .logs()
        .iter()
        .filter(|l| l.contains("keys could not be fetched"))
        .count();
    assert_eq!(warnings, 1, "{:#?}", server.logs());
}

/// Behind a proxy (`HTTPS_PROXY`, credentials in its URL), the keys are fetched through an HTTP
/// CONNECT tunnel, as curl and the AWS SDKs reach HTTPS hosts there; `NO_PROXY` hosts are
/// fetched directly; a proxy that is down fails closed, and the warning names it without the
/// credentials.
#[test]
fn jwt_authorizer_fetches_keys_through_the_https_proxy_the_environment_names() {
    let dir = fresh_dir("oidc-issuer-proxy");
    make_certificates(&dir);
    let key = signing_key(&dir, "key-1");
    write_jwks(&dir, &[&key]);
    let issuer = Issuer::start(&dir);
    let proxy = Proxy::start(&dir);
    let token = sign(&dir, "key-1", "key-1", &claims(&issuer.url, "ada"));
    let bearer = format!("Bearer {token}");
    let ca = dir.join("ca.pem");

    let through = format!("http://dev:s3cret@127.0.0.1:{}", proxy.port);
    let server = start_sluice_with(&issuer.url, &ca, &[("HTTPS_PROXY", &through)]);
    let (status, _, body) = call(&server, "/me", &[("Authorization", &bearer)]);
    assert_eq!(status, 200, "{body}");
    let connects = std::fs::read_to_string(dir.join("connects")).unwrap_or_default();
    let target = issuer.url.trim_start_matches("https://");
    // The discovery document, then the keys; each tunnel carries the URL's credentials.
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("dev:s3cret")
    );
    let tunnels: Vec<&str> = connects.lines().collect();
    assert!(tunnels.len() >= 2, "{connects}");
    for tunnel in &tunnels {
        assert_eq!(*tunnel, format!("{target} {basic}"), "{connects}");
    }
    drop(server);

    // A proxy that is down: the direct way works, but is not taken.
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("binding a port")
        .port();
    let down = format!("http://dev:s3cret@127.0.0.1:{dead}");
    let server = start_sluice_with(&issuer.url, &ca, &[("HTTPS_PROXY", &down)]);
    let (status, _, body) = call(&server, "/me", &[("Authorization", &bearer)]);
    assert_eq!((status, body.as_str()), (401, UNAUTHORIZED));
    let warning = server
        .wait_for_log("keys could not be fetched")
        .expect("a warning about the issuer's keys");
    assert!(warning.contains(&format!("127.0.0.1:{dead}")), "{warning}");
    assert!(!warning.contains("s3cret"), "credentials leaked: {warning}");
    drop(server);

    // `NO_PROXY` names the issuer's host: fetched directly, the dead proxy is not used.
    let server = start_sluice_with(
        &issuer.url,
        &ca,
        &[("HTTPS_PROXY", &down), ("NO_PROXY", "localhost")],
    );
    let (status, _, body) = call(&server, "/me", &[("Authorization", &bearer)]);
    assert_eq!(status, 200, "{body}");
}
