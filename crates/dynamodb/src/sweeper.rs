//! The store's one piece of background work: a thread that deletes expired items (time to live)
//! and trims stream records past their retention. It is started on request, never by a constructor,
//! and returns a [`Sweeper`] handle so its owner (the server) stops and joins it on shutdown.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, Weak};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::state::State;
use crate::ttl;

/// How often expired items are swept. AWS: within a few days; Sluice: promptly, so tests can see it.
pub const DEFAULT_SWEEP_INTERVAL: Duration = Duration::from_secs(5);

/// Stream records older than this are trimmed, as DynamoDB Streams keeps records for 24 hours.
const STREAM_RETENTION_SECONDS: f64 = 24.0 * 60.0 * 60.0;

/// Why a sweeper did not start.
#[derive(Debug, thiserror::Error)]
pub enum SweeperError {
    /// This store already has a running sweeper (one per store: a rebuilt application reuses it).
    #[error("the DynamoDB store already has a running TTL sweeper")]
    AlreadyRunning,
    /// The operating system refused a thread.
    #[error("cannot start the DynamoDB TTL sweeper thread")]
    Spawn(#[source] std::io::Error),
}

/// Handle of the running sweeper thread. [`Sweeper::stop`] ends and joins it; dropping the handle
/// ends it too, without waiting.
#[derive(Debug)]
pub struct Sweeper {
    /// Dropping the sender wakes the thread at once and tells it to end.
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Sweeper {
    /// Tells the thread to end and waits until it has (at most one sweep in progress).
    pub fn stop(mut self) {
        self.stop.take();
        if let Some(thread) = self.thread.take() {
            if thread.join().is_err() {
                tracing::warn!("the DynamoDB TTL sweeper thread panicked");
            }
        }
    }
}

impl Drop for Sweeper {
    fn drop(&mut self) {
        // Dropping the sender is the stop signal; the thread ends on its own.
        self.stop.take();
    }
}

/// Clears the store's "sweeper running" flag when the thread ends, however it ends.
struct RunningFlag(Arc<AtomicBool>);

impl Drop for RunningFlag {
    fn drop(&mut self) {
        self.0.store(false, Ordering::SeqCst);
    }
}

/// Starts the sweeper over `state` unless `running` says one is already there. The thread holds only a
/// weak reference, so it also ends once the store itself is dropped.
pub(crate) fn start(
    state: Weak<Mutex<State>>,
    running: &Arc<AtomicBool>,
    interval: Duration,
) -> Result<Sweeper, SweeperError> {
    if running
        .compare_exchange(false, true, Ordering::SeqCst, Ordering::SeqCst)
        .is_err()
    {
        return Err(SweeperError::AlreadyRunning);
    }
    let flag = RunningFlag(Arc::clone(running));
    let (stop, stopped) = mpsc::channel::<()>();
    let thread = std::thread::Builder::new()
        .name("ddb-ttl-sweeper".into())
        .spawn(move || {
            let _flag = flag;
            while let Err(RecvTimeoutError::Timeout) = stopped.recv_timeout(interval) {
                let Some(state) = state.upgrade() else { return };
                sweep_once(&state);
            }
        })
        // On failure the closure, and with it the flag, is dropped: the flag is clear again.
        .map_err(SweeperError::Spawn)?;
    Ok(Sweeper {
        stop: Some(stop),
        thread: Some(thread),
    })
}

/// One pass: expired items, then old stream records; failures are logged and retried next pass.
fn sweep_once(state: &Mutex<State>) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0);
    // A poisoned lock only means a request panicked mid-way; SQLite rolled its transaction back.
    let mut guard = state.lock().unwrap_or_else(|p| p.into_inner());
    if let Err(e) = ttl::sweep(&mut guard, now) {
        tracing::warn!(error = %e, "dynamodb TTL sweep failed");
    }
    if let Err(e) = guard.store.trim_streams(now - STREAM_RETENTION_SECONDS) {
        tracing::warn!(error = %e, "dynamodb stream trimming failed");
    }
}
