//! Rate limits and quotas behind one small trait ([`LimitsStore`]), so several Sluice processes can
//! share one store (the server's Redis implementation) as the stages of one API Gateway share
//! theirs. The embedded store here is exact under concurrency (one lock per decision) and keeps
//! quota usage in the state folder so a restart does not reset it.

use std::collections::HashMap;
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::Instant;

use sluice_template::auth_model::{Quota, QuotaPeriod};
use time::{Duration as TimeDuration, OffsetDateTime, Time};

/// Why the limits store could not answer; the gateway fails closed (500) on it.
#[derive(Debug, thiserror::Error)]
pub enum LimitsError {
    /// The quota file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// A shared store (Redis) could not answer.
    #[error("limits store: {0}")]
    Store(String),
    /// The quota file is not what Sluice writes.
    #[error("{}: unreadable quota file ({message}); delete it to reset quotas", path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// The parser's message.
        message: String,
    },
}

/// A boxed answer of a [`LimitsStore`] (object-safe, so the gateway holds `Arc<dyn LimitsStore>`).
pub type LimitsFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Admission, LimitsError>> + Send + 'a>>;

/// One token bucket a request needs a token of: `rate` tokens a second, up to `burst`.
#[derive(Debug, Clone, Copy)]
pub struct TokenBucket<'a> {
    /// The bucket's key.
    pub key: &'a str,
    /// Tokens added per second.
    pub rate: f64,
    /// The bucket's capacity.
    pub burst: u32,
}

/// One quota a request counts against: `limit` requests in the period starting at
/// `period_start` (seconds since the epoch).
#[derive(Debug, Clone, Copy)]
pub struct QuotaCounter<'a> {
    /// The counter's key.
    pub key: &'a str,
    /// When the current period started; another value starts the count again at 0.
    pub period_start: i64,
    /// Requests allowed in a period.
    pub limit: u64,
}

/// What the store decided for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// A token was taken from every bucket and the request counted against the quota.
    Admitted,
    /// The bucket at this index (the first, in the order given, without a token) refused.
    Throttled(usize),
    /// Every bucket had a token, but the quota is used up.
    QuotaExceeded,
}

/// Token buckets and quota counters, by key. Each call is one atomic decision, so concurrent
/// requests (in one process or several sharing the store) never lose an increment.
pub trait LimitsStore: Send + Sync + 'static {
    /// Admits one request: a token from each of `buckets` and one count against `quota`, or,
    /// when a bucket is empty or the quota used up, nothing at all. AWS counts a usage plan's
    /// quota only for requests its throttles let through, and a request one limit refuses is
    /// not one another limit served ("API Gateway throttling-related settings are applied in the
    /// following order", developer guide, "Throttle requests to your REST APIs").
    fn admit<'a>(
        &'a self,
        buckets: &'a [TokenBucket<'a>],
        quota: Option<QuotaCounter<'a>>,
    ) -> LimitsFuture<'a>;
}

/// One token bucket's state, refilled lazily from the time of its last use.
#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// The single-process store: buckets in memory, quota usage in `<state>/limits/quotas.json`.
#[derive(Debug)]
pub struct EmbeddedLimits {
    /// foldhash: a bucket is looked up on every request, where SipHash cost more than the rest.
    buckets: Mutex<foldhash::HashMap<String, Bucket>>,
    quotas: Mutex<HashMap<String, (i64, u64)>>,
    file: Option<PathBuf>,
}

