//! What every handler shares.

use crate::cluster::Cluster;
use crate::error::ApiError;
use crate::rate_limit::{Limit, RateLimiter};
use crate::store::Store;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct Settings {
    /// How long a live code stays valid (the contract says one hour).
    pub live_code_ttl: Duration,
    /// How long a bearer token stays valid.
    pub token_ttl: Duration,
    /// Multiplies every rate limit; 0 turns them off.
    pub rate_limit_factor: f64,
    /// STUN and TURN servers handed to clients in the join ack.
    pub ice: crate::signaling::ice::IceConfig,
    /// How long a peer whose socket dropped stays in its room.
    pub grace_period: Duration,
    /// The folder signed app updates are served from (`manifest.json` and bundles).
    pub updates_dir: Option<std::path::PathBuf>,
    /// Load balancers whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Per-address limits count an IPv6 client by its network of this many
    /// bits (64: what one subscriber is given), so rotating addresses
    /// within it buys no fresh buckets.
    pub ipv6_limit_prefix: u8,
    /// The web client served at `/` (the invitation page among its pages).
    pub web: crate::web::WebClient,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            live_code_ttl: Duration::from_secs(3600),
            token_ttl: Duration::from_secs(30 * 24 * 3600),
            rate_limit_factor: 1.0,
            ice: Default::default(),
            grace_period: crate::signaling::DEFAULT_GRACE_PERIOD,
            updates_dir: None,
            trusted_proxies: Vec::new(),
            web: Default::default(),
            ipv6_limit_prefix: 64,
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub settings: Arc<Settings>,
    pub limiter: Arc<RateLimiter>,
    /// Set when this node is one of several (Redis): limits and rooms are shared.
    pub cluster: Option<Arc<Cluster>>,
}

impl AppState {
    pub fn new(store: Store, settings: Settings) -> Self {
        AppState {
            store,
            limiter: Arc::new(RateLimiter::new(settings.rate_limit_factor)),
            settings: Arc::new(settings),
            cluster: None,
        }
    }

    /// This node shares limits and rooms with others through `cluster`.
    pub fn with_cluster(mut self, cluster: Cluster) -> Self {
        self.cluster = Some(Arc::new(cluster));
        self
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
                return Err(ApiError::rate_limited(wait));
            }
        }
        Ok(())
    }
}

fn hex_sha256(text: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
