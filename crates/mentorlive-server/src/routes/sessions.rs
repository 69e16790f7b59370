//! `/api/sessions*`: the caller's sessions and their live codes.

use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::extract::ClientAddress;
use crate::extract::{ApiJson, ApiPath};
use crate::live_codes;
use crate::rate_limit::Limit;
use crate::state::AppState;
use crate::store::{ts, SessionRow, SetCodeOutcome, StoredLiveCode};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::Json;
use mentorlive_protocol::{
    CreateSessionRequest, ErrorBody, ErrorCode, GenerateLiveCodeRequest, LiveCode, LiveCodeInfo,
    Role, Session, SessionList, SessionStatus, ValidateLiveCodeResponse,
};

/// How many fresh codes to draw before giving up on a unique one. With 31^8
/// codes a second collision in a row is already vanishingly rare.
const CODE_ATTEMPTS: usize = 8;

/// `GET /api/sessions`'s query: a page after `cursor`, of `limit` sessions.
#[derive(Debug, serde::Deserialize)]
pub struct SessionPage {
    cursor: Option<String>,
    limit: Option<u32>,
}

/// A page's end as the next request gives it back: the last session's
/// time and id (both shown in the page already), so any text of this shape
/// is a place in the list and nothing else is.
fn cursor_of(row: &SessionRow) -> String {
    format!("{}.{}", row.scheduled_at, row.id)
}

fn parse_cursor(cursor: &str) -> Option<(i64, &str)> {
    let (at, id) = cursor.split_once('.')?;
    let id_ok =
        (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    let at_ok = (1..=18).contains(&at.trim_start_matches('-').len());
    (id_ok && at_ok).then_some(())?;
    Some((at.parse().ok()?, id))
}

#[utoipa::path(get, path = "/api/sessions", tag = "sessions", security(("bearer" = [])),
    params(
        ("cursor" = Option<String>, Query, pattern = r"^-?[0-9]{1,18}\.[A-Za-z0-9-]{1,64}$",
            description = "The last page's `nextCursor`"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 200,
            description = "Sessions a page (default 100)"),
    ),
    responses(
        (status = 200, body = SessionList, description = "The caller's sessions, soonest first, a page at a time"),
        (status = 400, body = ErrorBody, description = "invalid_input: a cursor or limit that is not one"),
        (status = 401, body = ErrorBody, description = "unauthorized"),
    ))]
pub async fn list(
    State(state): State<AppState>,
    auth: AuthUser,
    page: Result<Query<SessionPage>, QueryRejection>,
) -> ApiResult<Json<SessionList>> {
    let Query(page) = page.map_err(|_| {
        ApiError::invalid_input("cursor is a nextCursor given before; limit is 1 to 200.")
    })?;
    let limit = page.limit.unwrap_or(mentorlive_protocol::SESSION_PAGE);
    if !(1..=mentorlive_protocol::SESSION_PAGE_MAX).contains(&limit) {
        return Err(ApiError::invalid_input("limit must be from 1 to 200."));
    }
    let after = match page.cursor.as_deref() {
        Some(cursor) => Some(parse_cursor(cursor).ok_or_else(|| {
            ApiError::invalid_input("cursor is not a nextCursor this server gave.")
        })?),
        None => None,
    };
    let now = crate::now();
    // One more than asked: whether there is a next page.
    let mut rows = state
        .store
        .sessions_for_user(&auth.user.id, after, limit + 1)
        .await?;
    let more = rows.len() > limit as usize;
    rows.truncate(limit as usize);
    Ok(Json(SessionList {
        sessions: rows.iter().map(|row| row.to_session(now)).collect(),
        next_cursor: more.then(|| rows.last().map(cursor_of)).flatten(),
    }))
}

/// Loads a session the caller takes part in: 404 if none, 403 if not theirs.
pub(crate) async fn participant_session(
    state: &AppState,
    user_id: &str,
    id: &str,
    what: &str,
) -> ApiResult<SessionRow> {
    let row = state
        .store
        .session_by_id(id)
        .await?
        .ok_or_else(|| ApiError::not_found("There is no session with this id."))?;
    if !row.is_participant(user_id) {
        return Err(ApiError::not_participant(what));
    }
    Ok(row)
}

