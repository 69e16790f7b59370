//! Live codes as a domain rule, shared by REST (`validate-live-code`) and
//! signaling (`live:join`): the checks every use of a code makes, in order —
//! form, existence, participation, expiry — so a stranger never learns
//! whether a code has expired. Free of HTTP: each caller turns a refusal
//! into its own answer (a status and body, or an ack).

use crate::store::{ts, SessionRow, Store, StoredLiveCode};
use mentorlive_protocol::{ErrorCode, ErrorDetail, LiveCode};
use time::macros::format_description;

/// Why a code cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum CodeRefusal {
    #[error("{0}")]
    Malformed(String),
    #[error("There is no live session with this code. Check it with your partner.")]
    Unknown,
    #[error("Only the mentor and the learner of this session may join it.")]
    NotParticipant,
    #[error("This live session code expired at {0}. Ask your partner for a new one.")]
    Expired(String),
    #[error(transparent)]
    Store(#[from] sqlx::Error),
}

impl CodeRefusal {
    /// The contract's code (`internal` for a store failure).
    pub fn code(&self) -> ErrorCode {
        match self {
            CodeRefusal::Malformed(_) => ErrorCode::MalformedCode,
            CodeRefusal::Unknown => ErrorCode::UnknownCode,
            CodeRefusal::NotParticipant => ErrorCode::NotParticipant,
            CodeRefusal::Expired(_) => ErrorCode::ExpiredCode,
            CodeRefusal::Store(_) => ErrorCode::Internal,
        }
    }

    /// The refusal as the contract's `{code, message}`; a store failure is
    /// logged here and told as "try again", never with its details.
    pub fn detail(&self) -> ErrorDetail {
        let message = match self {
            CodeRefusal::Store(err) => {
                tracing::error!(%err, "the store failed while resolving a live code");
                "Something went wrong on the server. Try again.".to_owned()
            }
            other => other.to_string(),
        };
        ErrorDetail {
            code: self.code(),
            message,
        }
    }
}

/// The session and code behind `input` for `user_id` at `now` (Unix seconds).
pub async fn resolve(
    store: &Store,
    user_id: &str,
    input: &str,
    now: i64,
) -> Result<(SessionRow, StoredLiveCode), CodeRefusal> {
    let code = LiveCode::parse(input).map_err(|err| CodeRefusal::Malformed(err.to_string()))?;
    let row = store
        .session_by_code(code.as_str())
        .await?
        .ok_or(CodeRefusal::Unknown)?;
    if !row.is_participant(user_id) {
        return Err(CodeRefusal::NotParticipant);
    }
    let stored = row.live_code.clone().ok_or(CodeRefusal::Unknown)?;
    if !stored.is_valid_at(now) {
        let at = ts(stored.expires_at)
            .format(format_description!(
                "[hour]:[minute] UTC on [year]-[month]-[day]"
            ))
            .unwrap_or_default();
        return Err(CodeRefusal::Expired(at));
    }
    Ok((row, stored))
}
