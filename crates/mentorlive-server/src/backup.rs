//! Backups of a SQLite database while the server runs, and putting one back.
//!
//! `backup` copies with `VACUUM INTO`: SQLite writes the database as one read
//! transaction sees it, so the copy is consistent to an instant, and in WAL
//! mode that read never blocks the server's writers. The copy is written
//! beside its destination and renamed into place only once SQLite calls it
//! whole (`PRAGMA integrity_check`): a backup cut off half-way leaves no file
//! that looks like one.
//!
//! `restore` refuses while a server has the database open (each server holds
//! a shared advisory lock on the file; restore needs it exclusively), checks
//! the backup first, and keeps the database it replaces beside it: restoring
//! the wrong file loses nothing.
//!
//! PostgreSQL has its own tools for both (`pg_dump`, `pg_restore`; README).

use anyhow::{bail, Context};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection};
use std::fs::{File, TryLockError};
use std::path::{Path, PathBuf};

/// What a database file holds, in a line a person can check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    pub bytes: u64,
    pub users: i64,
    pub sessions: i64,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} users, {} sessions, {} bytes",
            self.users, self.sessions, self.bytes
        )
    }
}

/// The server's hold on its SQLite file for as long as it runs: a shared
/// advisory lock (`flock`), which `restore` needs exclusively.
pub struct InUse {
    _file: File,
}

/// Marks `db` as in use by a server; `None` when it is not a file (memory,
/// PostgreSQL). Several servers may share it; a restore may not.
pub fn hold(db: &Path) -> anyhow::Result<Option<InUse>> {
    let Ok(file) = File::open(db) else {
        return Ok(None);
    };
    match file.try_lock_shared() {
        Ok(()) => Ok(Some(InUse { _file: file })),
        Err(TryLockError::WouldBlock) => {
            bail!(
                "{} is being restored: start the server once that is done",
                db.display()
            )
        }
        Err(TryLockError::Error(err)) => {
            Err(err).with_context(|| format!("locking {}", db.display()))
        }
    }
}

async fn open(path: &Path, read_only: bool) -> anyhow::Result<sqlx::SqliteConnection> {
    SqliteConnectOptions::new()
        .filename(path)
        .read_only(read_only)
        .create_if_missing(false)
        .connect()
        .await
        .with_context(|| format!("opening {} as a SQLite database", path.display()))
}

/// Checks that `path` is a whole mentorlive database, and says what it holds.
pub async fn check(path: &Path) -> anyhow::Result<Summary> {
    let mut conn = open(path, true).await?;
    let verdict: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&mut conn)
        .await
        .with_context(|| format!("{} is not a SQLite database", path.display()))?;
    if verdict != "ok" {
        bail!("{} is damaged: {verdict}", path.display());
    }
    let count = |table: &'static str| format!("SELECT COUNT(*) FROM {table}");
    let users: i64 = sqlx::query_scalar(&count("users"))
        .fetch_one(&mut conn)
        .await
        .with_context(|| format!("{} is not a mentorlive database", path.display()))?;
    let sessions: i64 = sqlx::query_scalar(&count("sessions"))
        .fetch_one(&mut conn)
        .await
        .with_context(|| format!("{} is not a mentorlive database", path.display()))?;
    conn.close().await.ok();
    let bytes = std::fs::metadata(path)?.len();
    Ok(Summary {
        bytes,
        users,
        sessions,
    })
}

fn beside(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(suffix);
    path.with_file_name(name)
}

/// Writes `path` and its folder to disk, so a rename that follows survives a
/// power cut.
fn sync(path: &Path) -> anyhow::Result<()> {
    File::open(path)?.sync_all()?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        File::open(dir)?.sync_all()?;
    }
    Ok(())
}

/// Copies the live database `db` to `out` (which must not exist).
pub async fn backup(db: &Path, out: &Path) -> anyhow::Result<Summary> {
    if !db.is_file() {
        bail!("{} is not a SQLite database file", db.display());
    }
    if out.exists() {
        bail!(
            "{} exists already: name a new file, so that no backup is overwritten",
            out.display()
        );
    }
    let partial = beside(out, ".partial");
    let _ = std::fs::remove_file(&partial);
    let target = partial
        .to_str()
        .context("the backup's path must be valid UTF-8")?
        .to_owned();
    let mut conn = open(db, true).await?;
    let copied = sqlx::query("VACUUM INTO ?")
        .bind(&target)
        .execute(&mut conn)
        .await;
    conn.close().await.ok();
    if let Err(err) = copied {
        let _ = std::fs::remove_file(&partial);
        return Err(err).with_context(|| format!("copying {}", db.display()));
    }
    let summary = match check(&partial).await {
        Ok(summary) => summary,
        Err(err) => {
            let _ = std::fs::remove_file(&partial);
            return Err(err.context("the copy did not check out; nothing was kept"));
        }
    };
    sync(&partial)?;
    std::fs::rename(&partial, out)
        .with_context(|| format!("moving the backup to {}", out.display()))?;
    sync(out)?;
    Ok(summary)
}

/// What a restore did.
#[derive(Debug)]
pub struct Restored {
    pub summary: Summary,
    /// The database that was replaced, kept beside it.
    pub kept: Option<PathBuf>,
}

/// Puts `backup` in place of `db`, which no server may have open.
pub async fn restore(backup_file: &Path, db: &Path) -> anyhow::Result<Restored> {
    let summary = check(backup_file)
        .await
        .context("the backup cannot be restored")?;
    let mut kept = None;
    // Held until the backup is in place.
    let _lock = if db.exists() {
        let file = File::open(db).with_context(|| format!("opening {}", db.display()))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => bail!(
                "a server is using {}: stop it first, then restore",
                db.display()
            ),
            Err(TryLockError::Error(err)) => {
                return Err(err).with_context(|| format!("locking {}", db.display()))
            }
        }
        // Fold the write-ahead log into the file, so the copy kept is whole.
        let mut conn = open(db, false).await?;
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&mut conn)
            .await
            .with_context(|| format!("checkpointing {}", db.display()))?;
        conn.close().await.ok();
        let stamp = time::OffsetDateTime::now_utc().unix_timestamp();
        let aside = beside(db, &format!(".before-restore-{stamp}"));
        std::fs::rename(db, &aside).with_context(|| format!("keeping {} aside", db.display()))?;
        for suffix in ["-wal", "-shm"] {
            let _ = std::fs::remove_file(beside(db, suffix));
        }
        kept = Some(aside);
        Some(file)
    } else {
        None
    };
    let partial = beside(db, ".restoring");
    std::fs::copy(backup_file, &partial)
        .with_context(|| format!("copying {}", backup_file.display()))?;
    sync(&partial)?;
    std::fs::rename(&partial, db)
        .with_context(|| format!("moving the backup to {}", db.display()))?;
    sync(db)?;
    Ok(Restored { summary, kept })
}
