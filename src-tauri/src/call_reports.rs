//! Call reports, ratings and the Insights figures, as the window sees them.
//! The queue and its rules live in `mentorlive-client`; this module only
//! decides when to send: at once after a short call, after the person's
//! rating (or [`RATING_WAIT`]) after a long one, at sign-in, and every
//! minute while any wait (the server may be back).

use crate::AppState;
use mentorlive_client::{Client, ClientResult, ReportOwner};
use mentorlive_protocol::analytics::{CallReport, MyAnalytics, Rating, SessionAnalytics};
use std::sync::Arc;
use std::time::Duration;
use tauri::State;

/// How long a long call's report waits for its rating before it goes
/// without one (the window closed, the person walked away).
const RATING_WAIT: Duration = Duration::from_secs(10 * 60);

/// How often the queue is tried while reports wait.
const RETRY_EVERY: Duration = Duration::from_secs(60);

/// Keeps the ended call's report and sends it, unless it waits for a rating.
pub fn keep_and_send(
    client: &Arc<Client>,
    owner: &ReportOwner,
    session_id: &str,
    report: CallReport,
) {
    let hold = report.asks_for_rating().then_some(RATING_WAIT);
    match client.queue_call_report(owner, session_id, report, hold) {
        Ok(true) if hold.is_none() => send_soon(client),
        Ok(_) => {}
        Err(err) => tracing::warn!(code = ?err.code, "could not keep the call report"),
    }
}

/// Sends what waits, in the background.
pub fn send_soon(client: &Arc<Client>) {
    let client = client.clone();
    tauri::async_runtime::spawn(async move {
        let outcome = client.flush_call_reports().await;
        tracing::debug!(?outcome, "call reports");
    });
}

/// Tries the queue every minute for the app's life; a pass over an empty
/// queue reads one folder and sends nothing.
pub fn keep_trying(client: Arc<Client>) {
    tauri::async_runtime::spawn(async move {
        loop {
            tokio::time::sleep(RETRY_EVERY).await;
            if client.queued_call_reports() > 0 {
                client.flush_call_reports().await;
            }
        }
    });
}

/// The person's rating of a call that ended (its report as the call
/// gave it), or `None` when they dismissed the question: either way its
/// report goes now, and this answers once it has gone (or been kept).
#[tauri::command]
pub async fn rate_call(
    state: State<'_, AppState>,
    session_id: String,
    report: CallReport,
    rating: Option<Rating>,
) -> ClientResult<()> {
    state.client.rate_call(&session_id, report, rating).await?;
    state.client.flush_call_reports().await;
    Ok(())
}

/// Switches call-quality reports and ratings on or off (off: nothing more
/// is sent, and what waited is forgotten).
#[tauri::command]
pub async fn set_share_call_reports(state: State<'_, AppState>, on: bool) -> ClientResult<()> {
    state.client.set_share_call_reports(on).await
}

/// The person's own calls over the server's default range (90 days).
#[tauri::command]
pub async fn my_analytics(state: State<'_, AppState>) -> ClientResult<MyAnalytics> {
    Ok(state.client.api()?.my_analytics(None, None).await?)
}

/// A session's calls, newest first, with both sides' reports.
#[tauri::command]
pub async fn session_analytics(
    state: State<'_, AppState>,
    session_id: String,
) -> ClientResult<SessionAnalytics> {
    Ok(state.client.api()?.session_analytics(&session_id).await?)
}
