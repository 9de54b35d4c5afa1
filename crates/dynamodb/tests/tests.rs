//! Integration tests of the store through its public API: one test binary (saves link time), with
//! modules by topic and the shared helpers here.

mod boto3;
mod consumed_units;
mod durability;
mod indexes;
mod protocol;
mod scan_order;
mod streams;
mod ttl;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::Value;
use sluice_aws_env::AwsEnv;
use sluice_dynamodb::{DynamoDb, StoreLocation};

/// Serves `db` the way the lead's services endpoint will: dispatch on `X-Amz-Target`.
async fn serve(db: Arc<DynamoDb>) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind loopback");
    let addr = listener.local_addr().expect("bound address");
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let db = Arc::clone(&db);
            tokio::spawn(async move {
                let svc = service_fn(move |req: Request<hyper::body::Incoming>| {
                    let db = Arc::clone(&db);
                    async move {
                        let target = req
                            .headers()
                            .get("x-amz-target")
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or("")
                            .to_string();
                        let host = req
                            .headers()
                            .get("host")
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or("")
                            .to_string();
                        let body = req
                            .into_body()
                            .collect()
                            .await
                            .map(|b| b.to_bytes())
                            .unwrap_or_default();
                        let resp = match target.strip_prefix("DynamoDBStreams_20120810.") {
                            Some(op) => db.handle_streams(op, body).await,
                            None => {
                                let op = target.trim_start_matches("DynamoDB_20120810.");
                                // As the services endpoint does: the address the client used.
                                if op == "DescribeEndpoints" && !host.is_empty() {
                                    DynamoDb::describe_endpoints(&host)
                                } else {
                                    db.handle(op, body).await
                                }
                            }
                        };
                        Ok::<_, Infallible>(
                            Response::builder()
                                .status(resp.status)
                                .header("content-type", "application/x-amz-json-1.0")
                                .body(Full::new(resp.body))
                                .expect("static response parts are valid"),
                        )
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    addr
}

/// Runs one of the boto3 scripts in `tests/` against a fresh in-memory store.
async fn run_boto3_script(name: &str) {
    let db = DynamoDb::open(StoreLocation::InMemory, AwsEnv::default()).expect("in-memory store");
    let addr = serve(db).await;
    let script = format!("{}/tests/{name}", env!("CARGO_MANIFEST_DIR"));
    let out = tokio::process::Command::new("python3")
        .arg(script)
        .env("ENDPOINT", format!("http://{addr}"))
        .env_remove("AWS_PROFILE")
        .output()
        .await
        .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "boto3 checks failed\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(stdout.contains("all checks passed"), "{stdout}");
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sluice-ddb-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// One operation's status and JSON body (`null` for the operations that answer no body).
async fn call(db: &DynamoDb, op: &str, body: Value) -> (u16, Value) {
    let r = db.handle(op, Bytes::from(body.to_string())).await;
    if r.body.is_empty() {
        return (r.status, Value::Null);
    }
    (
        r.status,
        serde_json::from_slice(&r.body).expect("response is JSON"),
    )
}

async fn call_streams(db: &DynamoDb, op: &str, body: Value) -> (u16, Value) {
    let r = db.handle_streams(op, Bytes::from(body.to_string())).await;
    (
        r.status,
        serde_json::from_slice(&r.body).expect("response is JSON"),
    )
}