#[utoipa::path(get, path = "/api/sessions/{id}", tag = "sessions", security(("bearer" = [])),
    params(("id" = String, Path, description = "Session id")),
    responses(
        (status = 200, body = Session, description = "The session"),
        (status = 401, body = ErrorBody, description = "unauthorized"),
        (status = 403, body = ErrorBody, description = "not_participant"),
        (status = 404, body = ErrorBody, description = "not_found"),
    ))]
pub async fn get(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<Session>> {
    let row = participant_session(&state, &auth.user.id, &id, "see it").await?;
    Ok(Json(row.to_session(crate::now())))
}

#[utoipa::path(post, path = "/api/sessions", tag = "sessions", security(("bearer" = [])),
    request_body = CreateSessionRequest,
    responses(
        (status = 201, body = Session, description = "The new session"),
        (status = 400, body = ErrorBody, description = "invalid_input"),
        (status = 401, body = ErrorBody, description = "unauthorized"),
        (status = 403, body = ErrorBody, description = "not_participant: the caller is neither the mentor nor the learner"),
        (status = 429, body = ErrorBody, description = "rate_limited"),
    ))]
pub async fn create(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiJson(body): ApiJson<CreateSessionRequest>,
) -> ApiResult<(StatusCode, Json<Session>)> {
    state
        .rate_limit(&[(Limit::CreateSessionPerUser, &auth.user.id)])
        .await?;
    let title = body.title.trim();
    if title.is_empty() || title.chars().count() > 200 {
        return Err(ApiError::invalid_input(
            "Give the session a title of 1 to 200 characters.",
        ));
    }
    if title.chars().any(mentorlive_protocol::text::is_unsafe_char) {
        return Err(ApiError::invalid_input(
            "A title may not hold control or text-direction characters.",
        ));
    }
    if !(1..=24 * 60).contains(&body.duration_minutes) {
        return Err(ApiError::invalid_input(
            "durationMinutes must be between 1 and 1440.",
        ));
    }
    let scheduled_at = body.scheduled_at.unix_timestamp();
    // Any instant RFC 3339 can write (years 0000 to 9999), as the OpenAPI
    // document's `date-time` promises; stored as signed Unix seconds.
    if !(-62_167_219_200..=253_402_300_799).contains(&scheduled_at) {
        return Err(ApiError::invalid_input(
            "scheduledAt must be between the years 0000 and 9999.",
        ));
    }
    // Whose session it is comes first: someone else's ids are refused as
    // such, whatever else is wrong with them.
    if auth.user.id != body.mentor_id && auth.user.id != body.learner_id {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::NotParticipant,
            "You can only schedule sessions you take part in.",
        ));
    }
    if body.mentor_id == body.learner_id {
        return Err(ApiError::invalid_input(
            "The mentor and the learner must be two different people.",
        ));
    }
    for (id, role, field) in [
        (&body.mentor_id, Role::Mentor, "mentorId"),
        (&body.learner_id, Role::Learner, "learnerId"),
    ] {
        match state.store.user_by_id(id).await? {
            Some(user) if user.role == role => {}
            Some(_) => {
                return Err(ApiError::invalid_input(format!(
                    "{field} must be a {}.",
                    role.as_str()
                )))
            }
            None => {
                return Err(ApiError::invalid_input(format!(
                    "{field} is not a known user."
                )))
            }
        }
    }
    let id = uuid::Uuid::new_v4().to_string();
    let now = crate::now();
    state
        .store
        .create_session(
            &id,
            title,
            &body.mentor_id,
            &body.learner_id,
            scheduled_at,
            body.duration_minutes.into(),
            now,
        )
        .await?;
    let row = state
        .store
        .session_by_id(&id)
        .await?
        .ok_or_else(ApiError::internal)?;
    tracing::info!(session_id = %id, "session created");
    Ok((StatusCode::CREATED, Json(row.to_session(now))))
}

fn live_code_info(session_id: &str, code: &StoredLiveCode) -> LiveCodeInfo {
    LiveCodeInfo {
        code: code.code.clone(),
        session_id: session_id.to_owned(),
        created_at: ts(code.created_at),
        expires_at: ts(code.expires_at),
    }
}

