//! The limits store several Sluice processes share: token buckets and quota counters in Redis (or
//! Valkey), each decision one Lua script so concurrent requests from every process stay exact.

use redis::aio::ConnectionManager;
use redis::Script;
use sluice_apigw::auth::limits::{
    Admission, LimitsError, LimitsFuture, LimitsStore, QuotaCounter, TokenBucket,
};
use tokio::sync::OnceCell;

/// One request's admission, all or nothing: every bucket (`KEYS[1..n]`, `ARGV[1]` = n, rate and
/// burst at `ARGV[2i]`, `ARGV[2i+1]`) is refilled from the time elapsed (Redis's clock, the same
/// for every process); when each has a token and the quota (`KEYS[n+1]`, if any: period and limit
/// after the buckets' arguments) is not used up, a token is taken from each and the request
/// counted. Returns 0 (admitted), i > 0 (bucket i refused) or -1 (quota used up). Idle buckets
/// expire once they would be full again; a new quota period starts at 0.
const ADMIT: &str = r"
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local n = tonumber(ARGV[1])
local tokens = {}
for i = 1, n do
  local rate = tonumber(ARGV[2 * i])
  local burst = tonumber(ARGV[2 * i + 1])
  local state = redis.call('HMGET', KEYS[i], 'tokens', 'at')
  local have = tonumber(state[1])
  local at = tonumber(state[2])
  if have == nil or at == nil then
    have = burst
    at = now
  end
  tokens[i] = math.min(burst, have + math.max(0, now - at) * rate)
end
local verdict = 0
for i = 1, n do
  if tokens[i] < 1 then
    verdict = i
    break
  end
end
if verdict == 0 and #KEYS > n then
  local period = ARGV[2 * n + 2]
  local state = redis.call('HMGET', KEYS[n + 1], 'period', 'used')
  local used = tonumber(state[2]) or 0
  if state[1] ~= period then used = 0 end
  if used >= tonumber(ARGV[2 * n + 3]) then
    verdict = -1
  else
    redis.call('HSET', KEYS[n + 1], 'period', period, 'used', used + 1)
  end
end
for i = 1, n do
  local rate = tonumber(ARGV[2 * i])
  local burst = tonumber(ARGV[2 * i + 1])
  local left = tokens[i]
  if verdict == 0 then left = left - 1 end
  redis.call('HSET', KEYS[i], 'tokens', tostring(left), 'at', tostring(now))
  local ttl = 3600
  if rate > 0 then ttl = math.ceil(burst / rate) + 60 end
  redis.call('EXPIRE', KEYS[i], ttl)
end
return verdict
";

/// Token buckets and quotas in Redis, under `sluice:limits:<prefix>:`.
pub struct RedisLimits {
    client: redis::Client,
    /// Connected on first use (building the store happens outside an async context).
    connection: OnceCell<ConnectionManager>,
    prefix: String,
    admit: Script,
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
            admit: Script::new(ADMIT),
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
    fn admit<'a>(
        &'a self,
        buckets: &'a [TokenBucket<'a>],
        quota: Option<QuotaCounter<'a>>,
    ) -> LimitsFuture<'a> {
        Box::pin(async move {
            let mut connection = self.connection().await?;
            let mut invocation = self.admit.prepare_invoke();
            invocation.arg(buckets.len());
            for bucket in buckets {
                invocation
                    .key(format!("{}bucket:{}", self.prefix, bucket.key))
                    .arg(bucket.rate)
                    .arg(bucket.burst);
            }
            if let Some(quota) = quota {
                invocation
                    .key(format!("{}quota:{}", self.prefix, quota.key))
                    .arg(quota.period_start)
                    .arg(quota.limit);
            }
            let verdict: i64 = invocation
                .invoke_async(&mut connection)
                .await
                .map_err(|e| LimitsError::Store(e.to_string()))?;
            Ok(match verdict {
                0 => Admission::Admitted,
                refused if refused > 0 => Admission::Throttled((refused - 1) as usize),
                _ => Admission::QuotaExceeded,
            })
        })
    }
}
