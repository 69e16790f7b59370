//! `mentorlive-server`: the reference sessions server.

use anyhow::Context;
use clap::Parser;
use mentorlive_server::signaling::ice::IceConfig;
use mentorlive_server::state::{AppState, Settings};
use mentorlive_server::store::Store;
use mentorlive_server::web::WebClient;
use std::io::Write;
use std::net::SocketAddr;
use std::time::Duration;

#[derive(Parser, Debug)]
#[command(
    name = "mentorlive-server",
    version,
    about = "The mentorlive reference sessions server"
)]
struct Args {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:8787", env = "MENTORLIVE_ADDR")]
    addr: SocketAddr,
    /// SQLite file path, or a postgres:// URL. Defaults to a file in the
    /// user's data directory.
    #[arg(long, env = "DATABASE_URL")]
    db: Option<String>,
    /// How long a live session code stays valid, in seconds.
    #[arg(long, default_value_t = 3600, value_parser = clap::value_parser!(u64).range(1..=7 * 24 * 3600))]
    live_code_ttl: u64,
    /// Create the demo mentor, learner and an upcoming session (idempotent).
    #[arg(long)]
    seed_demo: bool,
    /// Multiplies every rate limit (0 turns them off: for load tests only).
    #[arg(long, default_value_t = 1.0)]
    rate_limit_factor: f64,
    /// A STUN server URL for clients (repeatable), e.g. stun:stun.example.org:3478.
    #[arg(long = "stun")]
    stun_urls: Vec<String>,
    /// A TURN server URL for clients (repeatable); needs --turn-secret.
    #[arg(long = "turn", requires = "turn_secret")]
    turn_urls: Vec<String>,
    /// The secret shared with the TURN server (coturn's static-auth-secret).
    #[arg(long, env = "MENTORLIVE_TURN_SECRET", hide_env_values = true)]
    turn_secret: Option<String>,
    /// How long TURN credentials stay valid, in seconds.
    #[arg(long, default_value_t = 12 * 3600)]
    turn_credential_ttl: u64,
    /// How long a peer whose connection dropped keeps its place, in seconds.
    #[arg(long, default_value_t = 15)]
    grace_period: u64,
    /// A folder of signed app updates to serve: `manifest.json` (Tauri's
    /// static format) and the bundles it names.
    #[arg(long, env = "MENTORLIVE_UPDATES_DIR")]
    updates_dir: Option<std::path::PathBuf>,
    /// Redis, for running as one of several nodes: rate limits and live
    /// rooms are then shared, and signaling reaches sockets on other nodes.
    /// Use with a postgres:// database that every node shares.
    #[arg(long, env = "MENTORLIVE_REDIS_URL")]
    redis: Option<String>,
    /// Prefix of every Redis key and channel (several deployments on one Redis).
    #[arg(long, default_value = "mentorlive", requires = "redis")]
    redis_prefix: String,
    /// This node's name in its start-up log line (which node is which).
    #[arg(long)]
    node_id: Option<String>,
    /// A load balancer's address (repeatable): from it, the client address
    /// for per-address limits is the last entry of X-Forwarded-For.
    #[arg(long = "trusted-proxy")]
    trusted_proxies: Vec<std::net::IpAddr>,
    /// Per-address rate limits count an IPv6 client by its network of this
    /// many bits: one subscriber gets a whole /64 (or /56, /48) to rotate in.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u8).range(16..=128))]
    ipv6_limit_prefix: u8,
    /// Serve the web client from this folder (a `ui` build made with
    /// `--mode web`) instead of the one built into the server.
    #[arg(long, env = "MENTORLIVE_WEB_DIR", conflicts_with = "no_web")]
    web_dir: Option<std::path::PathBuf>,
    /// Serve no web client: the API and signaling only.
    #[arg(long)]
    no_web: bool,
}

fn default_db() -> anyhow::Result<String> {
    let dirs = directories::ProjectDirs::from("org", "mentorlive", "mentorlive")
        .context("no home directory to keep the database in; pass --db")?;
    Ok(dirs
        .data_dir()
        .join("sessions.db")
        .to_string_lossy()
        .into_owned())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut sig) => {
                sig.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutting down: finishing requests in flight");
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "mentorlive_server=info,tower_http=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    let db = match args.db {
        Some(db) => db,
        None => default_db()?,
    };
    let pool = mentorlive_server::db::open(&db).await?;
    if let Some(dir) = &args.updates_dir {
        // A broken manifest is refused at start, where the operator sees it.
        match mentorlive_server::routes::updates::read_manifest(dir)? {
            Some(m) => {
                tracing::info!(version = %m.version, platforms = m.platforms.len(), "serving app updates")
            }
            None => tracing::info!(dir = %dir.display(), "no update manifest yet"),
        }
    }
    let settings = Settings {
        live_code_ttl: Duration::from_secs(args.live_code_ttl),
        rate_limit_factor: args.rate_limit_factor,
        ice: IceConfig {
            stun_urls: args.stun_urls,
            turn_urls: args.turn_urls,
            turn_secret: args.turn_secret,
            turn_credential_ttl: Duration::from_secs(args.turn_credential_ttl),
        },
        grace_period: Duration::from_secs(args.grace_period),
        updates_dir: args.updates_dir,
        trusted_proxies: args.trusted_proxies,
        ipv6_limit_prefix: args.ipv6_limit_prefix,
        web: match (args.no_web, args.web_dir) {
            (true, _) => WebClient::Off,
            (false, Some(dir)) => WebClient::Dir(dir),
            (false, None) => WebClient::Embedded,
        },
        ..Settings::default()
    };
    tracing::info!(web_client = %mentorlive_server::web::describe(&settings.web), "web client");
    let mut state = AppState::new(Store::new(pool), settings);
    if let Some(redis) = &args.redis {
        if mentorlive_server::db::database_url(&db).0 != mentorlive_server::db::Backend::Postgres {
            tracing::warn!("--redis with a SQLite database: other nodes cannot share this file");
        }
        let node_id = args
            .node_id
            .clone()
            .unwrap_or_else(|| format!("node-{}", std::process::id()));
        let cluster =
            mentorlive_server::cluster::Cluster::connect(redis, &args.redis_prefix).await?;
        tracing::info!(node_id, prefix = %args.redis_prefix, "sharing limits and rooms through Redis");
        state = state.with_cluster(cluster);
    }
    if args.seed_demo {
        mentorlive_server::seed::seed_demo(&state).await?;
    }
    let listener = tokio::net::TcpListener::bind(args.addr)
        .await
        .with_context(|| format!("listening on {}", args.addr))?;
    let local = listener.local_addr()?;
    tracing::info!(db = %mentorlive_server::db::redact_url(&db), "database ready");
    // Tests and scripts wait for this exact line.
    let mut stdout = std::io::stdout();
    writeln!(stdout, "listening on http://{local}")?;
    stdout.flush()?;
    mentorlive_server::serve(listener, state, shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(())
}
