//! The stage cache: a method's answers kept for its TTL, so a hit answers without invoking the
//! integration. State outside the gateway, like the limits, so a reload keeps it.
//!
//! AWS: the key is the method and the request path plus the values of any declared cache key
//! parameters (`cache_key.rs`). A client's `Cache-Control: max-age=0` invalidates only with IAM
//! authorization (`RequireAuthorizationForCacheControl` defaults to true); IAM is not emulated, so
//! Sluice ignores the header, as AWS does for an unauthorized client.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use http_body_util::Full;
use hyper::body::Body as _;

/// AWS never caches a response larger than this.
pub const MAX_CACHED_BYTES: usize = 1_048_576;

/// Entries kept at most; past it, expired entries are dropped, then everything (a cache may forget).
const MAX_ENTRIES: usize = 10_000;

/// One cached answer.
#[derive(Debug, Clone)]
pub enum Cached {
    /// A Lambda proxy's payload, mapped on each hit as a fresh one is.
    Payload(Bytes),
    /// A non-proxy integration's response, already mapped by its integration responses.
    Mapped {
        /// The method response's status.
        status: StatusCode,
        /// Its headers (the gateway's own are stamped on each answer).
        headers: HeaderMap,
        /// Its body.
        body: Full<Bytes>,
    },
}

impl Cached {
    /// The body's size, which AWS's 1 MB limit applies to.
    fn size(&self) -> usize {
        match self {
            Cached::Payload(payload) => payload.len(),
            Cached::Mapped { body, .. } => body
                .size_hint()
                .exact()
                .and_then(|n| usize::try_from(n).ok())
                .unwrap_or(usize::MAX),
        }
    }
}

/// Answers by cache key, until their expiry.
#[derive(Debug, Default)]
pub struct ResponseCache {
    entries: Mutex<HashMap<String, (Instant, Cached)>>,
}

impl ResponseCache {
    /// The fresh answer for `key`, if any.
    pub fn get(&self, key: &str) -> Option<Cached> {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        match entries.get(key) {
            Some((expires, payload)) if *expires > Instant::now() => Some(payload.clone()),
            Some(_) => {
                entries.remove(key);
                None
            }
            None => None,
        }
    }

    /// Keeps `payload` for `ttl` unless it is over AWS's 1 MB limit.
    pub fn put(&self, key: String, payload: Cached, ttl: Duration) {
        if payload.size() > MAX_CACHED_BYTES || ttl.is_zero() {
            return;
        }
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= MAX_ENTRIES {
            let now = Instant::now();
            entries.retain(|_, (expires, _)| *expires > now);
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
        }
        entries.insert(key, (Instant::now() + ttl, payload));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload(cached: Option<Cached>) -> Option<Bytes> {
        match cached {
            Some(Cached::Payload(payload)) => Some(payload),
            _ => None,
        }
    }

    #[test]
    fn hits_expire_and_large_payloads_are_not_kept() {
        let cache = ResponseCache::default();
        let x = Cached::Payload(Bytes::from_static(b"x"));
        cache.put("a".into(), x, Duration::from_secs(60));
        assert_eq!(payload(cache.get("a")), Some(Bytes::from_static(b"x")));
        let y = Cached::Payload(Bytes::from_static(b"y"));
        cache.put("b".into(), y, Duration::from_millis(1));
        std::thread::sleep(Duration::from_millis(5));
        assert!(cache.get("b").is_none());
        let large = Cached::Payload(Bytes::from(vec![0; MAX_CACHED_BYTES + 1]));
        cache.put("c".into(), large, Duration::from_secs(60));
        assert!(cache.get("c").is_none());
    }

    #[test]
    fn mapped_responses_are_kept_whole_up_to_the_limit() {
        let cache = ResponseCache::default();
        let mut headers = HeaderMap::new();
        headers.insert("x-greeted", "yes".parse().expect("header value"));
        let mapped = Cached::Mapped {
            status: StatusCode::CREATED,
            headers,
            body: Full::new(Bytes::from_static(b"{}")),
        };
        cache.put("m".into(), mapped, Duration::from_secs(60));
        let Some(Cached::Mapped {
            status, headers, ..
        }) = cache.get("m")
        else {
            panic!("the mapped response was not kept");
        };
        assert_eq!(status, StatusCode::CREATED);
        assert_eq!(headers["x-greeted"], "yes");
        let large = Cached::Mapped {
            status: StatusCode::OK,
            headers: HeaderMap::new(),
            body: Full::new(Bytes::from(vec![0; MAX_CACHED_BYTES + 1])),
        };
        cache.put("n".into(), large, Duration::from_secs(60));
        assert!(cache.get("n").is_none());
    }
}
