//! Call reports and analytics (REST): `POST /api/sessions/:id/call-reports`,
//! `GET /api/analytics/me`, `GET /api/sessions/:id/analytics`.

use crate::analytics::{now_ms, ReportRow, Totals, WeekRow};
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::extract::{json_rejection, too_large, ApiPath};
use crate::rate_limit::Limit;
use crate::routes::sessions::participant_session;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::Json;
use mentorlive_protocol::analytics::{
    group_into_calls, CallReport, CallReportStored, MyAnalytics, ParticipantReport, QualityFigures,
    SessionAnalytics, TimePercentiles, WeekFigures,
};
use mentorlive_protocol::ErrorBody;
use std::collections::HashMap;
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

/// A report is a few hundred bytes; this leaves room and no more.
pub const REPORT_BODY_LIMIT: usize = 16 * 1024;
/// The longest range `GET /api/analytics/me` answers for.
const MAX_RANGE_DAYS: i64 = 800;
const DEFAULT_RANGE_DAYS: i64 = 90;
/// The most reports one session's analytics lists.
const SESSION_REPORTS: i64 = 1000;

fn ms(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

fn from_ms(ms: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

#[utoipa::path(post, path = "/api/sessions/{id}/call-reports", tag = "analytics", security(("bearer" = [])),
    params(("id" = String, Path, description = "Session id")),
    request_body = CallReport,
    responses(
        (status = 201, body = CallReportStored, description = "Stored"),
        (status = 200, body = CallReportStored, description = "Stored, replacing this peer's earlier report"),
        (status = 400, body = ErrorBody, description = "invalid_input: each wrong field named"),
        (status = 401, body = ErrorBody, description = "unauthorized"),
        (status = 403, body = ErrorBody, description = "not_participant"),
        (status = 404, body = ErrorBody, description = "not_found"),
        (status = 413, body = ErrorBody, description = "payload_too_large"),
        (status = 429, body = ErrorBody, description = "rate_limited"),
    ))]
pub async fn post_call_report(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiPath(id): ApiPath<String>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult<(StatusCode, Json<CallReportStored>)> {
    state
        .rate_limit(&[(Limit::ReportPerUser, &auth.user.id)])
        .await?;
    let session = participant_session(&state, &auth.user.id, &id, "report on its calls").await?;
    let body = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            too_large()
        } else {
            ApiError::invalid_input("The body could not be read.")
        }
    })?;
    let Json(report) = Json::<CallReport>::from_bytes(&body).map_err(json_rejection)?;
    let now = OffsetDateTime::now_utc();
    let mut problems = report.problems(now);
    let keep = Duration::days(state.settings.analytics_retention_days as i64);
    if report.joined_at < now - keep {
        problems.push(format!(
            "joinedAt is older than the {} days this server keeps analytics",
            state.settings.analytics_retention_days
        ));
    }
    if problems.is_empty()
        && !state
            .store
            .peer_joined(&session.id, &report.peer_id, &auth.user.id)
            .await?
    {
        problems.push("peerId was never yours in this session's live room".to_owned());
    }
    if !problems.is_empty() {
        return Err(ApiError::invalid_input(format!(
            "The report was refused: {}.",
            problems.join("; ")
        )));
    }
    let body = serde_json::to_string(&report).map_err(|_| ApiError::internal())?;
    let row = ReportRow {
        session_id: &session.id,
        user_id: &auth.user.id,
        peer_id: &report.peer_id,
        client: report.client.as_str(),
        joined_at_ms: ms(report.joined_at),
        connected_at_ms: report.connected_at.map(ms),
        ended_at_ms: ms(report.ended_at),
        end_reason: report.end_reason.as_str(),
        candidate_type: report.candidate_type.map(|c| c.as_str()),
        rtt_p50_ms: report.rtt_ms.p50,
        loss_percent: report.loss_percent,
        freezes: report.video.freezes.min(i64::MAX as u64) as i64,
        mos: report.mos,
        screen_share_seconds: report.screen_share_seconds,
        recorded: report.recorded,
        stars: report.rating.as_ref().map(|r| i64::from(r.stars)),
        body: &body,
        received_at_ms: now_ms(),
    };
    let (id, replaced) = state.store.put_call_report(&row).await?;
    crate::metrics::report_received(&report);
    let status = if replaced {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    Ok((status, Json(CallReportStored { id })))
}

/// `from` and `to` as RFC 3339, or the last 90 days.
fn range(query: &HashMap<String, String>) -> Result<(OffsetDateTime, OffsetDateTime), ApiError> {
    let parse = |name: &str| -> Result<Option<OffsetDateTime>, ApiError> {
        query
            .get(name)
            .map(|text| {
                OffsetDateTime::parse(text, &Rfc3339).map_err(|_| {
                    ApiError::invalid_input(format!(
                        "{name} must be a date and time in RFC 3339, such as 2026-12-01T00:00:00Z."
                    ))
                })
            })
            .transpose()
    };
    let to = parse("to")?.unwrap_or_else(OffsetDateTime::now_utc);
    let from = match parse("from")? {
        Some(from) => from,
        None => to
            .checked_sub(Duration::days(DEFAULT_RANGE_DAYS))
            .ok_or_else(|| ApiError::invalid_input("The range must start after 1970."))?,
    };
    if from < OffsetDateTime::UNIX_EPOCH {
        // No call is older, and a range reaching before year 1 could not
        // even be written back in RFC 3339.
        return Err(ApiError::invalid_input("The range must start after 1970."));
    }
    if from >= to {
        return Err(ApiError::invalid_input("from must be before to."));
    }
    if to - from > Duration::days(MAX_RANGE_DAYS) {
        return Err(ApiError::invalid_input(format!(
            "The range may span at most {MAX_RANGE_DAYS} days."
        )));
    }
    Ok((from, to))
}

