//! Opening the database: SQLite by default (WAL, synchronous commits), or
//! PostgreSQL when the URL says so. Migrations run at start.

use anyhow::Context;
use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Executor};
use std::path::Path;
use std::time::Duration;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Which engine a database URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Turns `--db` into a URL: a `postgres://` or `sqlite:` URL is kept, anything
/// else is a path to a SQLite file (created if missing).
pub fn database_url(db: &str) -> (Backend, String) {
    if db.starts_with("postgres://") || db.starts_with("postgresql://") {
        (Backend::Postgres, db.to_owned())
    } else if db.starts_with("sqlite:") {
        (Backend::Sqlite, db.to_owned())
    } else {
        let mut encoded = String::with_capacity(db.len());
        for c in db.chars() {
            match c {
                '%' => encoded.push_str("%25"),
                '?' => encoded.push_str("%3F"),
                '#' => encoded.push_str("%23"),
                ' ' => encoded.push_str("%20"),
                c => encoded.push(c),
            }
        }
        (Backend::Sqlite, format!("sqlite://{encoded}?mode=rwc"))
    }
}

pub async fn open(db: &str) -> anyhow::Result<AnyPool> {
    sqlx::any::install_default_drivers();
    let (backend, url) = database_url(db);
    if backend == Backend::Sqlite && !db.starts_with("sqlite:") {
        if let Some(parent) = Path::new(db).parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating the database folder {}", parent.display()))?;
        }
    }
    let mut options = AnyPoolOptions::new()
        .max_connections(if backend == Backend::Sqlite { 8 } else { 16 })
        .acquire_timeout(Duration::from_secs(10));
    if backend == Backend::Sqlite {
        options = options.after_connect(|conn, _meta| {
            Box::pin(async move {
                // WAL lets readers run beside the writer; FULL makes every
                // commit durable before it is acknowledged (a kill -9 or a power
                // cut loses no code the server has handed out).
                conn.execute(
                    "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                     PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON;",
                )
                .await?;
                Ok(())
            })
        });
    }
    let pool = options
        .connect(&url)
        .await
        .with_context(|| format!("opening the database {}", redact_url(&url)))?;
    MIGRATOR
        .run(&pool)
        .await
        .context("running database migrations")?;
    Ok(pool)
}

/// Drops a password from a database URL before it is shown anywhere: the
/// user info (`user:password@`) and any query parameter that names one
/// (`?password=`, `sslpassword=`, a `secret` or a `token`).
pub fn redact_url(url: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let base = match (base.find("://"), base.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            format!("{}://<redacted>@{}", &base[..scheme_end], &base[at + 1..])
        }
        _ => base.to_owned(),
    };
    let Some(query) = query else {
        return base;
    };
    let query: Vec<String> = query
        .split('&')
        .map(|pair| {
            let name = pair.split('=').next().unwrap_or_default();
            let lower = name.to_ascii_lowercase();
            let secret = ["pass", "secret", "token", "key"]
                .iter()
                .any(|word| lower.contains(word));
            if secret && pair.contains('=') {
                format!("{name}=<redacted>")
            } else {
                pair.to_owned()
            }
        })
        .collect();
    format!("{base}?{}", query.join("&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_become_sqlite_urls_and_urls_stay() {
        assert_eq!(
            database_url("/tmp/a b.db"),
            (Backend::Sqlite, "sqlite:///tmp/a%20b.db?mode=rwc".into())
        );
        assert_eq!(database_url("postgres://u:p@h/db").0, Backend::Postgres);
        assert_eq!(database_url("sqlite::memory:").0, Backend::Sqlite);
    }

    #[test]
    fn passwords_never_reach_a_message() {
        assert_eq!(
            redact_url("postgres://u:secret@h:5432/db"),
            "postgres://<redacted>@h:5432/db"
        );
        assert_eq!(redact_url("sqlite:///tmp/x.db"), "sqlite:///tmp/x.db");
        assert_eq!(
            redact_url("postgres://h/db?user=u&password=hunter2&sslmode=require&sslpassword=k"),
            "postgres://h/db?user=u&password=<redacted>&sslmode=require&sslpassword=<redacted>"
        );
        assert_eq!(
            redact_url("sqlite:///tmp/x.db?mode=rwc"),
            "sqlite:///tmp/x.db?mode=rwc"
        );
    }
}
