//! The stage cache: a method's function payloads kept for its TTL, so a hit answers without
//! invoking the function. State outside the gateway, like the limits, so a reload keeps it.
//!
//! AWS: the key is the method and the request path plus any declared cache key parameters (query
//! strings and headers only when declared); Sluice supports no declared parameters yet, so the key
//! is the method and the path. A client's `Cache-Control: max-age=0` invalidates only with IAM
//! authorization (`RequireAuthorizationForCacheControl` defaults to true); IAM is not emulated, so
//! Sluice ignores the header, as AWS does for an unauthorized client.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use bytes::Bytes;

/// AWS never caches a response larger than this.
pub const MAX_CACHED_BYTES: usize = 1_048_576;

/// Entries kept at most; past it, expired entries are dropped, then everything (a cache may forget).
const MAX_ENTRIES: usize = 10_000;

/// Function payloads by cache key, until their expiry.
#[derive(Debug, Default)]
pub struct ResponseCache {
    entries: Mutex<HashMap<String, (Instant, Bytes)>>,
}

impl ResponseCache {
    /// The fresh payload for `key`, if any.
    pub fn get(&self, key: &str) -> Option<Bytes> {
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
    pub fn put(&self, key: String, payload: Bytes, ttl: Duration) {
        if payload.len() > MAX_CACHED_BYTES || ttl.is_zero() {
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

    #[test]
    fn hits_expire_and_large_payloads_are_not_kept() {
        let cache = ResponseCache::default();
        cache.put(
            "a".into(),
            Bytes::from_static(b"x"),
            Duration::from_secs(60),
        );
        assert_eq!(cache.get("a"), Some(Bytes::from_static(b"x")));
        cache.put(
            "b".into(),
            Bytes::from_static(b"y"),
            Duration::from_millis(1),
        );
        std::thread::sleep(Duration::from_millis(5));
        assert_eq!(cache.get("b"), None);
        cache.put(
            "c".into(),
            Bytes::from(vec![0; MAX_CACHED_BYTES + 1]),
            Duration::from_secs(60),
        );
        assert_eq!(cache.get("c"), None);
    }
}
