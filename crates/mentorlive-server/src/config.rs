//! The server's configuration in one place: every option of the command
//! line, its default, and the settings the handlers share, made from it.
//! Tests build `Settings` directly (`Settings::default()` plus changes).

use crate::signaling::ice::IceConfig;
use crate::web::WebClient;
use clap::Parser;
use std::net::SocketAddr;
use std::time::Duration;

pub const DEFAULT_ADDR: &str = "127.0.0.1:8787";
/// The contract says a live code lasts one hour.
pub const DEFAULT_LIVE_CODE_TTL: Duration = Duration::from_secs(3600);
pub const DEFAULT_TOKEN_TTL: Duration = Duration::from_secs(30 * 24 * 3600);
pub const DEFAULT_TURN_CREDENTIAL_TTL: Duration = Duration::from_secs(12 * 3600);
pub const DEFAULT_GRACE_PERIOD: Duration = crate::signaling::DEFAULT_GRACE_PERIOD;
/// What one subscriber is given.
pub const DEFAULT_IPV6_LIMIT_PREFIX: u8 = 64;
/// How long call events and reports are kept, in days.
pub const DEFAULT_ANALYTICS_RETENTION_DAYS: u32 = 365;

#[derive(Parser, Debug)]
#[command(
    name = "mentorlive-server",
    version,
    about = "The mentorlive reference sessions server"
)]
pub struct CommandLine {
    /// Instead of serving: back up or restore a SQLite database.
    #[command(subcommand)]
    pub tool: Option<Tool>,
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = DEFAULT_ADDR, env = "MENTORLIVE_ADDR")]
    pub addr: SocketAddr,
    /// SQLite file path, or a postgres:// URL. Defaults to a file in the
    /// user's data directory.
    #[arg(long, env = "DATABASE_URL")]
    pub db: Option<String>,
    /// How long a live session code stays valid, in seconds.
    #[arg(long, default_value_t = DEFAULT_LIVE_CODE_TTL.as_secs(), value_parser = clap::value_parser!(u64).range(1..=7 * 24 * 3600))]
    pub live_code_ttl: u64,
    /// Create the demo mentor, learner and an upcoming session (idempotent).
    #[arg(long)]
    pub seed_demo: bool,
    /// Multiplies every rate limit (0 turns them off: for load tests only).
    #[arg(long, default_value_t = 1.0)]
    pub rate_limit_factor: f64,
    /// A STUN server URL for clients (repeatable), e.g. stun:stun.example.org:3478.
    #[arg(long = "stun")]
    pub stun_urls: Vec<String>,
    /// A TURN server URL for clients (repeatable); needs --turn-secret.
    #[arg(long = "turn", requires = "turn_secret")]
    pub turn_urls: Vec<String>,
    /// The secret shared with the TURN server (coturn's static-auth-secret).
    #[arg(long, env = "MENTORLIVE_TURN_SECRET", hide_env_values = true)]
    pub turn_secret: Option<String>,
    /// How long TURN credentials stay valid, in seconds.
    #[arg(long, default_value_t = DEFAULT_TURN_CREDENTIAL_TTL.as_secs())]
    pub turn_credential_ttl: u64,
    /// How long a peer whose connection dropped keeps its place, in seconds.
    #[arg(long, default_value_t = DEFAULT_GRACE_PERIOD.as_secs())]
    pub grace_period: u64,
    /// A folder of signed app updates to serve: `manifest.json` (Tauri's
    /// static format) and the bundles it names.
    #[arg(long, env = "MENTORLIVE_UPDATES_DIR")]
    pub updates_dir: Option<std::path::PathBuf>,
    /// The address clients reach this server at, e.g. https://live.example.org:
    /// update bundles in the updates folder are offered at URLs under it.
    /// Defaults to the listening address unless that is 0.0.0.0 or [::].
    #[arg(long, env = "MENTORLIVE_PUBLIC_URL", value_parser = parse_public_url)]
    pub public_url: Option<String>,
    /// Redis, for running as one of several nodes: rate limits and live
    /// rooms are then shared, and signaling reaches sockets on other nodes.
    /// Use with a postgres:// database that every node shares.
    #[arg(long, env = "MENTORLIVE_REDIS_URL")]
    pub redis: Option<String>,
    /// Prefix of every Redis key and channel (several deployments on one Redis).
    #[arg(long, default_value = "mentorlive", requires = "redis")]
    pub redis_prefix: String,
    /// This node's name in its start-up log line (which node is which).
    #[arg(long)]
    pub node_id: Option<String>,
    /// A load balancer's address (repeatable): from it, the client address
    /// for per-address limits is the last entry of X-Forwarded-For.
    #[arg(long = "trusted-proxy")]
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Per-address rate limits count an IPv6 client by its network of this
    /// many bits: one subscriber gets a whole /64 (or /56, /48) to rotate in.
    #[arg(long, default_value_t = DEFAULT_IPV6_LIMIT_PREFIX, value_parser = clap::value_parser!(u8).range(16..=128))]
    ipv6_limit_prefix: u8,
    /// Serve the web client from this folder (a `ui` build made with
    /// `--mode web`) instead of the one built into the server.
    #[arg(long, env = "MENTORLIVE_WEB_DIR", conflicts_with = "no_web")]
    pub web_dir: Option<std::path::PathBuf>,
    /// Serve no web client: the API and signaling only.
    #[arg(long)]
    pub no_web: bool,
    /// Serve operator metrics (Prometheus text format, `/metrics`) on this
    /// address. Off by default; bind it to loopback or a private network.
    #[arg(long, env = "MENTORLIVE_METRICS_ADDR")]
    pub metrics_addr: Option<SocketAddr>,
    /// Delete call events and reports older than this many days.
    #[arg(long, default_value_t = DEFAULT_ANALYTICS_RETENTION_DAYS, value_parser = clap::value_parser!(u32).range(1..=3650))]
    pub analytics_retention_days: u32,
}

