//! What server nodes share when there are several: Redis holds what one
//! node's memory holds otherwise (rate-limit buckets, live rooms), and
//! carries Socket.IO emits between nodes (socketioxide's Redis adapter).
//! PostgreSQL holds the rest, as it does for one node.

use anyhow::Context;
use redis::aio::ConnectionManager;
use redis::{AsyncCommands, Script};
use std::time::Duration;

/// The Redis side of a cluster node.
pub struct Cluster {
    pub client: redis::Client,
    conn: ConnectionManager,
    /// Every key and channel starts with it: several deployments (or test
    /// runs) can share one Redis.
    pub prefix: String,
}

/// Redis did not answer: the request is refused (503), never let through.
#[derive(Debug, thiserror::Error)]
#[error("the shared state (Redis) is unreachable: {0}")]
pub struct Unreachable(#[from] pub redis::RedisError);

/// A token bucket in one Redis hash, with Redis's clock, so every node
/// counts against the same bucket. Returns 0 when allowed, else the seconds
/// to wait. Same rule as `rate_limit::RateLimiter`.
const TOKEN_BUCKET: &str = r"
local burst = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local cost = tonumber(ARGV[3]) or 1
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local b = redis.call('HMGET', KEYS[1], 'tokens', 'updated')
local tokens = tonumber(b[1]) or burst
local updated = tonumber(b[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - updated) / 1000 * rate)
local wait = 0
if cost <= 0 then tokens = math.min(burst, tokens - cost)
elseif tokens >= cost then tokens = tokens - cost
else wait = math.ceil((cost - tokens) / rate) end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'updated', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return wait
";

/// Deletes a key only if it still holds the given value.
const DEL_IF: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
";

/// Appends ARGV[4..] to the list KEYS[1], keeping at most ARGV[1] entries
/// and ARGV[2] bytes (KEYS[2] counts them; the oldest go first), both keys
/// expiring after ARGV[3] ms.
const PUSH_BOUNDED: &str = r"
for i = 4, #ARGV do
  redis.call('RPUSH', KEYS[1], ARGV[i])
  redis.call('INCRBY', KEYS[2], string.len(ARGV[i]))
end
local max_items = tonumber(ARGV[1])
local max_bytes = tonumber(ARGV[2])
while redis.call('LLEN', KEYS[1]) > max_items or tonumber(redis.call('GET', KEYS[2]) or '0') > max_bytes do
  local gone = redis.call('LPOP', KEYS[1])
  if not gone then break end
  redis.call('DECRBY', KEYS[2], string.len(gone))
end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
return 0
";

/// A held lock; give it back with [`Cluster::unlock`].
pub struct Lock {
    key: String,
    token: String,
}

/// How long a lock holds if its node dies holding it.
const LOCK_TTL: Duration = Duration::from_secs(5);

impl Cluster {
    pub async fn connect(url: &str, prefix: &str) -> anyhow::Result<Cluster> {
        // socketioxide's Redis adapter speaks RESP3 (Redis 7 and later).
        let url = if url.contains("protocol=") {
            url.to_owned()
        } else if url.contains('?') {
            format!("{url}&protocol=resp3")
        } else {
            format!("{url}?protocol=resp3")
        };
        let client = redis::Client::open(url.as_str()).context("the Redis URL")?;
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(5)))
            .set_response_timeout(Some(Duration::from_secs(5)));
        let conn = client
            .get_connection_manager_with_config(config)
            .await
            .context("connecting to Redis")?;
        Ok(Cluster {
            client,
            conn,
            prefix: prefix.to_owned(),
        })
    }

    pub fn key(&self, name: &str) -> String {
        format!("{}:{name}", self.prefix)
    }

    /// One request against a shared token bucket: `Ok(Ok(()))` allowed,
    /// `Ok(Err(seconds))` refused.
    pub async fn take_token(
        &self,
        bucket: &str,
        burst: f64,
        per_second: f64,
    ) -> Result<Result<(), u64>, Unreachable> {
        let wait = self.bucket(bucket, burst, per_second, 1).await?;
        Ok(if wait == 0 { Ok(()) } else { Err(wait) })
    }

    /// Gives one request back to a shared bucket (never past its burst).
    pub async fn refund_token(
        &self,
        bucket: &str,
        burst: f64,
        per_second: f64,
    ) -> Result<(), Unreachable> {
        self.bucket(bucket, burst, per_second, -1).await.map(|_| ())
    }

    async fn bucket(
        &self,
        bucket: &str,
        burst: f64,
        per_second: f64,
        cost: i32,
    ) -> Result<u64, Unreachable> {
        Ok(Script::new(TOKEN_BUCKET)
            .key(self.key(&format!("rl:{bucket}")))
            .arg(burst)
            .arg(per_second)
            .arg(cost)
            .invoke_async(&mut self.conn.clone())
            .await?)
    }

    /// Waits (up to about 5 s) for the lock `name`, shared by every node.
    pub async fn lock(&self, name: &str) -> Result<Lock, Unreachable> {
        let key = self.key(&format!("lock:{name}"));
        let token = uuid::Uuid::new_v4().simple().to_string();
        let mut conn = self.conn.clone();
        let mut delay = Duration::from_millis(2);
        for _ in 0..200 {
            let taken: Option<String> = redis::cmd("SET")
                .arg(&key)
                .arg(&token)
                .arg("NX")
                .arg("PX")
                .arg(LOCK_TTL.as_millis() as u64)
                .query_async(&mut conn)
                .await?;
            if taken.is_some() {
                return Ok(Lock { key, token });
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_millis(50));
        }
        // Held past its TTL by a live node is a bug; by a dead one it expires.
        Err(Unreachable(redis::RedisError::from((
            redis::ErrorKind::Io,
            "a shared lock stayed taken",
        ))))
    }

    pub async fn unlock(&self, lock: Lock) {
        if let Err(err) = self.del_key_if(&lock.key, &lock.token).await {
            // It expires by itself within LOCK_TTL.
            tracing::warn!(%err, "could not release a shared lock");
        }
    }

    /// Deletes `name` only if it still holds `value` (one round trip).
    pub async fn del_if(&self, name: &str, value: &str) -> Result<(), Unreachable> {
        self.del_key_if(&self.key(name), value).await
    }

    async fn del_key_if(&self, key: &str, value: &str) -> Result<(), Unreachable> {
        let _: i64 = Script::new(DEL_IF)
            .key(key)
            .arg(value)
            .invoke_async(&mut self.conn.clone())
            .await?;
        Ok(())
    }

    pub async fn get(&self, name: &str) -> Result<Option<String>, Unreachable> {
        Ok(self.conn.clone().get(self.key(name)).await?)
    }

    pub async fn set(&self, name: &str, value: &str, ttl: Duration) -> Result<(), Unreachable> {
        let _: () = self
            .conn
            .clone()
            .set_ex(self.key(name), value, ttl.as_secs().max(1))
            .await?;
        Ok(())
    }

    pub async fn del(&self, name: &str) -> Result<(), Unreachable> {
        let _: () = self.conn.clone().del(self.key(name)).await?;
        Ok(())
    }

    /// Appends to the bounded list `name` (see [`PUSH_BOUNDED`]).
    pub async fn push_bounded(
        &self,
        name: &str,
        items: &[String],
        max_items: usize,
        max_bytes: usize,
        ttl: Duration,
    ) -> Result<(), Unreachable> {
        if items.is_empty() {
            return Ok(());
        }
        let _: i64 = Script::new(PUSH_BOUNDED)
            .key(self.key(name))
            .key(self.key(&format!("{name}:bytes")))
            .arg(max_items)
            .arg(max_bytes)
            .arg(ttl.as_millis().max(1) as u64)
            .arg(items)
            .invoke_async(&mut self.conn.clone())
            .await?;
        Ok(())
    }

    /// The bounded list `name`, left in place.
    pub async fn read_list(&self, name: &str) -> Result<Vec<String>, Unreachable> {
        Ok(self.conn.clone().lrange(self.key(name), 0, -1).await?)
    }

    /// Deletes the bounded list `name` and its byte count.
    pub async fn del_list(&self, name: &str) -> Result<(), Unreachable> {
        let _: () = self
            .conn
            .clone()
            .del(&[self.key(name), self.key(&format!("{name}:bytes"))])
            .await?;
        Ok(())
    }

    /// Whether Redis answers (for the health check).
    pub async fn ping(&self) -> bool {
        redis::cmd("PING")
            .query_async::<String>(&mut self.conn.clone())
            .await
            .is_ok()
    }
}
