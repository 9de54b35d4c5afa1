//! A future that, dropped before it finished, finishes in a task of its own.
//!
//! Why by hand: an invocation must run to its end whatever its caller does (AWS), and
//! `tokio::spawn` for every invocation costs a task and a wake-up per request (~3 % of throughput
//! on the min runtime, bench/README.md). This polls the work in the caller's task and spawns only
//! what a dropped caller leaves behind, which is rare. No crate found does this.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// `work`, polled by its caller; if the caller drops it unfinished, it is spawned on the current
/// tokio runtime and runs to its end, its output discarded.
pub(crate) fn run_to_end<F>(work: F) -> RunToEnd<F>
where
    F: Future + Send + 'static,
    F::Output: Send,
{
    RunToEnd {
        work: Some(Box::pin(work)),
    }
}

/// See [`run_to_end`].
pub(crate) struct RunToEnd<F>
where
    F: Future + Send + 'static,
    F::Output: Send,
{
    work: Option<Pin<Box<F>>>,
}

impl<F> Future for RunToEnd<F>
where
    F: Future + Send + 'static,
    F::Output: Send,
{
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let Some(work) = self.work.as_mut() else {
            panic!("RunToEnd polled after it finished");
        };
        let output = std::task::ready!(work.as_mut().poll(cx));
        self.work = None;
        Poll::Ready(output)
    }
}

impl<F> Drop for RunToEnd<F>
where
    F: Future + Send + 'static,
    F::Output: Send,
{
    fn drop(&mut self) {
        if let Some(work) = self.work.take() {
            match tokio::runtime::Handle::try_current() {
                Ok(runtime) => {
                    runtime.spawn(async move {
                        work.await;
                    });
                }
                // The runtime itself is going away: nothing can finish the work.
                Err(_) => drop(work),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn a_finished_future_gives_its_output() {
        assert_eq!(run_to_end(async { 7 }).await, 7);
    }

    #[tokio::test]
    async fn a_dropped_future_runs_to_its_end() {
        let done = Arc::new(AtomicBool::new(false));
        let flag = done.clone();
        let work = run_to_end(async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            flag.store(true, Ordering::SeqCst);
        });
        // The caller gives up while the work is under way.
        assert!(tokio::time::timeout(Duration::from_millis(10), work)
            .await
            .is_err());
        assert!(!done.load(Ordering::SeqCst));
        for _ in 0..100 {
            if done.load(Ordering::SeqCst) {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("the dropped work did not finish");
    }
}