#[utoipa::path(post, path = "/api/sessions/generate-live-code", tag = "live codes", security(("bearer" = [])),
    request_body = GenerateLiveCodeRequest,
    responses(
        (status = 201, body = LiveCodeInfo, description = "A new code"),
        (status = 200, body = LiveCodeInfo, description = "The session's code that is still valid"),
        (status = 400, body = ErrorBody, description = "invalid_input"),
        (status = 401, body = ErrorBody, description = "unauthorized"),
        (status = 403, body = ErrorBody, description = "not_participant"),
        (status = 404, body = ErrorBody, description = "not_found"),
        (status = 409, body = ErrorBody, description = "session_not_active"),
        (status = 429, body = ErrorBody, description = "rate_limited"),
    ))]
pub async fn generate_live_code(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    auth: AuthUser,
    ApiJson(body): ApiJson<GenerateLiveCodeRequest>,
) -> ApiResult<(StatusCode, Json<LiveCodeInfo>)> {
    state
        .rate_limit(&[
            (Limit::GeneratePerUser, &auth.user.id),
            (Limit::GeneratePerAddress, &address),
        ])
        .await?;
    let row = participant_session(
        &state,
        &auth.user.id,
        &body.session_id,
        "start its live session",
    )
    .await?;
    if matches!(
        row.status,
        SessionStatus::Completed | SessionStatus::Cancelled
    ) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            ErrorCode::SessionNotActive,
            format!(
                "This session is {}, so it cannot go live.",
                row.status.as_str()
            ),
        ));
    }
    let now = crate::now();
    if let Some(code) = row.valid_code(now) {
        return Ok((StatusCode::OK, Json(live_code_info(&row.id, code))));
    }
    let ttl = state.settings.live_code_ttl.as_secs() as i64;
    for _ in 0..CODE_ATTEMPTS {
        let code = LiveCode::generate().map_err(|_| ApiError::internal())?;
        let stored = StoredLiveCode {
            code: code.to_string(),
            created_at: now,
            expires_at: now + ttl,
        };
        match state.store.set_live_code(&row.id, &stored, now).await? {
            SetCodeOutcome::Set => {
                tracing::info!(session_id = %row.id, "live code generated");
                crate::analytics::EventLog::code_generated(&state.store, &row.id, &auth.user.id)
                    .await;
                return Ok((StatusCode::CREATED, Json(live_code_info(&row.id, &stored))));
            }
            SetCodeOutcome::AlreadyHasValidCode => {
                // A concurrent request for the same session got there first:
                // both callers get that one code.
                let current = state
                    .store
                    .session_by_id(&row.id)
                    .await?
                    .ok_or_else(ApiError::internal)?;
                let code = current.valid_code(now).ok_or_else(ApiError::internal)?;
                return Ok((StatusCode::OK, Json(live_code_info(&row.id, code))));
            }
            SetCodeOutcome::CodeTaken => {
                tracing::warn!("live code collision, drawing again");
            }
        }
    }
    tracing::error!("no unique live code after {CODE_ATTEMPTS} draws");
    Err(ApiError::internal())
}

#[utoipa::path(get, path = "/api/sessions/validate-live-code/{code}", tag = "live codes", security(("bearer" = [])),
    params(("code" = String, Path, description = "The code as typed: case, surrounding spaces and one middle hyphen are forgiven",
        pattern = r"^[A-HJKMNP-Za-hjkmnp-z2-9]{4}-?[A-HJKMNP-Za-hjkmnp-z2-9]{4}$")),
    responses(
        (status = 200, body = ValidateLiveCodeResponse, description = "The code is valid and the caller may join"),
        (status = 400, body = ErrorBody, description = "malformed_code"),
        (status = 401, body = ErrorBody, description = "unauthorized"),
        (status = 403, body = ErrorBody, description = "not_participant"),
        (status = 404, body = ErrorBody, description = "unknown_code"),
        (status = 410, body = ErrorBody, description = "expired_code"),
        (status = 429, body = ErrorBody, description = "rate_limited"),
    ))]
pub async fn validate_live_code(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    auth: AuthUser,
    ApiPath(input): ApiPath<String>,
) -> ApiResult<Json<ValidateLiveCodeResponse>> {
    // Counted before anything is looked up, so every guess costs the same.
    state
        .rate_limit(&[
            (Limit::ValidatePerUser, &auth.user.id),
            (Limit::ValidatePerAddress, &address),
        ])
        .await?;
    let now = crate::now();
    let (row, code) = live_codes::resolve(&state.store, &auth.user.id, &input, now).await?;
    Ok(Json(ValidateLiveCodeResponse {
        valid: true,
        session_id: row.id.clone(),
        expires_at: ts(code.expires_at),
        session: row.to_session(now),
    }))
}