impl EmbeddedLimits {
    /// A store whose quota usage lives in `file` (created on first count), or in memory only.
    pub fn open(file: Option<PathBuf>) -> Result<EmbeddedLimits, LimitsError> {
        let mut quotas = HashMap::new();
        if let Some(path) = &file {
            match std::fs::read(path) {
                Ok(bytes) => {
                    quotas = serde_json::from_slice(&bytes).map_err(|e| LimitsError::Corrupt {
                        path: path.clone(),
                        message: e.to_string(),
                    })?;
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(source) => {
                    return Err(LimitsError::Io {
                        path: path.clone(),
                        source,
                    })
                }
            }
        }
        Ok(EmbeddedLimits {
            buckets: Mutex::new(foldhash::HashMap::default()),
            quotas: Mutex::new(quotas),
            file,
        })
    }

    /// A store that keeps everything in memory.
    pub fn in_memory() -> EmbeddedLimits {
        EmbeddedLimits {
            buckets: Mutex::new(foldhash::HashMap::default()),
            quotas: Mutex::new(HashMap::new()),
            file: None,
        }
    }

    /// Writes the counters atomically (temp file + rename) so a crash leaves the old or the new.
    fn persist(&self, quotas: &HashMap<String, (i64, u64)>) -> Result<(), LimitsError> {
        let Some(path) = &self.file else {
            return Ok(());
        };
        let io = |source| LimitsError::Io {
            path: path.clone(),
            source,
        };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let tmp = path.with_extension("json.tmp");
        let bytes = serde_json::to_vec(quotas).unwrap_or_default();
        std::fs::write(&tmp, bytes).map_err(io)?;
        std::fs::rename(&tmp, path).map_err(io)
    }
}

impl LimitsStore for EmbeddedLimits {
    fn admit<'a>(
        &'a self,
        buckets: &'a [TokenBucket<'a>],
        quota: Option<QuotaCounter<'a>>,
    ) -> LimitsFuture<'a> {
        Box::pin(std::future::ready(self.admit_now(buckets, quota)))
    }
}

impl EmbeddedLimits {
    /// [`LimitsStore::admit`], decided (and the quota persisted) under the locks, buckets' first.
    pub fn admit_now(
        &self,
        wanted: &[TokenBucket<'_>],
        quota: Option<QuotaCounter<'_>>,
    ) -> Result<Admission, LimitsError> {
        let now = Instant::now();
        // A poisoned lock only means another request panicked mid-update; the map is still usable.
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        // Refilled first (refilling is the same whenever it happens), taken from only once every
        // bucket is known to have a token.
        for want in wanted {
            let capacity = f64::from(want.burst);
            let bucket = buckets.entry(want.key.to_owned()).or_insert(Bucket {
                tokens: capacity,
                at: now,
            });
            let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
            bucket.tokens = (bucket.tokens + elapsed * want.rate).min(capacity);
            bucket.at = now;
        }
        let empty = wanted
            .iter()
            .position(|want| buckets.get(want.key).is_none_or(|b| b.tokens < 1.0));
        if let Some(index) = empty {
            return Ok(Admission::Throttled(index));
        }
        if let Some(quota) = quota {
            let mut quotas = self.quotas.lock().unwrap_or_else(|p| p.into_inner());
            let entry = quotas
                .entry(quota.key.to_owned())
                .or_insert((quota.period_start, 0));
            if entry.0 != quota.period_start {
                *entry = (quota.period_start, 0);
            }
            if entry.1 >= quota.limit {
                return Ok(Admission::QuotaExceeded);
            }
            entry.1 += 1;
            self.persist(&quotas)?;
        }
        for want in wanted {
            if let Some(bucket) = buckets.get_mut(want.key) {
                bucket.tokens -= 1.0;
            }
        }
        Ok(Admission::Admitted)
    }
}

/// Start of the quota period containing `now` (UTC), as API Gateway counts: days from midnight,
/// weeks from Monday, months from the 1st, each shifted by `offset` days.
pub fn period_start(quota: &Quota, now: OffsetDateTime) -> i64 {
    let midnight = now.replace_time(Time::MIDNIGHT);
    let offset = TimeDuration::days(i64::from(quota.offset));
    let start = match quota.period {
        QuotaPeriod::Day => midnight,
        QuotaPeriod::Week => {
            let monday =
                midnight - TimeDuration::days(i64::from(now.weekday().number_days_from_monday()));
            let start = monday + offset;
            if start > now {
                start - TimeDuration::weeks(1)
            } else {
                start
            }
        }
        QuotaPeriod::Month => {
            let first = midnight.replace_day(1).unwrap_or(midnight);
            let start = first + offset;
            if start > now {
                // Previous month's first day plus the offset.
                let prev = first - TimeDuration::days(1);
                prev.replace_day(1).unwrap_or(prev) + offset
            } else {
                start
            }
        }
    };
    start.unix_timestamp()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn bucket(key: &str, burst: u32) -> TokenBucket<'_> {
        TokenBucket {
            key,
            rate: 0.0,
            burst,
        }
    }

