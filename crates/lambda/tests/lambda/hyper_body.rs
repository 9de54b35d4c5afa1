//! The hyper behaviour `vendor/hyper`'s patch gives the Runtime API (and every Sluice server):
//! reading a request body that arrived whole does not wake the connection's own task.
//!
//! Unpatched, hyper 1.12's body channel wakes the (gone) sender's waker when the handler takes
//! the body. On an HTTP/1 server that waker is the connection's task, which is running: tokio
//! takes the self-wake for a yield and wakes another worker, a futex call and a context switch
//! per `POST /response` (bench/README.md).

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Counts the wakes a future's waker gets while that future is being polled.
struct WakeCounter {
    polling: AtomicBool,
    self_wakes: AtomicUsize,
    task: Mutex<Option<Waker>>,
}

impl Wake for WakeCounter {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        if self.polling.load(Ordering::SeqCst) {
            self.self_wakes.fetch_add(1, Ordering::SeqCst);
        }
        if let Some(task) = self.task.lock().unwrap().as_ref() {
            task.wake_by_ref();
        }
    }
}

/// `inner`, polled with a waker that counts its self-wakes.
struct Counted<F> {
    inner: Pin<Box<F>>,
    counter: Arc<WakeCounter>,
}

impl<F: Future> Future for Counted<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        *self.counter.task.lock().unwrap() = Some(cx.waker().clone());
        let waker = Waker::from(self.counter.clone());
        self.counter.polling.store(true, Ordering::SeqCst);
        let result = self.inner.as_mut().poll(&mut Context::from_waker(&waker));
        self.counter.polling.store(false, Ordering::SeqCst);
        result
    }
}

// One thread: the I/O driver runs only between polls, so every wake counted is the connection's
// own doing, not a readiness event racing the poll from another worker.
#[tokio::test]
async fn reading_a_body_that_arrived_whole_does_not_wake_the_connection_itself() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let client = tokio::spawn(async move {
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        // Head and body in one write, as runtime clients send `POST /response`.
        stream
            .write_all(
                b"POST /2018-06-01/runtime/invocation/1/response HTTP/1.1\r\nHost: x\r\n\
                  Content-Length: 11\r\n\r\n{\"ok\":true}",
            )
            .await
            .unwrap();
        let mut answer = Vec::new();
        let mut buf = [0u8; 1024];
        while !answer.ends_with(b"read 11") {
            let n = stream.read(&mut buf).await.unwrap();
            assert!(n > 0, "connection closed early: {answer:?}");
            answer.extend_from_slice(&buf[..n]);
        }
        String::from_utf8(answer).unwrap()
    });
    let (stream, _) = listener.accept().await.unwrap();
    let service = hyper::service::service_fn(|req: hyper::Request<hyper::body::Incoming>| async {
        let body = req.into_body().collect().await?.to_bytes();
        Ok::<_, hyper::Error>(hyper::Response::new(Full::new(Bytes::from(format!(
            "read {}",
            body.len()
        )))))
    });
    let counter = Arc::new(WakeCounter {
        polling: AtomicBool::new(false),
        self_wakes: AtomicUsize::new(0),
        task: Mutex::new(None),
    });
    let connection = Counted {
        inner: Box::pin(
            hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service),
        ),
        counter: counter.clone(),
    };
    let served = tokio::spawn(connection);
    let answer = client.await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
    served.abort();
    assert_eq!(counter.self_wakes.load(Ordering::SeqCst), 0);
}
