//! Every query the server runs, in SQL that SQLite and PostgreSQL both accept
//! (`$n` parameters, BIGINT Unix seconds, TEXT ids).

use mentorlive_protocol::{Participant, Role, Session, SessionStatus, User};
use sqlx::{AnyPool, Row};
use time::OffsetDateTime;

#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
}

/// A user row with its password hash, for sign-in only.
pub struct UserWithHash {
    pub user: User,
    pub password_hash: String,
}

/// A session row joined with both participants' names.
#[derive(Debug, Clone)]
pub struct SessionRow {
    pub id: String,
    pub title: String,
    pub mentor: Participant,
    pub learner: Participant,
    pub scheduled_at: i64,
    pub duration_minutes: i64,
    /// As stored: `upcoming`, `completed` or `cancelled`. `live` is derived.
    pub status: SessionStatus,
    pub live_code: Option<StoredLiveCode>,
}

#[derive(Debug, Clone)]
pub struct StoredLiveCode {
    pub code: String,
    pub created_at: i64,
    pub expires_at: i64,
}

impl StoredLiveCode {
    pub fn is_valid_at(&self, now: i64) -> bool {
        now < self.expires_at
    }
}

/// What a conditional code write did.
pub enum SetCodeOutcome {
    /// The new code is on the row.
    Set,
    /// The row already had a code that is still valid (another request won).
    AlreadyHasValidCode,
    /// Another session holds this code: draw again.
    CodeTaken,
}