fn share(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

fn my_analytics(
    from: OffsetDateTime,
    to: OffsetDateTime,
    t: &Totals,
    weeks: &[WeekRow],
) -> MyAnalytics {
    let first = crate::analytics::week_of_ms(ms(from));
    let last = crate::analytics::week_of_ms(ms(to) - 1);
    let weeks = (first..=last)
        .map(|n| {
            let w = weeks.iter().find(|w| w.week == n);
            WeekFigures {
                week_start: from_ms(crate::analytics::week_start_ms(n)),
                calls: w.map_or(0, |w| w.calls.max(0) as u64),
                minutes: w.map_or(0.0, |w| w.call_ms as f64 / 60_000.0),
                connected: w.map_or(0, |w| w.connected.max(0) as u64),
                time_to_connect_p50_ms: w.and_then(|w| w.time_to_connect_p50).map(|v| v as f64),
                mos: w.and_then(|w| w.mos),
            }
        })
        .collect();
    let connected_minutes = t.connected_ms as f64 / 60_000.0;
    MyAnalytics {
        from,
        to,
        calls: t.calls.max(0) as u64,
        minutes: t.call_ms as f64 / 60_000.0,
        connected_share: share(t.connected, t.calls),
        time_to_connect_ms: TimePercentiles {
            p50: t.time_to_connect_p50.map(|v| v as f64),
            p90: t.time_to_connect_p90.map(|v| v as f64),
        },
        relayed_share: share(t.relayed, t.connected),
        quality: QualityFigures {
            mos: t.mos,
            rtt_ms: t.rtt_ms,
            loss_percent: t.loss_percent,
            freezes_per_minute: (connected_minutes > 0.0)
                .then(|| t.freezes as f64 / connected_minutes),
            stars: t.stars,
        },
        screen_share_minutes: t.screen_share_seconds / 60.0,
        calls_with_screen_share: t.screen_share_calls.max(0) as u64,
        recorded_calls: t.recorded.max(0) as u64,
        weeks,
    }
}

#[utoipa::path(get, path = "/api/analytics/me", tag = "analytics", security(("bearer" = [])),
    params(
        ("from" = Option<String>, Query, description = "RFC 3339; default 90 days before `to`"),
        ("to" = Option<String>, Query, description = "RFC 3339; default now"),
    ),
    responses(
        (status = 200, body = MyAnalytics, description = "The caller's own calls, summed and by week"),
        (status = 400, body = ErrorBody, description = "invalid_input"),
        (status = 401, body = ErrorBody, description = "unauthorized"),
    ))]
pub async fn me(
    State(state): State<AppState>,
    auth: AuthUser,
    query: Result<Query<HashMap<String, String>>, QueryRejection>,
) -> ApiResult<Json<MyAnalytics>> {
    let Query(query) =
        query.map_err(|_| ApiError::invalid_input("The query could not be read."))?;
    let (from, to) = range(&query)?;
    let user = &auth.user.id;
    let totals = state.store.call_totals(user, ms(from), ms(to)).await?;
    let weeks = state.store.call_weeks(user, ms(from), ms(to)).await?;
    Ok(Json(my_analytics(from, to, &totals, &weeks)))
}

#[utoipa::path(get, path = "/api/sessions/{id}/analytics", tag = "analytics", security(("bearer" = [])),
    params(("id" = String, Path, description = "Session id")),
    responses(
        (status = 200, body = SessionAnalytics, description = "The session's calls with both sides' reports"),
        (status = 401, body = ErrorBody, description = "unauthorized"),
        (status = 403, body = ErrorBody, description = "not_participant"),
        (status = 404, body = ErrorBody, description = "not_found"),
    ))]
pub async fn session(
    State(state): State<AppState>,
    auth: AuthUser,
    ApiPath(id): ApiPath<String>,
) -> ApiResult<Json<SessionAnalytics>> {
    let session = participant_session(&state, &auth.user.id, &id, "see its calls").await?;
    let rows = state
        .store
        .session_reports(&session.id, SESSION_REPORTS)
        .await?;
    let reports = rows
        .into_iter()
        .filter_map(|(user_id, name, body)| {
            // Stored only after validation; one that no longer reads (an
            // older shape) is left out rather than failing the whole list.
            let report = serde_json::from_str::<CallReport>(&body).ok()?;
            Some(ParticipantReport {
                user_id,
                name,
                report,
            })
        })
        .collect();
    Ok(Json(SessionAnalytics {
        session_id: session.id,
        calls: group_into_calls(reports),
    }))
}
