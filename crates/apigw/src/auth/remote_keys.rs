//! The keys of an issuer Sluice does not host, fetched and cached as API Gateway does: fetched in
//! the background at startup, refetched when a token names a `kid` the cached set lacks (AWS:
//! "When API Gateway receives a token signed with a key it hasn't seen, it retrieves the key set
//! again") and once they are an hour old (AWS "caches each issuer's signing keys for up to 1
//! hour"), so a key the issuer withdrew stops verifying. A fetch that fails leaves the issuer's
//! routes failing closed (401) unless earlier keys are kept, with one warning.

use std::sync::{Arc, Mutex};
use std::time::Duration;

// tokio's clock, so tests can move time on.
use tokio::time::Instant;

use super::jwks_fetch::{fetch_jwks, KeyLocation};
use super::jwt::Jwks;

/// Least time between two fetches a request triggers (an unknown `kid`, or no keys yet), so
/// forged tokens cannot make Sluice hammer the issuer.
const REFETCH_EVERY: Duration = Duration::from_secs(60);

/// How long fetched keys are used before they are fetched again.
const KEYS_TTL: Duration = Duration::from_secs(3600);

/// Longest a request waits for a fetch it needs (the first one, or an unknown `kid`'s).
const REQUEST_WAIT: Duration = Duration::from_secs(5);

/// One issuer's fetched keys.
#[derive(Debug)]
pub struct RemoteKeys {
    /// The `iss` (for messages).
    issuer: String,
    location: KeyLocation,
    /// Held while fetching, so concurrent requests share one fetch.
    fetching: tokio::sync::Mutex<()>,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// The last keys fetched (kept when a later fetch fails); shared, not copied, per request.
    jwks: Option<Arc<Jwks>>,
    /// When `jwks` was fetched.
    fetched_at: Option<Instant>,
    /// Fetches finished so far, to tell whether one ended while a request waited.
    attempts: u64,
    /// When a request last triggered a fetch (the rate limit).
    last_requested: Option<Instant>,
    /// A failure was logged and no fetch has succeeded since: say it once, not per request.
    warned: bool,
}

impl RemoteKeys {
    /// Keys of `issuer`, found at `location`; nothing is fetched until [`RemoteKeys::prefetch`]
    /// or a token needs them.
    pub fn new(issuer: String, location: KeyLocation) -> RemoteKeys {
        RemoteKeys {
            issuer,
            location,
            fetching: tokio::sync::Mutex::new(()),
            state: Mutex::default(),
        }
    }

    /// The issuer these keys are for.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The startup fetch (not counted against the per-request rate limit).
    pub async fn prefetch(&self) {
        self.fetch(false).await;
    }

    /// The cached keys; when there are none yet or they are an hour old, the fetch in progress or
    /// a new one (at most one a minute), waited on for a few seconds (a failed refetch keeps the
    /// old keys). `None`: no keys, the token fails closed.
    pub(crate) async fn keys(&self) -> Option<Arc<Jwks>> {
        {
            let state = self.lock();
            let fresh = state.fetched_at.is_some_and(|at| at.elapsed() < KEYS_TTL);
            if let (Some(jwks), true) = (&state.jwks, fresh) {
                return Some(jwks.clone());
            }
        }
        self.fetch_for_request().await
    }

    /// Fresh keys after a token named a `kid` the cached ones lack (at most one fetch a minute;
    /// otherwise the cached keys).
    pub(crate) async fn after_unknown_kid(&self) -> Option<Arc<Jwks>> {
        self.fetch_for_request().await
    }

    async fn fetch_for_request(&self) -> Option<Arc<Jwks>> {
        // Boxed: the HTTPS fetch's state is kilobytes, and inline it would be in every request's
        // future (tokens are almost always checked against cached keys, without awaiting it).
        match tokio::time::timeout(REQUEST_WAIT, Box::pin(self.fetch(true))).await {
            Ok(jwks) => jwks,
            Err(_) => self.lock().jwks.clone(),
        }
    }

    /// Fetches unless another fetch finished while this one waited its turn, or (for a request)
    /// one ran less than [`REFETCH_EVERY`] ago.
    async fn fetch(&self, for_request: bool) -> Option<Arc<Jwks>> {
        let before = self.lock().attempts;
        let _turn = self.fetching.lock().await;
        {
            let mut state = self.lock();
            if state.attempts != before && state.jwks.is_some() {
                return state.jwks.clone();
            }
            if for_request {
                if state
                    .last_requested
                    .is_some_and(|at| at.elapsed() < REFETCH_EVERY)
                {
                    return state.jwks.clone();
                }
                state.last_requested = Some(Instant::now());
            }
        }
        let result = fetch_jwks(&self.location).await;
        let mut state = self.lock();
        state.attempts += 1;
        match result {
            Ok(jwks) => {
                if state.warned {
                    tracing::info!("JWT issuer {}: keys fetched", self.issuer);
                }
                state.warned = false;
                state.jwks = Some(Arc::new(jwks));
                state.fetched_at = Some(Instant::now());
            }
            Err(e) => {
                if !state.warned {
                    // A pool outside the template can be trusted offline through its JWKS file.
                    let offline = match &self.location {
                        KeyLocation::Jwks { .. } => {
                            " (offline, the pool's JWKS can go in the state folder's jwks/<pool id>.json)"
                        }
                        KeyLocation::Discovery { .. } => "",
                    };
                    let meanwhile = if state.jwks.is_some() {
                        "the keys fetched before are kept"
                    } else {
                        "its tokens get 401 until they are"
                    };
                    tracing::warn!(
                        "JWT issuer {}: keys could not be fetched ({e}); {meanwhile}{offline}",
                        self.issuer
                    );
                    state.warned = true;
                }
            }
        }
        state.jwks.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An issuer whose fetches fail at once, without the network (not https).
    fn unreachable() -> RemoteKeys {
        RemoteKeys::new(
            "http://tenant.example".into(),
            KeyLocation::Discovery {
                issuer: "http://tenant.example".into(),
            },
        )
    }

    fn attempts(keys: &RemoteKeys) -> u64 {
        keys.lock().attempts
    }

    #[tokio::test(start_paused = true)]
    async fn requests_fetch_at_most_once_a_minute() {
        let keys = unreachable();
        keys.prefetch().await;
        assert_eq!(attempts(&keys), 1);
        // The startup fetch does not count against the requests' limit.
        assert!(keys.keys().await.is_none());
        assert_eq!(attempts(&keys), 2);
        assert!(keys.keys().await.is_none());
        assert!(keys.after_unknown_kid().await.is_none());
        assert_eq!(attempts(&keys), 2, "a refetch within the minute");
        tokio::time::advance(REFETCH_EVERY).await;
        assert!(keys.keys().await.is_none());
        assert_eq!(attempts(&keys), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn keys_an_hour_old_are_fetched_again_and_kept_when_that_fails() {
        let keys = unreachable();
        {
            let mut state = keys.lock();
            state.jwks = Some(Arc::new(Jwks::empty()));
            state.fetched_at = Some(Instant::now());
        }
        assert!(keys.keys().await.is_some());
        assert_eq!(attempts(&keys), 0, "fresh keys are used as they are");
        tokio::time::advance(KEYS_TTL).await;
        assert!(keys.keys().await.is_some(), "the old keys are kept");
        assert_eq!(attempts(&keys), 1);
    }
}