/// What the binary does besides serving.
#[derive(clap::Subcommand, Debug)]
pub enum Tool {
    /// Copy a SQLite database while the server runs: consistent to one
    /// instant, checked, never over an existing file. (PostgreSQL: pg_dump.)
    Backup {
        /// The database file the server uses.
        #[arg(long)]
        db: std::path::PathBuf,
        /// Where the copy goes (a new file).
        out: std::path::PathBuf,
    },
    /// Put a backup in place of a SQLite database, with the server stopped;
    /// the database it replaces is kept beside it.
    Restore {
        /// The backup file.
        backup: std::path::PathBuf,
        /// The database file to replace.
        #[arg(long)]
        db: std::path::PathBuf,
    },
}

/// An http(s) origin with no path, query or fragment; kept without a
/// trailing slash.
fn parse_public_url(text: &str) -> Result<String, String> {
    let trimmed = text.trim_end_matches('/');
    let host = trimmed
        .strip_prefix("https://")
        .or_else(|| trimmed.strip_prefix("http://"))
        .ok_or("it must start with https:// (or http://)")?;
    let plain = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']');
    if host.is_empty() || !host.bytes().all(plain) {
        return Err("it must be an origin such as https://live.example.org, with no path".into());
    }
    Ok(trimmed.to_owned())
}

