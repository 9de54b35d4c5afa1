//! `relay-floor GATEWAY_PORT RUNTIME_PORT [EVENT_FILE]`: the three loopback HTTP exchanges of one
//! Lambda invocation, with nothing else around them.
//!
//! A client's request on GATEWAY_PORT becomes a small JSON event, handed to whichever runtime client
//! is waiting in `GET /2018-06-01/runtime/invocation/next` on RUNTIME_PORT; the runtime's
//! `POST /2018-06-01/runtime/invocation/{id}/response` body goes back to the client verbatim, and the
//! runtime gets its 202. The same hyper and tokio stack as Sluice, one channel hop each way, no
//! routing, no proxy-event mapping, no logs, no sandbox supervision: what Sluice's design costs at
//! the least, so `bench/floor/run` can say how far Sluice is from it (issue 13 point 2). With
//! EVENT_FILE (a recorded API Gateway event) every invocation carries that event instead, so a real
//! runtime client (`lambda_http`, Sluice's python bootstrap) can run behind the floor too.
//!
//! By default a runtime's `next` pulls the oldest waiting invocation from one shared queue. With
//! `RELAY_CHECKOUT=1` the relay dispatches as Sluice's warm pool does instead: each runtime
//! connection is a "sandbox" with its own event channel, and a client's request takes a permit and
//! an idle sandbox, hands it the event, awaits the answer and puts the sandbox back, so a request
//! that waited for a permit is woken to dispatch its own event (issue 13 point 3 compares both).
//! `RELAY_CHECKOUT=handoff` keeps that ownership but lets the request that frees a runtime send
//! the oldest waiting request's event to it at once, then hand it the runtime.

use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::HeaderValue;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot};

const NEXT: &str = "/2018-06-01/runtime/invocation/next";

/// One invocation waiting for a runtime: its event and where the runtime's answer goes.
struct Pending {
    event: Bytes,
    reply: oneshot::Sender<Bytes>,
}

/// What both listeners share: the queue of invocations and those a runtime has taken.
struct Relay {
    queue: mpsc::Sender<Pending>,
    next: tokio::sync::Mutex<mpsc::Receiver<Pending>>,
    taken: Mutex<HashMap<u64, oneshot::Sender<Bytes>>>,
    ids: AtomicU64,
    /// A recorded event sent with every invocation, when given.
    recorded: Option<Bytes>,
    /// `RELAY_CHECKOUT`: Sluice's way of dispatching instead of the shared queue.
    checkout: Option<Checkout>,
}

/// Sluice's dispatch: one permit per runtime, idle runtimes taken by the request itself.
struct Checkout {
    permits: tokio::sync::Semaphore,
    /// `RELAY_CHECKOUT=handoff`: a request that finds no idle runtime queues in `waiting` instead
    /// of waiting for a permit; the request that frees a runtime dispatches the oldest waiting
    /// event to it at once and then hands the runtime to that request.
    handoff: bool,
    runtimes: Mutex<Runtimes>,
}

/// The runtimes no request holds, and (`handoff`) the requests waiting for one.
#[derive(Default)]
struct Runtimes {
    idle: Vec<mpsc::Sender<Pending>>,
    waiting: VecDeque<Waiting>,
}

/// A request waiting for a runtime (`RELAY_CHECKOUT=handoff`).
struct Waiting {
    pending: Pending,
    handed: oneshot::Sender<mpsc::Sender<Pending>>,
}

impl Checkout {
    /// A runtime for `pending`, which is sent to it: (the runtime, held until dropped; whether the
    /// send worked), or `None` when none can be had.
    async fn take(&self, pending: Pending) -> Option<(Taken<'_>, bool)> {
        if !self.handoff {
            let permit = self.permits.acquire().await.ok()?;
            let sandbox = lock(&self.runtimes).idle.pop()?;
            // Put back even when the client goes away mid-invocation (a warm-up's wrk
            // stopping), or the permits would outnumber the idle runtimes.
            let taken = Taken {
                checkout: self,
                sandbox: Some(sandbox),
                _permit: Some(permit),
            };
            let sent = taken.sandbox().send(pending).await.is_ok();
            return Some((taken, sent));
        }
        let (handed, handed_rx) = oneshot::channel();
        let idle = {
            let mut runtimes = lock(&self.runtimes);
            let sandbox = runtimes.idle.pop();
            if sandbox.is_none() {
                runtimes.waiting.push_back(Waiting { pending, handed });
                None
            } else {
                sandbox.map(|s| (s, pending))
            }
        };
        let (sandbox, sent) = match idle {
            Some((sandbox, pending)) => {
                let sent = sandbox.try_send(pending).is_ok();
                (sandbox, sent)
            }
            // The request that freed a runtime has already sent it this event.
            None => {
                let mut handed = Handed {
                    checkout: self,
                    rx: handed_rx,
                };
                ((&mut handed.rx).await.ok()?, true)
            }
        };
        let taken = Taken {
            checkout: self,
            sandbox: Some(sandbox),
            _permit: None,
        };
        Some((taken, sent))
    }

