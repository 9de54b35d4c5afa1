//! How many connections both listeners hold at once, and what happens at the limit: the connection
//! that has been quiet the longest is closed to make room, so clients that trickle bytes (or none)
//! cannot keep a working client out, and descriptors never run out.
//!
//! hyper already cuts slow request heads (`header_read_timeout`); bodies are bounded by the
//! gateway's and the services endpoint's own read timeouts. This module bounds how many such
//! connections can pile up before those timeouts fire.

use std::collections::HashMap;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Instant;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::Notify;

/// Descriptors kept free for everything else Sluice opens: sandboxes' pipes and Runtime API
/// sockets, SQLite files, the template watcher.
const RESERVED_DESCRIPTORS: u64 = 1024;

/// The connections both listeners hold, shared by them.
#[derive(Debug)]
pub struct ConnectionLimit {
    /// Most connections held at once.
    max: usize,
    /// When the limit was made: activity times are milliseconds since then.
    epoch: Instant,
    live: Mutex<Live>,
}

#[derive(Debug, Default)]
struct Live {
    next_id: u64,
    connections: HashMap<u64, Arc<Activity>>,
}

/// One connection's last activity, and the signal that closes it.
#[derive(Debug)]
pub struct Activity {
    /// Milliseconds since the limit's epoch when bytes last moved.
    last_ms: AtomicU64,
    /// Fired to close the connection.
    close: Notify,
    epoch: Instant,
}

impl Activity {
    fn touch(&self) {
        let now = self.epoch.elapsed().as_millis() as u64;
        self.last_ms.store(now, Ordering::Relaxed);
    }

    /// Resolves when the limit closes this connection to make room.
    pub async fn closed(&self) {
        self.close.notified().await;
    }
}

/// A held place; dropping it gives the place back.
#[derive(Debug)]
pub struct Slot {
    id: u64,
    limit: Arc<ConnectionLimit>,
    /// This connection's activity, shared with its stream.
    pub activity: Arc<Activity>,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut live = self.limit.live.lock().unwrap_or_else(|p| p.into_inner());
        live.connections.remove(&self.id);
    }
}

impl ConnectionLimit {
    /// A limit of `max` connections (at least 1).
    pub fn new(max: usize) -> Arc<ConnectionLimit> {
        Arc::new(ConnectionLimit {
            max: max.max(1),
            epoch: Instant::now(),
            live: Mutex::new(Live::default()),
        })
    }

    /// The limit the process's descriptors allow, after raising the soft limit to the hard one:
    /// what is left once [`RESERVED_DESCRIPTORS`] are kept aside.
    pub fn from_descriptor_limit() -> Arc<ConnectionLimit> {
        let available = raise_descriptor_limit();
        let max = available.saturating_sub(RESERVED_DESCRIPTORS).max(64);
        ConnectionLimit::new(usize::try_from(max).unwrap_or(usize::MAX))
    }

    /// The most connections held at once.
    #[cfg(test)]
    pub fn max(&self) -> usize {
        self.max
    }

    /// Takes a place for a new connection; at the limit, the connection quiet for the longest is
    /// told to close and its place is given to this one.
    pub fn admit(self: &Arc<Self>) -> Slot {
        let activity = Arc::new(Activity {
            last_ms: AtomicU64::new(self.epoch.elapsed().as_millis() as u64),
            close: Notify::new(),
            epoch: self.epoch,
        });
        let mut live = self.live.lock().unwrap_or_else(|p| p.into_inner());
        if live.connections.len() >= self.max {
            let quietest = live
                .connections
                .iter()
                .min_by_key(|(_, a)| a.last_ms.load(Ordering::Relaxed))
                .map(|(id, _)| *id);
            if let Some(evicted) = quietest.and_then(|id| live.connections.remove(&id)) {
                // `notify_one` stores a permit, so a connection not yet waiting still closes.
                evicted.close.notify_one();
                tracing::debug!("connection limit reached: closed the quietest connection");
            }
        }
        let id = live.next_id;
        live.next_id += 1;
        live.connections.insert(id, activity.clone());
        Slot {
            id,
            limit: self.clone(),
            activity,
        }
    }

    /// Connections held now.
    #[cfg(test)]
    pub fn held(&self) -> usize {
        self.live
            .lock()
            .map(|l| l.connections.len())
            .unwrap_or_default()
    }
}

/// Raises the soft descriptor limit to the hard limit; returns the limit now in force.
fn raise_descriptor_limit() -> u64 {
    use nix::sys::resource::{getrlimit, setrlimit, Resource};
    match getrlimit(Resource::RLIMIT_NOFILE) {
        Ok((soft, hard)) => {
            if soft < hard && setrlimit(Resource::RLIMIT_NOFILE, hard, hard).is_ok() {
                hard
            } else {
                soft
            }
        }
        // Unknown: assume the common default.
        Err(_) => 1024 + RESERVED_DESCRIPTORS,
    }
}

/// A stream that records when bytes last moved, for [`ConnectionLimit`]'s choice.
pub struct Tracked<S> {
    inner: S,
    activity: Arc<Activity>,
}

impl<S> Tracked<S> {
    /// Wraps `inner`, recording into `activity`.
    pub fn new(inner: S, activity: Arc<Activity>) -> Self {
        Tracked { inner, activity }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Tracked<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.touch();
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Tracked<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    // Vectored writes pass through: without them hyper copies head and body into one buffer
    // before every response (a copy and a larger allocation per request).
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn at_the_limit_the_quietest_connection_is_closed() {
        let limit = ConnectionLimit::new(2);
        let quiet = limit.admit();
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        let busy = limit.admit();
        busy.activity.touch();
        assert_eq!(limit.held(), 2);
        let newcomer = limit.admit();
        assert_eq!(limit.held(), 2, "one left, one came");
        // The quiet one was told to close; the busy one was not.
        tokio::time::timeout(std::time::Duration::from_secs(1), quiet.activity.closed())
            .await
            .expect("the quietest connection is closed");
        let busy_closed =
            tokio::time::timeout(std::time::Duration::from_millis(50), busy.activity.closed())
                .await;
        assert!(busy_closed.is_err(), "the active connection stays");
        drop(newcomer);
        assert_eq!(limit.held(), 1);
        drop(busy);
        drop(quiet);
        assert_eq!(limit.held(), 0);
    }

    #[test]
    fn the_descriptor_limit_leaves_room_for_the_rest() {
        let limit = ConnectionLimit::from_descriptor_limit();
        assert!(limit.max() >= 64);
    }
}