impl CommandLine {
    /// What the handlers share, from the command line (the database,
    /// Redis and the listening address are opened by `main`).
    pub fn settings(&self) -> Settings {
        Settings {
            live_code_ttl: Duration::from_secs(self.live_code_ttl),
            rate_limit_factor: self.rate_limit_factor,
            ice: IceConfig {
                stun_urls: self.stun_urls.clone(),
                turn_urls: self.turn_urls.clone(),
                turn_secret: self.turn_secret.clone(),
                turn_credential_ttl: Duration::from_secs(self.turn_credential_ttl),
            },
            grace_period: Duration::from_secs(self.grace_period),
            updates_dir: self.updates_dir.clone(),
            public_url: self.public_url.clone(),
            trusted_proxies: self.trusted_proxies.clone(),
            ipv6_limit_prefix: self.ipv6_limit_prefix,
            analytics_retention_days: self.analytics_retention_days,
            web: match (self.no_web, &self.web_dir) {
                (true, _) => WebClient::Off,
                (false, Some(dir)) => WebClient::Dir(dir.clone()),
                (false, None) => WebClient::Embedded,
            },
            ..Settings::default()
        }
    }
}

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
    /// Where clients reach this server (`https://host[:port]`, no trailing
    /// slash): the base of the update bundles' URLs. Never taken from a
    /// request's `Host` header, which the requester chooses.
    pub public_url: Option<String>,
    /// Load balancers whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Per-address limits count an IPv6 client by its network of this many
    /// bits (64: what one subscriber is given), so rotating addresses
    /// within it buys no fresh buckets.
    pub ipv6_limit_prefix: u8,
    /// The web client served at `/` (the invitation page among its pages).
    pub web: crate::web::WebClient,
    /// Call events and reports older than this are deleted.
    pub analytics_retention_days: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            live_code_ttl: DEFAULT_LIVE_CODE_TTL,
            token_ttl: DEFAULT_TOKEN_TTL,
            rate_limit_factor: 1.0,
            ice: Default::default(),
            grace_period: DEFAULT_GRACE_PERIOD,
            updates_dir: None,
            public_url: None,
            trusted_proxies: Vec::new(),
            web: Default::default(),
            ipv6_limit_prefix: DEFAULT_IPV6_LIMIT_PREFIX,
            analytics_retention_days: DEFAULT_ANALYTICS_RETENTION_DAYS,
        }
    }
}

#[cfg(test)]
mod public_url_tests {
    use super::parse_public_url;

    #[test]
    fn a_public_url_is_an_origin() {
        assert_eq!(
            parse_public_url("https://live.example.org/").expect("an origin"),
            "https://live.example.org"
        );
        assert_eq!(
            parse_public_url("http://127.0.0.1:8787").expect("an origin"),
            "http://127.0.0.1:8787"
        );
        for bad in [
            "live.example.org",
            "https://",
            "https://a/b",
            "https://a?x=1",
            "ftp://a",
            "https://a b",
        ] {
            assert!(parse_public_url(bad).is_err(), "{bad}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A server started with no options behaves as the settings the tests
    /// build from `Settings::default()`, so the two never drift apart.
    #[test]
    fn the_command_lines_defaults_are_the_settings_defaults() {
        let from_flags = CommandLine::parse_from(["mentorlive-server"]).settings();
        let defaults = Settings::default();
        assert_eq!(from_flags.live_code_ttl, defaults.live_code_ttl);
        assert_eq!(from_flags.token_ttl, defaults.token_ttl);
        assert_eq!(from_flags.rate_limit_factor, defaults.rate_limit_factor);
        assert_eq!(from_flags.grace_period, defaults.grace_period);
        assert_eq!(from_flags.ipv6_limit_prefix, defaults.ipv6_limit_prefix);
        assert_eq!(from_flags.trusted_proxies, defaults.trusted_proxies);
        assert_eq!(
            from_flags.analytics_retention_days,
            defaults.analytics_retention_days
        );
        assert_eq!(
            format!("{:?}", from_flags.web),
            format!("{:?}", defaults.web)
        );
    }

    #[test]
    fn options_reach_the_settings() {
        let settings = CommandLine::parse_from([
            "mentorlive-server",
            "--live-code-ttl",
            "60",
            "--grace-period",
            "3",
            "--ipv6-limit-prefix",
            "56",
            "--no-web",
        ])
        .settings();
        assert_eq!(settings.live_code_ttl, Duration::from_secs(60));
        assert_eq!(settings.grace_period, Duration::from_secs(3));
        assert_eq!(settings.ipv6_limit_prefix, 56);
        assert!(matches!(settings.web, WebClient::Off));
    }
}