    /// Give `sandbox` to the oldest live waiting request, its event already sent; or make it idle.
    fn release(&self, sandbox: mpsc::Sender<Pending>) {
        let mut runtimes = lock(&self.runtimes);
        // Requests whose client went away are skipped (only `handoff` queues any).
        while let Some(w) = runtimes.waiting.pop_front() {
            if w.pending.reply.is_closed() || w.handed.is_closed() {
                continue;
            }
            match sandbox.try_send(w.pending) {
                Ok(()) => {
                    // Gone since the check: the runtime runs that event for nobody and stays
                    // in service.
                    if let Err(sandbox) = w.handed.send(sandbox) {
                        runtimes.idle.push(sandbox);
                    }
                    return;
                }
                Err(full) => {
                    let pending = match full {
                        mpsc::error::TrySendError::Full(p)
                        | mpsc::error::TrySendError::Closed(p) => p,
                    };
                    runtimes.waiting.push_front(Waiting {
                        pending,
                        handed: w.handed,
                    });
                    break;
                }
            }
        }
        runtimes.idle.push(sandbox);
    }
}

/// A request's wait for a handed-off runtime: dropped (its client gone) after the runtime was
/// handed over but before it was taken, it passes the runtime on instead of losing it.
struct Handed<'a> {
    checkout: &'a Checkout,
    rx: oneshot::Receiver<mpsc::Sender<Pending>>,
}

impl Drop for Handed<'_> {
    fn drop(&mut self) {
        self.rx.close();
        if let Ok(sandbox) = self.rx.try_recv() {
            self.checkout.release(sandbox);
        }
    }
}

/// A runtime taken by one request, put back (and its permit released) when dropped.
struct Taken<'a> {
    checkout: &'a Checkout,
    sandbox: Option<mpsc::Sender<Pending>>,
    _permit: Option<tokio::sync::SemaphorePermit<'a>>,
}

impl Taken<'_> {
    fn sandbox(&self) -> &mpsc::Sender<Pending> {
        self.sandbox.as_ref().expect("held until dropped")
    }
}

impl Drop for Taken<'_> {
    fn drop(&mut self) {
        if let Some(sandbox) = self.sandbox.take() {
            self.checkout.release(sandbox);
        }
    }
}

/// One runtime connection's own event channel (`RELAY_CHECKOUT`), made at its first `next`.
#[derive(Default)]
struct Slot {
    events: tokio::sync::Mutex<Option<mpsc::Receiver<Pending>>>,
}

/// `mutex`'s guard, also after a panic elsewhere (the data stays usable).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

fn respond(status: StatusCode, body: Bytes) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(body));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

/// The whole body, read to its end (an unread body makes hyper close a keep-alive connection).
async fn read_body(body: Incoming) -> Bytes {
    body.collect()
        .await
        .map(|b| b.to_bytes())
        .unwrap_or_default()
}

/// The client side: one event per request, answered with the runtime's body.
async fn gateway(
    relay: Arc<Relay>,
    _slot: Arc<Slot>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = req.into_parts();
    let body = read_body(body).await;
    if let Some(event) = &relay.recorded {
        return Ok(invoke(&relay, event.clone()).await);
    }
    // A few hundred bytes of JSON, like a small proxy event; written with `format!` because the
    // floor measures the exchanges, not a serializer.
    let mut headers = String::new();
    for (name, value) in &parts.headers {
        if !headers.is_empty() {
            headers.push(',');
        }
        let _ = write!(
            headers,
            "{:?}:{:?}",
            name.as_str(),
            value.to_str().unwrap_or("")
        );
    }
    let event = format!(
        r#"{{"httpMethod":"{}","path":{:?},"headers":{{{headers}}},"body":{:?},"isBase64Encoded":false}}"#,
        parts.method,
        parts.uri.path(),
        String::from_utf8_lossy(&body),
    );
    Ok(invoke(&relay, Bytes::from(event)).await)
}

/// Hand `event` to a runtime and answer with what it posts back.
async fn invoke(relay: &Relay, event: Bytes) -> Response<Full<Bytes>> {
    let (reply, answer) = oneshot::channel();
    if let Some(checkout) = &relay.checkout {
        let Some((taken, sent)) = checkout.take(Pending { event, reply }).await else {
            return respond(StatusCode::BAD_GATEWAY, Bytes::new());
        };
        let answer = answer.await;
        drop(taken);
        return match (sent, answer) {
            (true, Ok(body)) => respond(StatusCode::OK, body),
            _ => respond(StatusCode::BAD_GATEWAY, Bytes::new()),
        };
    }
    if relay.queue.send(Pending { event, reply }).await.is_err() {
        return respond(StatusCode::BAD_GATEWAY, Bytes::new());
    }
    match answer.await {
        Ok(body) => respond(StatusCode::OK, body),
        Err(_) => respond(StatusCode::BAD_GATEWAY, Bytes::new()),
    }
}

