//! `raw-hello PORT [BODY_FILE]`: answers `{"message":"Hello, world!"}` (or BODY_FILE's bytes) on
//! every path over plain HTTP/1 on 127.0.0.1.
//!
//! The benchmark's baseline: the same hyper stack Sluice's gateway uses, with no routing, no event, no
//! sandbox, so "Sluice minus raw-hello" is what the gateway and the Lambda sandbox add. With a
//! recorded GetItem answer as BODY_FILE it is the DynamoDB benchmark's floor: what the load
//! generator, loopback HTTP and hyper cost with no database at all (`bench/dynamodb/run`).
//! With `RAW_HELLO_DELAY_MS=10` each answer waits 10 ms first: the floor of `bench/warm`'s 10 ms
//! handler (a timer and one exchange, no sandbox).

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// The body Sluice's hello examples return, byte for byte, so both sides send the same payload.
const BODY: &[u8] = br#"{"message":"Hello, world!"}"#;

async fn hello(
    body: Bytes,
    delay: Option<std::time::Duration>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    // Read the request body to its end: hyper closes a keep-alive connection whose body was left
    // unread, and then a client posting bodies (a Lambda runtime client) pays a reconnect each time.
    let _ = req.into_body().collect().await;
    if let Some(delay) = delay {
        // A thread's nanosleep, as a handler's `time.sleep` is: tokio's timer wheel rounds up to
        // the next millisecond, which would make the floor ~1 ms slower than the handler.
        let _ = tokio::task::spawn_blocking(move || std::thread::sleep(delay)).await;
    }
    let mut resp = Response::new(Full::new(body));
    resp.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json"),
    );
    Ok(resp)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let port: u16 = match std::env::args().nth(1) {
        Some(arg) => arg.parse().map_err(|e| format!("bad port {arg:?}: {e}"))?,
        None => return Err("usage: raw-hello PORT [BODY_FILE]".into()),
    };
    let body = match std::env::args().nth(2) {
        Some(path) => {
            Bytes::from(std::fs::read(&path).map_err(|e| format!("reading {path}: {e}"))?)
        }
        None => Bytes::from_static(BODY),
    };
    let delay = std::env::var("RAW_HELLO_DELAY_MS")
        .ok()
        .and_then(|ms| ms.parse().ok())
        .map(std::time::Duration::from_millis);
    let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port))).await?;
    eprintln!("raw-hello is serving http://{}", listener.local_addr()?);
    loop {
        let (stream, _) = listener.accept().await?;
        // Same socket option a latency-minded server sets; without it small responses can wait on Nagle.
        stream.set_nodelay(true)?;
        let body = body.clone();
        tokio::spawn(async move {
            // A client that hangs up mid-request is normal under load; nothing to report.
            let service = service_fn(move |req| hello(body.clone(), delay, req));
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
