//! Reconnection delays: exponential with jitter, bounded in count, as
//! socket.io-client does (`reconnectionDelay`, `reconnectionDelayMax`,
//! `randomizationFactor`), so a server restart is not met by every client
//! at the same instant.

use std::time::Duration;

#[derive(Debug, Clone, PartialEq)]
pub struct Backoff {
    pub initial: Duration,
    pub max: Duration,
    /// 0.5 spreads each delay over ±50%.
    pub jitter: f64,
    /// Attempts after the first failure; past them the client gives up.
    pub max_attempts: u32,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            initial: Duration::from_millis(500),
            max: Duration::from_secs(5),
            jitter: 0.5,
            max_attempts: 20,
        }
    }
}

impl Backoff {
    /// The delay before attempt `attempt` (1-based), given a uniform random
    /// number in [0, 1). `None` once the attempts are used up.
    pub fn delay(&self, attempt: u32, random: f64) -> Option<Duration> {
        if attempt == 0 || attempt > self.max_attempts {
            return None;
        }
        let exp = 2f64.powi(i32::try_from(attempt - 1).unwrap_or(i32::MAX).min(30));
        let base = (self.initial.as_secs_f64() * exp).min(self.max.as_secs_f64());
        let spread = base * self.jitter * (2.0 * random.clamp(0.0, 1.0) - 1.0);
        Some(Duration::from_secs_f64(
            (base + spread).clamp(0.0, self.max.as_secs_f64()),
        ))
    }
}

/// A uniform number in [0, 1) from the OS RNG (0.5 if it fails: jitter is a
/// nicety, not a security property).
pub fn random_unit() -> f64 {
    let mut bytes = [0u8; 8];
    match getrandom::getrandom(&mut bytes) {
        Ok(()) => (u64::from_le_bytes(bytes) >> 11) as f64 / (1u64 << 53) as f64,
        Err(_) => 0.5,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_doubles_caps_jitters_and_stops() {
        let b = Backoff::default();
        assert_eq!(b.delay(1, 0.5), Some(Duration::from_millis(500)));
        assert_eq!(b.delay(2, 0.5), Some(Duration::from_secs(1)));
        assert_eq!(b.delay(3, 0.5), Some(Duration::from_secs(2)));
        assert_eq!(b.delay(10, 0.5), Some(Duration::from_secs(5)), "capped");
        assert_eq!(b.delay(1, 0.0), Some(Duration::from_millis(250)), "-50%");
        assert!(
            b.delay(1, 0.999_999).expect("delay") < Duration::from_millis(751),
            "+50%"
        );
        assert_eq!(b.delay(21, 0.5), None, "gives up");
        assert_eq!(b.delay(0, 0.5), None);
    }

    #[test]
    fn random_unit_stays_in_range() {
        for _ in 0..1000 {
            let r = random_unit();
            assert!((0.0..1.0).contains(&r));
        }
    }
}