/// The runtime side: `next` hands out the oldest invocation, `response` completes it.
async fn runtime(
    relay: Arc<Relay>,
    slot: Arc<Slot>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    if req.method() == Method::GET && req.uri().path() == NEXT {
        let pending = match &relay.checkout {
            Some(checkout) => {
                let mut events = slot.events.lock().await;
                if events.is_none() {
                    // A new runtime: idle, and one more invocation may run at once.
                    let (sender, receiver) = mpsc::channel(1);
                    *events = Some(receiver);
                    checkout.release(sender);
                    checkout.permits.add_permits(1);
                }
                events.as_mut().expect("made above").recv().await
            }
            None => relay.next.lock().await.recv().await,
        };
        let Some(pending) = pending else {
            return Ok(respond(StatusCode::GONE, Bytes::new()));
        };
        let id = relay.ids.fetch_add(1, Ordering::Relaxed);
        lock(&relay.taken).insert(id, pending.reply);
        let mut resp = respond(StatusCode::OK, pending.event);
        let deadline_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as u64 + 3_000);
        // The headers every runtime client requires (`lambda_runtime` refuses an event without
        // them); the ARN and trace id are fixed, as the floor has one function.
        let headers = resp.headers_mut();
        headers.insert("lambda-runtime-aws-request-id", HeaderValue::from(id));
        headers.insert("lambda-runtime-deadline-ms", HeaderValue::from(deadline_ms));
        headers.insert(
            "lambda-runtime-invoked-function-arn",
            HeaderValue::from_static("arn:aws:lambda:us-east-1:123456789012:function:hello"),
        );
        headers.insert(
            "lambda-runtime-trace-id",
            HeaderValue::from_static(
                "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0",
            ),
        );
        return Ok(resp);
    }
    let id = req
        .uri()
        .path()
        .strip_prefix("/2018-06-01/runtime/invocation/")
        .and_then(|rest| {
            rest.strip_suffix("/response")
                .or_else(|| rest.strip_suffix("/error"))
        })
        .and_then(|id| id.parse::<u64>().ok());
    let body = read_body(req.into_body()).await;
    let reply = id.and_then(|id| lock(&relay.taken).remove(&id));
    match reply {
        Some(reply) => {
            let _ = reply.send(body);
            Ok(respond(
                StatusCode::ACCEPTED,
                Bytes::from_static(br#"{"status":"OK"}"#),
            ))
        }
        None => Ok(respond(StatusCode::NOT_FOUND, Bytes::new())),
    }
}

/// Serve `listener` forever, each connection with `handler` and a [`Slot`] of its own.
async fn serve<F, Fut>(listener: TcpListener, relay: Arc<Relay>, handler: F)
where
    F: Fn(Arc<Relay>, Arc<Slot>, Request<Incoming>) -> Fut + Copy + Send + Sync + 'static,
    Fut: std::future::Future<Output = Result<Response<Full<Bytes>>, Infallible>> + Send + 'static,
{
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        // As raw-hello and Sluice do: small answers must not wait on Nagle.
        let _ = stream.set_nodelay(true);
        let relay = relay.clone();
        let slot = Arc::new(Slot::default());
        tokio::spawn(async move {
            let service = service_fn(move |req| handler(relay.clone(), slot.clone(), req));
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

fn port(arg: Option<String>) -> Result<u16, Box<dyn std::error::Error>> {
    let arg = arg.ok_or("usage: relay-floor GATEWAY_PORT RUNTIME_PORT")?;
    Ok(arg.parse().map_err(|e| format!("bad port {arg:?}: {e}"))?)
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let gateway_port = port(args.next())?;
    let runtime_port = port(args.next())?;
    let recorded = match args.next() {
        Some(path) => Some(Bytes::from(
            std::fs::read(&path).map_err(|e| format!("reading {path}: {e}"))?,
        )),
        None => None,
    };
    let front = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], gateway_port))).await?;
    let back = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], runtime_port))).await?;
    eprintln!(
        "relay-floor is serving http://{} (runtime API {})",
        front.local_addr()?,
        back.local_addr()?
    );
    let (queue, next) = mpsc::channel(1024);
    let relay = Arc::new(Relay {
        queue,
        next: tokio::sync::Mutex::new(next),
        taken: Mutex::new(HashMap::new()),
        ids: AtomicU64::new(1),
        recorded,
        checkout: std::env::var("RELAY_CHECKOUT").ok().map(|mode| Checkout {
            permits: tokio::sync::Semaphore::new(0),
            handoff: mode == "handoff",
            runtimes: Mutex::default(),
        }),
    });
    tokio::spawn(serve(back, relay.clone(), runtime));
    serve(front, relay, gateway).await;
    Ok(())
}
