//! What every handler shares.

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
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub settings: Arc<Settings>,
    pub limiter: Arc<RateLimiter>,
}

impl AppState {
    pub fn new(store: Store, settings: Settings) -> Self {
        AppState {
            store,
            limiter: Arc::new(RateLimiter::new(settings.rate_limit_factor)),
            settings: Arc::new(settings),
        }
    }

    /// Counts a request against every `(limit, key)` given; the first that is
    /// exhausted answers 429 with how long to wait.
    pub fn rate_limit(&self, checks: &[(Limit, &str)]) -> Result<(), ApiError> {
        for (limit, key) in checks {
            if let Err(wait) = self.limiter.check(*limit, key) {
                tracing::warn!(?limit, "rate limited");
                return Err(ApiError::rate_limited(wait));
            }
        }
        Ok(())
    }
}