pub fn ts(secs: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(secs).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

impl SessionRow {
    pub fn is_participant(&self, user_id: &str) -> bool {
        self.mentor.id == user_id || self.learner.id == user_id
    }

    pub fn valid_code(&self, now: i64) -> Option<&StoredLiveCode> {
        self.live_code.as_ref().filter(|c| c.is_valid_at(now))
    }

    /// The session as the contract shows it at `now`: an upcoming session with
    /// a valid code is `live`, and an expired code is not shown at all.
    pub fn to_session(&self, now: i64) -> Session {
        let code = self.valid_code(now);
        let status = match (self.status, code) {
            (SessionStatus::Upcoming, Some(_)) => SessionStatus::Live,
            (status, _) => status,
        };
        Session {
            id: self.id.clone(),
            title: self.title.clone(),
            mentor: self.mentor.clone(),
            learner: self.learner.clone(),
            scheduled_at: ts(self.scheduled_at),
            duration_minutes: u32::try_from(self.duration_minutes).unwrap_or(0),
            status,
            live_session_code: code.map(|c| c.code.clone()),
            live_session_created_at: code.map(|c| ts(c.created_at)),
            live_session_expires_at: code.map(|c| ts(c.expires_at)),
        }
    }
}

const SESSION_SELECT: &str = "SELECT s.id, s.title, s.mentor_id, m.name AS mentor_name, \
     s.learner_id, l.name AS learner_name, s.scheduled_at, s.duration_minutes, s.status, \
     s.live_session_code, s.live_session_created_at, s.live_session_expires_at \
     FROM sessions s JOIN users m ON m.id = s.mentor_id JOIN users l ON l.id = s.learner_id";

fn session_from_row(row: &sqlx::any::AnyRow) -> Result<SessionRow, sqlx::Error> {
    let status: String = row.try_get("status")?;
    let code: Option<String> = row.try_get("live_session_code")?;
    let created: Option<i64> = row.try_get("live_session_created_at")?;
    let expires: Option<i64> = row.try_get("live_session_expires_at")?;
    Ok(SessionRow {
        id: row.try_get("id")?,
        title: row.try_get("title")?,
        mentor: Participant {
            id: row.try_get("mentor_id")?,
            name: row.try_get("mentor_name")?,
        },
        learner: Participant {
            id: row.try_get("learner_id")?,
            name: row.try_get("learner_name")?,
        },
        scheduled_at: row.try_get("scheduled_at")?,
        duration_minutes: row.try_get("duration_minutes")?,
        status: SessionStatus::parse(&status).ok_or_else(|| {
            sqlx::Error::Decode(format!("unknown session status {status:?}").into())
        })?,
        live_code: match (code, created, expires) {
            (Some(code), Some(created_at), Some(expires_at)) => Some(StoredLiveCode {
                code,
                created_at,
                expires_at,
            }),
            _ => None,
        },
    })
}

fn user_from_row(row: &sqlx::any::AnyRow) -> Result<User, sqlx::Error> {
    let role: String = row.try_get("role")?;
    Ok(User {
        id: row.try_get("id")?,
        email: row.try_get("email")?,
        name: row.try_get("name")?,
        role: Role::parse(&role)
            .ok_or_else(|| sqlx::Error::Decode(format!("unknown role {role:?}").into()))?,
    })
}

fn is_unique_violation(err: &sqlx::Error) -> bool {
    matches!(err, sqlx::Error::Database(db) if db.is_unique_violation())
}

impl Store {
    /// Whether the database answers.
    pub async fn ping(&self) -> bool {
        sqlx::query("SELECT 1").execute(&self.pool).await.is_ok()
    }

    pub fn new(pool: AnyPool) -> Self {
        Store { pool }
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Inserts a user; `Ok(None)` when the email is taken.
    pub async fn create_user(
        &self,
        user: &User,
        password_hash: &str,
        now: i64,
    ) -> Result<Option<()>, sqlx::Error> {
        let result = sqlx::query(
            "INSERT INTO users (id, email, name, role, password_hash, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&user.id)
        .bind(&user.email)
        .bind(&user.name)
        .bind(user.role.as_str())
        .bind(password_hash)
        .bind(now)
        .execute(&self.pool)
        .await;
        match result {
            Ok(_) => Ok(Some(())),
            Err(err) if is_unique_violation(&err) => Ok(None),
            Err(err) => Err(err),
        }
    }

    pub async fn user_by_email(&self, email: &str) -> Result<Option<UserWithHash>, sqlx::Error> {
        if has_nul(&[email]) {
            return Ok(None);
        }
        let row =
            sqlx::query("SELECT id, email, name, role, password_hash FROM users WHERE email = $1")
                .bind(email)
                .fetch_optional(&self.pool)
                .await?;
        row.map(|row| {
            Ok(UserWithHash {
                user: user_from_row(&row)?,
                password_hash: row.try_get("password_hash")?,
            })
        })
        .transpose()
    }

    pub async fn user_by_id(&self, id: &str) -> Result<Option<User>, sqlx::Error> {
        if has_nul(&[id]) {
            return Ok(None);
        }
        let row = sqlx::query("SELECT id, email, name, role FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    pub async fn insert_token(
        &self,
        token_hash: &str,
        user_id: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO auth_tokens (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(token_hash)
        .bind(user_id)
        .bind(now)
        .bind(expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn user_by_token(
        &self,
        token_hash: &str,
        now: i64,
    ) -> Result<Option<User>, sqlx::Error> {
        let row = sqlx::query(
            "SELECT u.id, u.email, u.name, u.role FROM auth_tokens t JOIN users u ON u.id = t.user_id \
             WHERE t.token_hash = $1 AND t.expires_at > $2",
        )
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    pub async fn delete_token(&self, token_hash: &str) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM auth_tokens WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn delete_expired_tokens(&self, now: i64) -> Result<u64, sqlx::Error> {
        let done = sqlx::query("DELETE FROM auth_tokens WHERE expires_at <= $1")
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn create_session(
        &self,
        id: &str,
        title: &str,
        mentor_id: &str,
        learner_id: &str,
        scheduled_at: i64,
        duration_minutes: i64,
        now: i64,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO sessions (id, title, mentor_id, learner_id, scheduled_at, duration_minutes, status, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, 'upcoming', $7)",
        )
        .bind(id)
        .bind(title)
        .bind(mentor_id)
        .bind(learner_id)
        .bind(scheduled_at)
        .bind(duration_minutes)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn session_by_id(&self, id: &str) -> Result<Option<SessionRow>, sqlx::Error> {
        if has_nul(&[id]) {
            return Ok(None);
        }
        let row = sqlx::query(&format!("{SESSION_SELECT} WHERE s.id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(session_from_row).transpose()
    }

    pub async fn session_by_code(&self, code: &str) -> Result<Option<SessionRow>, sqlx::Error> {
        if has_nul(&[code]) {
            return Ok(None);
        }
        let row = sqlx::query(&format!("{SESSION_SELECT} WHERE s.live_session_code = $1"))
            .bind(code)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(session_from_row).transpose()
    }

    /// The user's sessions as mentor or learner, soonest first.
    /// The user's sessions in `(scheduled_at, id)` order after `after`, at
    /// most `limit`.
    pub async fn sessions_for_user(
        &self,
        user_id: &str,
        after: Option<(i64, &str)>,
        limit: u32,
    ) -> Result<Vec<SessionRow>, sqlx::Error> {
        let (after_at, after_id) = after.unwrap_or((i64::MIN, ""));
        if has_nul(&[user_id, after_id]) {
            return Ok(Vec::new());
        }
        let rows = sqlx::query(&format!(
            "{SESSION_SELECT} WHERE (s.mentor_id = $1 OR s.learner_id = $1) \
             AND (s.scheduled_at > $2 OR (s.scheduled_at = $2 AND s.id > $3)) \
             ORDER BY s.scheduled_at, s.id LIMIT $4"
        ))
        .bind(user_id)
        .bind(after_at)
        .bind(after_id)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(session_from_row).collect()
    }

    /// Puts `code` on the session unless it already holds a code valid at
    /// `now`. The condition and the unique index decide races, so concurrent
    /// requests (and concurrent server nodes) agree without any lock here.
    pub async fn set_live_code(
        &self,
        session_id: &str,
        code: &StoredLiveCode,
        now: i64,
    ) -> Result<SetCodeOutcome, sqlx::Error> {
        let result = sqlx::query(
            "UPDATE sessions SET live_session_code = $1, live_session_created_at = $2, live_session_expires_at = $3 \
             WHERE id = $4 AND (live_session_code IS NULL OR live_session_expires_at <= $5)",
        )
        .bind(&code.code)
        .bind(code.created_at)
        .bind(code.expires_at)
        .bind(session_id)
        .bind(now)
        .execute(&self.pool)
        .await;
        match result {
            Ok(done) if done.rows_affected() == 1 => Ok(SetCodeOutcome::Set),
            Ok(_) => Ok(SetCodeOutcome::AlreadyHasValidCode),
            Err(err) if is_unique_violation(&err) => Ok(SetCodeOutcome::CodeTaken),
            Err(err) => Err(err),
        }
    }

    /// Demo seeding: the first upcoming session between two users, if any.
    pub async fn upcoming_session_between(
        &self,
        mentor_id: &str,
        learner_id: &str,
    ) -> Result<Option<String>, sqlx::Error> {
        if has_nul(&[mentor_id, learner_id]) {
            return Ok(None);
        }
        let row = sqlx::query(
            "SELECT id FROM sessions WHERE mentor_id = $1 AND learner_id = $2 AND status = 'upcoming' LIMIT 1",
        )
        .bind(mentor_id)
        .bind(learner_id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| r.try_get("id")).transpose()
    }
}

/// Nothing stored has a NUL in it (PostgreSQL cannot even compare one in
/// text), so a lookup by such a key finds nothing, without asking.
fn has_nul(keys: &[&str]) -> bool {
    keys.iter().any(|key| key.contains('\0'))
}
