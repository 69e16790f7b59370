//! Logs to a daily rolling file in the data folder. Nothing secret is logged
//! (tokens and codes never enter a log call); the filter keeps third-party
//! crates at warnings.

use std::path::Path;
use tracing_appender::non_blocking::WorkerGuard;

pub fn init(dir: &Path) -> Option<WorkerGuard> {
    std::fs::create_dir_all(dir).ok()?;
    let appender = tracing_appender::rolling::Builder::new()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix("mentorlive")
        .filename_suffix("log")
        .max_log_files(7)
        .build(dir)
        .ok()?;
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let filter =
        tracing_subscriber::EnvFilter::try_from_env("MENTORLIVE_LOG").unwrap_or_else(|_| {
            "warn,mentorlive=info,mentorlive_app=info,mentorlive_client=info".into()
        });
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(writer)
        .finish()
        // Frames, headers and SDP carry tokens and credentials.
        .with(tracing_subscriber::filter::filter_fn(|meta| {
            !(mentorlive_protocol::logging::prints_payloads(meta.target())
                && *meta.level() > tracing::Level::INFO)
        }))
        .init();
    Some(guard)
}