    fn quota(key: &str, period_start: i64, limit: u64) -> Option<QuotaCounter<'_>> {
        Some(QuotaCounter {
            key,
            period_start,
            limit,
        })
    }

    #[test]
    fn bucket_allows_burst_then_refuses() {
        let store = EmbeddedLimits::open(None).expect("memory store");
        let allowed = (0..10)
            .filter(|_| {
                store.admit_now(&[bucket("k", 3)], None).expect("admit") == Admission::Admitted
            })
            .count();
        assert_eq!(allowed, 3);
    }

    /// A request one limit refuses spends nothing of the others: not the token of a bucket that
    /// had one, not the quota.
    #[test]
    fn a_refused_request_takes_no_token_and_no_quota() {
        let store = EmbeddedLimits::open(None).expect("memory store");
        let narrow_then_wide = [bucket("narrow", 1), bucket("wide", 2)];
        let admit = |buckets: &[TokenBucket<'_>]| {
            store.admit_now(buckets, quota("q", 0, 2)).expect("admit")
        };
        assert_eq!(admit(&narrow_then_wide), Admission::Admitted);
        // `narrow` is empty: `wide` keeps its last token, the quota its last request.
        assert_eq!(admit(&narrow_then_wide), Admission::Throttled(0));
        assert_eq!(admit(&[bucket("wide", 2)]), Admission::Admitted);
        // `wide` is empty now, `other` still full: refused by the second bucket, `other` untouched.
        assert_eq!(
            admit(&[bucket("other", 1), bucket("wide", 2)]),
            Admission::Throttled(1)
        );
        // The quota (2) is used up; a request it refuses takes no token of `other`.
        assert_eq!(admit(&[bucket("other", 1)]), Admission::QuotaExceeded);
        assert_eq!(
            store.admit_now(&[bucket("other", 1)], None).expect("admit"),
            Admission::Admitted
        );
    }

    #[test]
    fn quota_is_exact_under_concurrency_and_persists() {
        let dir = std::env::temp_dir().join(format!("sluice-limits-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let file = dir.join("quotas.json");
        let store = Arc::new(EmbeddedLimits::open(Some(file.clone())).expect("store"));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let store = store.clone();
                std::thread::spawn(move || {
                    (0..50)
                        .filter(|_| {
                            store
                                .admit_now(&[], quota("plan/key", 0, 120))
                                .expect("count")
                                == Admission::Admitted
                        })
                        .count()
                })
            })
            .collect();
        let allowed: usize = threads.into_iter().map(|t| t.join().expect("thread")).sum();
        assert_eq!(allowed, 120);
        let reopened = EmbeddedLimits::open(Some(file)).expect("reopen");
        let count = |period| {
            reopened
                .admit_now(&[], quota("plan/key", period, 120))
                .expect("count")
        };
        assert_eq!(count(0), Admission::QuotaExceeded);
        assert_eq!(count(1), Admission::Admitted, "a new period");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn periods_start_where_api_gateway_starts_them() {
        let now = time::macros::datetime!(2026-11-28 07:00 UTC); // a Saturday
        let day = Quota {
            limit: 1,
            period: QuotaPeriod::Day,
            offset: 0,
        };
        assert_eq!(
            period_start(&day, now),
            time::macros::datetime!(2026-11-28 00:00 UTC).unix_timestamp()
        );
        let week = Quota {
            limit: 1,
            period: QuotaPeriod::Week,
            offset: 0,
        };
        assert_eq!(
            period_start(&week, now),
            time::macros::datetime!(2026-11-23 00:00 UTC).unix_timestamp()
        );
        let month = Quota {
            limit: 1,
            period: QuotaPeriod::Month,
            offset: 27,
        };
        let early = time::macros::datetime!(2026-11-10 07:00 UTC);
        assert_eq!(
            period_start(&month, early),
            time::macros::datetime!(2026-10-28 00:00 UTC).unix_timestamp()
        );
    }
}
