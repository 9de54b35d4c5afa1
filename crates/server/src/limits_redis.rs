//! The limits store several Sluice processes share: token buckets and quota counters in Redis (or
//! Valkey), each decision one Lua script so concurrent requests from every process stay exact.

use redis::aio::ConnectionManager;
use redis::Script;
use sluice_apigw::auth::limits::{LimitsError, LimitsFuture, LimitsStore};
use tokio::sync::OnceCell;

/// Refills the bucket from the time elapsed (Redis's clock, the same for every process), then
/// takes a token if there is one. Idle buckets expire once they would be full again.
const TAKE: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then
  tokens = burst
  at = now
end
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
local ttl = 3600
if rate > 0 then ttl = math.ceil(burst / rate) + 60 end
redis.call('EXPIRE', KEYS[1], ttl)
return allowed
";

/// Counts one request in the current period unless the limit is used up; a new period starts at 0.
const COUNT: &str = r"
local state = redis.call('HMGET', KEYS[1], 'period', 'used')
local used = tonumber(state[2]) or 0
if state[1] ~= ARGV[1] then used = 0 end
if used >= tonumber(ARGV[2]) then return 0 end
redis.call('HSET', KEYS[1], 'period', ARGV[1], 'used', used + 1)
return 1
";

/// Token buckets and quotas in Redis, under `sluice:limits:<prefix>:`.
pub struct RedisLimits {
    client: redis::Client,
    /// Connected on first use (building the store happens outside an async context).
    connection: OnceCell<ConnectionManager>,
    prefix: String,
    take: Script,
    count: Script,
}

impl RedisLimits {
    /// A store at `url` (`redis://host:port`), checked with a PING so a wrong address fails at
    /// startup rather than on the first request. `prefix` separates applications sharing a server.
    pub fn connect(url: &str, prefix: &str) -> Result<RedisLimits, LimitsError> {
        let error = |e: redis::RedisError| LimitsError::Store(format!("{url}: {e}"));
        let client = redis::Client::open(url).map_err(error)?;
        let mut check = client
            .get_connection_with_timeout(std::time::Duration::from_secs(5))
            .map_err(error)?;
        redis::cmd("PING")
            .query::<String>(&mut check)
            .map_err(error)?;
        Ok(RedisLimits {
            client,
            connection: OnceCell::new(),
            prefix: format!("sluice:limits:{prefix}:"),
            take: Script::new(TAKE),
            count: Script::new(COUNT),
        })
    }

    async fn connection(&self) -> Result<ConnectionManager, LimitsError> {
        self.connection
            .get_or_try_init(|| ConnectionManager::new(self.client.clone()))
            .await
            .cloned()
            .map_err(|e| LimitsError::Store(e.to_string()))
    }
}

impl LimitsStore for RedisLimits {
    fn take<'a>(&'a self, key: &'a str, rate: f64, burst: u32) -> LimitsFuture<'a> {
        Box::pin(async move {
            let mut connection = self.connection().await?;
            let allowed: i64 = self
                .take
                .key(format!("{}bucket:{key}", self.prefix))
                .arg(rate)
                .arg(burst)
                .invoke_async(&mut connection)
                .await
                .map_err(|e| LimitsError::Store(e.to_string()))?;
            Ok(allowed == 1)
        })
    }

    fn count<'a>(&'a self, key: &'a str, period_start: i64, limit: u64) -> LimitsFuture<'a> {
        Box::pin(async move {
            let mut connection = self.connection().await?;
            let allowed: i64 = self
                .count
                .key(format!("{}quota:{key}", self.prefix))
                .arg(period_start)
                .arg(limit)
                .invoke_async(&mut connection)
                .await
                .map_err(|e| LimitsError::Store(e.to_string()))?;
            Ok(allowed == 1)
        })
    }
}
