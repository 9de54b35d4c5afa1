//! `--dynamodb-endpoint https://…`: the other DynamoDB-compatible service is reached over TLS,
//! trusting the roots `SSL_CERT_FILE` names. The service here is a second Sluice (plain HTTP)
//! behind a small python TLS proxy whose certificate comes from a CA the test makes.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use sluice_testkit::{assert_eventually, ensure_python_module, fresh_dir, Server};

use crate::certificates::make_certificates;
use crate::sluice;

/// Startup on a loaded machine: generous, and never asserted on.
const WAIT: Duration = Duration::from_secs(60);

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/dynamodb-endpoint-tls")
        .join(name)
}

/// Runs `drive.py` (boto3) against a services endpoint; its stdout.
fn drive(endpoint: &str, args: &[&str]) -> String {
    let out = Command::new("python3")
        .arg(fixture("drive.py"))
        .args(args)
        .env("ENDPOINT", endpoint)
        .env_remove("AWS_PROFILE")
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "drive.py {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The python TLS proxy in front of `upstream`, killed when dropped.
struct TlsProxy {
    child: Child,
    /// `https://127.0.0.1:PORT`.
    url: String,
}

impl TlsProxy {
    fn start(dir: &Path, upstream: &str) -> TlsProxy {
        let mut child = Command::new("python3")
            .arg(fixture("proxy.py"))
            .arg(dir)
            .arg(dir.join("server.pem"))
            .arg(dir.join("server.key"))
            .arg(upstream)
            .stdin(Stdio::null())
            .spawn()
            .expect("starting the python TLS proxy");
        let deadline = Instant::now() + WAIT;
        let port = loop {
            if let Ok(port) = std::fs::read_to_string(dir.join("port")) {
                break port;
            }
            if let Ok(Some(status)) = child.try_wait() {
                panic!("the python TLS proxy exited: {status}");
            }
            assert!(
                Instant::now() < deadline,
                "the python TLS proxy did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        TlsProxy {
            child,
            url: format!("https://127.0.0.1:{}", port.trim()),
        }
    }
}

impl Drop for TlsProxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The store (a plain Sluice with no tables) behind a TLS proxy with a certificate from `dir`'s CA.
fn store_behind_tls(dir: &Path) -> (Server, TlsProxy) {
    assert!(ensure_python_module("boto3", "boto3"), "boto3 is needed");
    make_certificates(dir);
    let store = Server::start_services(sluice(), &fixture("store.yaml"), &[]);
    let proxy = TlsProxy::start(dir, &store.services_url);
    (store, proxy)
}

fn start_sluice(endpoint: &str, ca: &Path) -> Server {
    Server::start_with_env(
        sluice(),
        &fixture("template.yaml"),
        &["--dynamodb-endpoint", endpoint],
        &[("SSL_CERT_FILE", ca.as_os_str())],
    )
}

#[test]
fn an_https_dynamodb_endpoint_gets_the_templates_table_and_the_items_written_through_sluice() {
    let dir = fresh_dir("ddb-endpoint-tls");
    let (store, proxy) = store_behind_tls(&dir);
    let server = start_sluice(&proxy.url, &dir.join("ca.pem"));

    // Written through Sluice (which waits for the template's table to be created first)…
    drive(&server.services_url, &["put", "n1", "over tls"]);
    // …and stored behind the proxy: the table and the item are there.
    let tables = drive(&store.services_url, &["tables"]);
    assert!(
        tables.lines().any(|t| t == "tls-notes"),
        "the template's table was not created at the endpoint: {tables:?}\n{:#?}",
        server.logs()
    );
    assert_eq!(
        drive(&store.services_url, &["get", "n1"]).trim(),
        "over tls"
    );
    // Read back through Sluice, over a pooled TLS connection.
    assert_eq!(
        drive(&server.services_url, &["get", "n1"]).trim(),
        "over tls"
    );
    assert!(
        server
            .logs()
            .iter()
            .any(|l| l.contains("Created DynamoDB table tls-notes at https://127.0.0.1:")),
        "{:#?}",
        server.logs()
    );
}

#[test]
fn an_untrusted_certificate_fails_each_call_with_a_502_that_names_the_certificate_error() {
    let dir = fresh_dir("ddb-endpoint-tls-untrusted");
    let (store, proxy) = store_behind_tls(&dir);
    // Trusting only another CA: the proxy's certificate is not signed by it.
    let other = fresh_dir("ddb-endpoint-tls-other-ca");
    make_certificates(&other);
    let server = start_sluice(&proxy.url, &other.join("ca.pem"));

    let is_warning = |l: &String| l.contains("cannot reach") && l.contains("tls-notes");
    assert_eventually!(within WAIT;
        server.logs().iter().any(is_warning),
        "no warning about the table: {:#?}", server.logs());
    let warning = server
        .logs()
        .into_iter()
        .find(is_warning)
        .unwrap_or_default();
    // Both CAs are named alike, so rustls reports the signature it cannot verify.
    assert!(warning.contains("invalid peer certificate"), "{warning}");

    let response = reqwest::blocking::Client::new()
        .post(&server.services_url)
        .header("content-type", "application/x-amz-json-1.0")
        .header("x-amz-target", "DynamoDB_20120810.ListTables")
        .body("{}")
        .send()
        .expect("the services endpoint answers");
    assert_eq!(response.status().as_u16(), 502);
    let body = response.text().expect("a body");
    assert!(body.contains("ServiceUnavailable"), "{body}");
    assert!(body.contains("invalid peer certificate"), "{body}");
    // Nothing got through.
    assert!(
        !drive(&store.services_url, &["tables"])
            .lines()
            .any(|t| t == "tls-notes"),
        "the table was created through an untrusted connection"
    );
}

#[test]
fn a_dynamodb_endpoint_that_is_neither_http_nor_https_is_refused_at_startup() {
    let state = fresh_dir("ddb-endpoint-scheme");
    let out = Command::new(sluice())
        .args(["start-services", "--services-port", "0"])
        .arg("-t")
        .arg(fixture("template.yaml"))
        .arg("--state-dir")
        .arg(&state)
        .args(["--dynamodb-endpoint", "ftp://127.0.0.1:8000"])
        .stdin(Stdio::null())
        .output()
        .expect("sluice runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("--dynamodb-endpoint")
            && stderr.contains("use http://host[:port] or https://host[:port]"),
        "{stderr}"
    );
}

/// Starts Sluice forwarding to `endpoint` with `env` (and no proxy rules but those).
fn start_sluice_with(endpoint: &str, env: &[(&str, &str)]) -> Server {
    // Rules of the machine running the tests would change the route.
    let mut all = vec![
        ("NO_PROXY", std::ffi::OsStr::new("")),
        ("no_proxy", std::ffi::OsStr::new("")),
    ];
    all.retain(|(k, _)| !env.iter().any(|(name, _)| name == k));
    all.extend(env.iter().map(|(k, v)| (*k, std::ffi::OsStr::new(*v))));
    Server::start_with_env(
        sluice(),
        &fixture("template.yaml"),
        &["--dynamodb-endpoint", endpoint],
        &all,
    )
}

fn basic(credentials: &str) -> String {
    use base64::Engine as _;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(credentials)
    )
}

/// Behind a corporate proxy, `https://` endpoints (AWS's own) are reached through a `CONNECT`
/// tunnel to the proxy `HTTPS_PROXY` names, with its URL's credentials, as the AWS CLI reaches
/// them; startup says which proxy, without the credentials. A host in `NO_PROXY` is reached
/// directly.
#[test]
fn an_https_dynamodb_endpoint_is_reached_through_the_https_proxy_unless_no_proxy_lists_it() {
    let dir = fresh_dir("ddb-endpoint-tls-proxy");
    let (store, tls) = store_behind_tls(&dir);
    let proxy = crate::http_proxy::Proxy::start(&dir);
    let ca = dir.join("ca.pem");
    let ca = ca.to_str().expect("a UTF-8 path");
    let through = format!("http://dev:s3cret@127.0.0.1:{}", proxy.port);
    let server = start_sluice_with(
        &tls.url,
        &[("SSL_CERT_FILE", ca), ("HTTPS_PROXY", &through)],
    );

    drive(&server.services_url, &["put", "p1", "through the proxy"]);
    assert_eq!(
        drive(&store.services_url, &["get", "p1"]).trim(),
        "through the proxy"
    );
    let tunnels = crate::http_proxy::Proxy::connections(&dir);
    let target = tls.url.trim_start_matches("https://");
    assert!(!tunnels.is_empty(), "no tunnel was opened");
    for tunnel in &tunnels {
        assert_eq!(*tunnel, format!("{target} {}", basic("dev:s3cret")));
    }
    let said = server
        .wait_for_log("through the proxy")
        .expect("startup names the proxy");
    assert!(
        said.contains(&format!(
            "through the proxy http://127.0.0.1:{}",
            proxy.port
        )),
        "{said}"
    );
    assert!(
        !server.logs().iter().any(|l| l.contains("s3cret")),
        "credentials leaked: {:#?}",
        server.logs()
    );
    drop(server);

    // `NO_PROXY` names the endpoint's host: reached directly, the proxy sees nothing more.
    let before = crate::http_proxy::Proxy::connections(&dir).len();
    let server = start_sluice_with(
        &tls.url,
        &[
            ("SSL_CERT_FILE", ca),
            ("HTTPS_PROXY", &through),
            ("NO_PROXY", "127.0.0.1"),
        ],
    );
    assert_eq!(
        drive(&server.services_url, &["get", "p1"]).trim(),
        "through the proxy"
    );
    assert_eq!(crate::http_proxy::Proxy::connections(&dir).len(), before);
    assert!(
        !server
            .logs()
            .iter()
            .any(|l| l.contains("through the proxy")),
        "{:#?}",
        server.logs()
    );
}

/// `http://` endpoints go to the proxy `HTTP_PROXY` names as absolute-form requests (what the
/// AWS CLI sends), with the proxy's credentials on each request.
#[test]
fn an_http_dynamodb_endpoint_is_reached_through_the_http_proxy() {
    assert!(ensure_python_module("boto3", "boto3"), "boto3 is needed");
    let dir = fresh_dir("ddb-endpoint-http-proxy");
    let store = Server::start_services(sluice(), &fixture("store.yaml"), &[]);
    let proxy = crate::http_proxy::Proxy::start(&dir);
    let through = format!("http://dev:s3cret@127.0.0.1:{}", proxy.port);
    let server = start_sluice_with(&store.services_url, &[("HTTP_PROXY", &through)]);

    drive(&server.services_url, &["put", "h1", "via http proxy"]);
    assert_eq!(
        drive(&store.services_url, &["get", "h1"]).trim(),
        "via http proxy"
    );
    let connections = crate::http_proxy::Proxy::connections(&dir);
    let url = format!("{}/", store.services_url.trim_end_matches('/'));
    assert!(!connections.is_empty(), "the proxy was not used");
    for connection in &connections {
        assert_eq!(*connection, format!("{url} {}", basic("dev:s3cret")));
    }
}
