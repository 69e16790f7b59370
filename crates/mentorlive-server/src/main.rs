//! `mentorlive-server`: the reference sessions server.

use anyhow::Context;
use clap::Parser;
use mentorlive_server::config::CommandLine;
use mentorlive_server::state::AppState;
use mentorlive_server::store::Store;
use std::io::Write;

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

/// `backup` and `restore`: one line of outcome on stdout, errors on stderr.
async fn run_tool(tool: &mentorlive_server::config::Tool) -> anyhow::Result<()> {
    use mentorlive_server::backup;
    use mentorlive_server::config::Tool;
    match tool {
        Tool::Backup { db, out } => {
            let summary = backup::backup(db, out).await?;
            println!(
                "backed up {} to {} ({summary})",
                db.display(),
                out.display()
            );
        }
        Tool::Restore { backup: file, db } => {
            let restored = backup::restore(file, db).await?;
            println!(
                "restored {} to {} ({})",
                file.display(),
                db.display(),
                restored.summary
            );
            if let Some(kept) = restored.kept {
                println!("the database it replaced is kept as {}", kept.display());
            }
        }
    }
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "mentorlive_server=info,tower_http=warn".into()),
        )
        .with_writer(std::io::stderr)
        .finish()
        // Frames, headers and Redis commands carry tokens and credentials.
        .with(tracing_subscriber::filter::filter_fn(|meta| {
            !(mentorlive_protocol::logging::prints_payloads(meta.target())
                && *meta.level() > tracing::Level::INFO)
        }))
        .init();
    let args = CommandLine::parse();
    if let Some(tool) = &args.tool {
        return run_tool(tool).await;
    }
    let db = match &args.db {
        Some(db) => db.clone(),
        None => default_db()?,
    };
    let pool = mentorlive_server::db::open(&db).await?;
    // Held while serving: a restore refuses while a server has the file.
    let _in_use = match mentorlive_server::db::database_url(&db).0 {
        mentorlive_server::db::Backend::Sqlite => {
            mentorlive_server::backup::hold(std::path::Path::new(&db))?
        }
        mentorlive_server::db::Backend::Postgres => None,
    };
    if let Some(dir) = &args.updates_dir {
        // A broken manifest is refused at start, where the operator sees it.
        match mentorlive_server::routes::updates::read_manifest(dir)? {
            Some(m) => {
                tracing::info!(version = %m.version, platforms = m.platforms.len(), "serving app updates")
            }
            None => tracing::info!(dir = %dir.display(), "no update manifest yet"),
        }
    }
    let listener = tokio::net::TcpListener::bind(args.addr)
        .await
        .with_context(|| format!("listening on {}", args.addr))?;
    let mut settings = args.settings();
    if settings.public_url.is_none() && !listener.local_addr()?.ip().is_unspecified() {
        settings.public_url = Some(format!("http://{}", listener.local_addr()?));
        if args.updates_dir.is_some() {
            // Release apps take updates over https only.
            tracing::warn!(url = ?settings.public_url, "update bundles are offered at the listening address over http; behind https, set --public-url");
        }
    }
    if args.updates_dir.is_some() && settings.public_url.is_none() {
        tracing::warn!("--updates-dir without --public-url: bundles in the folder are not offered (listening on every address, so no address is known to be reachable)");
    }
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
    if let Some(addr) = args.metrics_addr {
        mentorlive_server::metrics::serve(addr)
            .await
            .with_context(|| format!("serving metrics on {addr}"))?;
    }
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
