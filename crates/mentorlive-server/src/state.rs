//! What every handler shares.

use crate::cluster::Cluster;
use crate::error::ApiError;
use crate::rate_limit::{Limit, RateLimiter};
use crate::store::Store;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock};

pub use crate::config::Settings;

/// Ends every signaling socket signed in with a token (by its hash), on
/// every node: set once signaling is attached.
pub type EndSockets = Arc<dyn Fn(String) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub settings: Arc<Settings>,
    pub limiter: Arc<RateLimiter>,
    /// Set when this node is one of several (Redis): limits and rooms are shared.
    pub cluster: Option<Arc<Cluster>>,
    pub end_sockets: Arc<OnceLock<EndSockets>>,
}

impl AppState {
    pub fn new(store: Store, settings: Settings) -> Self {
        AppState {
            store,
            limiter: Arc::new(RateLimiter::new(settings.rate_limit_factor)),
            settings: Arc::new(settings),
            cluster: None,
            end_sockets: Arc::default(),
        }
    }

    /// This node shares limits and rooms with others through `cluster`.
    pub fn with_cluster(mut self, cluster: Cluster) -> Self {
        self.cluster = Some(Arc::new(cluster));
        self
    }

    /// A token was revoked: the signaling sockets it opened close now, so
    /// none goes on joining rooms with it.
    pub async fn end_sockets_of(&self, token_hash: &str) {
        if let Some(end) = self.end_sockets.get() {
            end(token_room(token_hash)).await;
        }
    }

    /// Counts a request against every `(limit, key)` given; the first that is
    /// exhausted answers 429 with how long to wait. On a cluster the buckets
    /// are in Redis, so a client cannot spread its attempts over the nodes.
    pub async fn rate_limit(&self, checks: &[(Limit, &str)]) -> Result<(), ApiError> {
        let factor = self.settings.rate_limit_factor;
        for (limit, key) in checks {
            let verdict = match &self.cluster {
                Some(cluster) if factor > 0.0 => {
                    let rule = limit.rule().scaled(factor);
                    // Keys are hashed: no address or e-mail sits in Redis in the clear.
                    let bucket = format!("{limit:?}:{}", &hex_sha256(key)[..32]);
                    cluster
                        .take_token(&bucket, rule.burst, rule.per_minute / 60.0)
                        .await
                        .map_err(|err| {
                            tracing::error!(%err, "rate limit unavailable; refusing");
                            ApiError::unavailable()
                        })?
                }
                _ => self.limiter.check(*limit, key),
            };
            if let Err(wait) = verdict {
                tracing::warn!(?limit, "rate limited");
                crate::metrics::rate_limited(limit.name());
                return Err(ApiError::rate_limited(wait));
            }
        }
        Ok(())
    }

    /// Gives back a request a limit counted that turned out not to count
    /// (a sign-in that succeeded). Best effort: a cluster that cannot be
    /// reached leaves the bucket as it was.
    pub async fn refund_limit(&self, limit: Limit, key: &str) {
        let factor = self.settings.rate_limit_factor;
        match &self.cluster {
            Some(cluster) if factor > 0.0 => {
                let rule = limit.rule().scaled(factor);
                let bucket = format!("{limit:?}:{}", &hex_sha256(key)[..32]);
                if let Err(err) = cluster
                    .refund_token(&bucket, rule.burst, rule.per_minute / 60.0)
                    .await
                {
                    tracing::warn!(%err, "could not refund a rate-limit token");
                }
            }
            _ => self.limiter.refund(limit, key),
        }
    }
}

/// The Socket.IO room of the sockets signed in with a token: named from its
/// hash hashed again, so no room name (which crosses Redis on a cluster)
/// is what the database keeps.
pub fn token_room(token_hash: &str) -> String {
    format!("token:{}", &hex_sha256(token_hash)[..32])
}

fn hex_sha256(text: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
