//! Token-bucket rate limits per key (an address, a user, an email).
//!
//! Each rule allows a burst and then a steady rate. The numbers, and why they
//! make guessing a live code hopeless, are in docs/security.md.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::Mutex;
use std::time::Instant;

/// A burst of `burst` requests, refilled at `per_minute`.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub burst: f64,
    pub per_minute: f64,
}

impl Rule {
    const fn new(burst: u32, per_minute: u32) -> Rule {
        Rule {
            burst: burst as f64,
            per_minute: per_minute as f64,
        }
    }

    pub fn scaled(self, factor: f64) -> Rule {
        Rule {
            burst: self.burst * factor,
            per_minute: self.per_minute * factor,
        }
    }
}

/// Which limit a request counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Limit {
    LoginPerAddress,
    /// Failed sign-ins for one account from one address: a guesser
    /// elsewhere fills a bucket of their own, never the owner's.
    LoginFailuresPerAddressAndEmail,
    RegisterPerAddress,
    GeneratePerUser,
    GeneratePerAddress,
    ValidatePerUser,
    ValidatePerAddress,
    ReportPerUser,
    CreateSessionPerUser,
    /// `live:signal` messages a socket may send, and their bytes. A socket
    /// lives on one node, so these stay in its memory even on a cluster.
    SignalsPerSocket,
    SignalBytesPerSocket,
}

impl Limit {
    /// Its name in metrics.
    pub fn name(self) -> &'static str {
        match self {
            Limit::LoginPerAddress => "login_per_address",
            Limit::LoginFailuresPerAddressAndEmail => "login_failures",
            Limit::RegisterPerAddress => "register_per_address",
            Limit::GeneratePerUser => "generate_per_user",
            Limit::GeneratePerAddress => "generate_per_address",
            Limit::ValidatePerUser => "validate_per_user",
            Limit::ValidatePerAddress => "validate_per_address",
            Limit::ReportPerUser => "report_per_user",
            Limit::CreateSessionPerUser => "create_session_per_user",
            Limit::SignalsPerSocket => "signals_per_socket",
            Limit::SignalBytesPerSocket => "signal_bytes_per_socket",
        }
    }

    /// The production numbers.
    pub fn rule(self) -> Rule {
        match self {
            Limit::LoginPerAddress => Rule::new(20, 20),
            Limit::LoginFailuresPerAddressAndEmail => Rule::new(10, 5),
            Limit::RegisterPerAddress => Rule::new(20, 5),
            Limit::GeneratePerUser => Rule::new(10, 10),
            Limit::GeneratePerAddress => Rule::new(30, 30),
            Limit::ValidatePerUser => Rule::new(20, 10),
            Limit::ValidatePerAddress => Rule::new(60, 30),
            // A report per call; a burst for an offline queue sending its
            // backlog when the server is back.
            Limit::ReportPerUser => Rule::new(30, 10),
            // A term's bookings at once, then one every 10 s: 100,000
            // sessions with someone would take a week.
            Limit::CreateSessionPerUser => Rule::new(20, 6),
            // A negotiation and its candidates are tens of messages of a
            // few kilobytes; an ICE restart or a screen share adds a few.
            // The official client's interop test sends an offer and 100
            // candidates at once: room for twice that.
            Limit::SignalsPerSocket => Rule::new(200, 1200),
            Limit::SignalBytesPerSocket => Rule::new(512 * 1024, 4 * 1024 * 1024),
        }
    }
}

struct Bucket {
    tokens: f64,
    updated: Instant,
}

pub struct RateLimiter {
    /// Multiplies every rule; 0 turns limits off (load tests only).
    factor: f64,
    buckets: Mutex<HashMap<(Limit, String), Bucket>>,
}

impl RateLimiter {
    pub fn new(factor: f64) -> Self {
        RateLimiter {
            factor: factor.max(0.0),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one request from the bucket; `Err(seconds)` says how long until
    /// the next one would be allowed.
    pub fn check(&self, limit: Limit, key: &str) -> Result<(), u64> {
        self.check_at(limit, key, Instant::now())
    }

    /// Takes `cost` (bytes, say) from the bucket at once.
    pub fn check_cost(&self, limit: Limit, key: &str, cost: f64) -> Result<(), u64> {
        self.take(limit, key, cost, Instant::now())
    }

    fn check_at(&self, limit: Limit, key: &str, now: Instant) -> Result<(), u64> {
        self.take(limit, key, 1.0, now)
    }

    fn take(&self, limit: Limit, key: &str, cost: f64, now: Instant) -> Result<(), u64> {
        if self.factor == 0.0 {
            return Ok(());
        }
        let rule = limit.rule().scaled(self.factor);
        let per_second = rule.per_minute / 60.0;
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        let bucket = buckets.entry((limit, key.to_owned())).or_insert(Bucket {
            tokens: rule.burst,
            updated: now,
        });
        let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * per_second).min(rule.burst);
        bucket.updated = now;
        if bucket.tokens >= cost {
            bucket.tokens -= cost;
            Ok(())
        } else {
            Err(((cost - bucket.tokens) / per_second).ceil().max(1.0) as u64)
        }
    }

    /// Gives back the request just taken (it turned out not to count: a
    /// sign-in that succeeded). Never more than the burst.
    pub fn refund(&self, limit: Limit, key: &str) {
        if self.factor == 0.0 {
            return;
        }
        let burst = limit.rule().scaled(self.factor).burst;
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(bucket) = buckets.get_mut(&(limit, key.to_owned())) {
            bucket.tokens = (bucket.tokens + 1.0).min(burst);
        }
    }

    /// Forgets buckets that have refilled completely, so memory follows the
    /// number of recently active keys, not every key ever seen.
    pub fn prune(&self) {
        let now = Instant::now();
        let factor = self.factor;
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        buckets.retain(|(limit, _), bucket| {
            let rule = limit.rule().scaled(factor);
            let elapsed = now.saturating_duration_since(bucket.updated).as_secs_f64();
            bucket.tokens + elapsed * rule.per_minute / 60.0 < rule.burst
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_burst_passes_then_the_rate_holds() {
        let limiter = RateLimiter::new(1.0);
        let t0 = Instant::now();
        let burst = Limit::ValidatePerUser.rule().burst as usize;
        for _ in 0..burst {
            assert!(limiter.check_at(Limit::ValidatePerUser, "u1", t0).is_ok());
        }
        let wait = limiter
            .check_at(Limit::ValidatePerUser, "u1", t0)
            .expect_err("over the burst");
        assert_eq!(wait, 6, "10 per minute: one every 6 s");
        // Another key is not affected.
        assert!(limiter.check_at(Limit::ValidatePerUser, "u2", t0).is_ok());
        // After 6 s one more is allowed, not two.
        let later = t0 + Duration::from_secs(6);
        assert!(limiter
            .check_at(Limit::ValidatePerUser, "u1", later)
            .is_ok());
        assert!(limiter
            .check_at(Limit::ValidatePerUser, "u1", later)
            .is_err());
    }

    #[test]
    fn a_refund_gives_back_one_request_and_never_more_than_the_burst() {
        let limiter = RateLimiter::new(1.0);
        let t0 = Instant::now();
        let limit = Limit::LoginFailuresPerAddressAndEmail;
        for _ in 0..100 {
            assert!(
                limiter.check_at(limit, "a|e", t0).is_ok(),
                "refunded each time"
            );
            limiter.refund(limit, "a|e");
        }
        for _ in 0..10 {
            limiter.refund(limit, "a|e");
        }
        let burst = limit.rule().burst as usize;
        let passed = (0..burst + 5)
            .filter(|_| limiter.check_at(limit, "a|e", t0).is_ok())
            .count();
        assert_eq!(passed, burst, "refunds do not grow the burst");
    }

    #[test]
    fn factor_zero_turns_limits_off() {
        let limiter = RateLimiter::new(0.0);
        for _ in 0..1_000 {
            assert!(limiter.check(Limit::LoginPerAddress, "x").is_ok());
        }
    }
}

/// The key a client address counts under in per-address limits: an IPv4
/// address as it is (an IPv4-mapped IPv6 address too), an IPv6 address as
/// its network of `v6_prefix` bits. A home or a server is given a whole /64
/// (often a /56 or /48), so keyed on the full address one subscriber could
/// rotate through 2^64 fresh buckets.
pub fn address_key(ip: IpAddr, v6_prefix: u8) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let bits = u32::from(v6_prefix.min(128));
                let mask = u128::MAX.checked_shl(128 - bits).unwrap_or(0);
                let network = Ipv6Addr::from(u128::from(v6) & mask);
                format!("{network}/{bits}")
            }
        },
    }
}

#[cfg(test)]
mod address_tests {
    use super::address_key;

    fn key(ip: &str, prefix: u8) -> String {
        address_key(ip.parse().expect("ip"), prefix)
    }

    #[test]
    fn an_ipv6_subscriber_counts_as_its_network() {
        assert_eq!(key("2001:db8:1:2:aaaa::1", 64), "2001:db8:1:2::/64");
        assert_eq!(
            key("2001:db8:1:2:ffff:ffff:ffff:ffff", 64),
            "2001:db8:1:2::/64"
        );
        assert_ne!(key("2001:db8:1:3::1", 64), key("2001:db8:1:2::1", 64));
        assert_eq!(key("2001:db8:1:2ff::1", 56), "2001:db8:1:200::/56");
        assert_eq!(key("2001:db8::1", 128), "2001:db8::1/128");
        assert_eq!(key("203.0.113.9", 64), "203.0.113.9");
        assert_eq!(key("::ffff:203.0.113.9", 64), "203.0.113.9");
    }
}
