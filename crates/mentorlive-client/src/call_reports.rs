//! The signed-in client's call reports: kept in the queue when a call ends,
//! held a while for the person's rating after a long call, and sent with
//! the account's own token, unless the person has switched sharing off
//! (then nothing is kept and nothing goes).

use crate::report_queue::{now_ms, QueuedReport, ReportQueue};
use crate::{Client, ClientResult};
use mentorlive_api::ApiError;
use mentorlive_protocol::analytics::{CallReport, Rating};
use std::time::Duration;

/// Whose a report is: the account signed in when the call was joined, on
/// that server. Taken at the join, so a sign-out (or another person's
/// sign-in) before the call's report arrives never loses it or files it
/// under someone else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportOwner {
    pub server_url: String,
    pub account: String,
}

/// What one pass over the queue did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FlushOutcome {
    pub sent: usize,
    /// Refused for good by the server (its figures, or a session gone):
    /// sending again would never help, so they are dropped.
    pub refused: usize,
    /// Still waiting: the server out of reach, a rating still to come, or
    /// another account's.
    pub waiting: usize,
}

/// Whether an error means "try later" rather than "never". Only the
/// server's own refusal (the contract's error body) is final: a page that
/// is not the contract (a captive portal, a proxy) means the server was
/// not reached.
fn worth_retrying(err: &ApiError) -> bool {
    match err {
        ApiError::Server { status, .. } => matches!(status, 401 | 408 | 429) || *status >= 500,
        ApiError::Network(_)
        | ApiError::Timeout
        | ApiError::NotSignedIn
        | ApiError::UnexpectedResponse { .. } => true,
        ApiError::Refused { .. } | ApiError::InvalidServerUrl(_) | ApiError::InsecureServer(_) => {
            false
        }
    }
}

fn kept(err: std::io::Error) -> crate::ClientError {
    crate::ClientError::new(
        crate::AppErrorCode::Settings,
        format!("Could not keep the call report: {err}"),
    )
}

impl Client {
    fn report_queue(&self) -> ReportQueue {
        ReportQueue::new(self.paths.data_dir.join("call-reports"))
    }

    /// Whether the person lets call reports and ratings go to the server.
    pub fn shares_call_reports(&self) -> bool {
        self.settings().is_ok_and(|s| s.share_call_reports)
    }

    /// Who is signed in, as a report's owner.
    pub fn report_owner(&self) -> Option<ReportOwner> {
        Some(ReportOwner {
            server_url: self.api().ok()?.server_url(),
            account: self.user()?.email,
        })
    }

    /// Switches sharing on or off. Off forgets the reports still waiting,
    /// after any pass already sending: once this returns, nothing is sent.
    pub async fn set_share_call_reports(&self, on: bool) -> ClientResult<()> {
        let _no_pass_running = self.flushing.lock().await;
        let mut settings = self.settings()?;
        settings.share_call_reports = on;
        self.save_settings(&settings)?;
        if !on {
            self.report_queue().clear();
        }
        Ok(())
    }

    /// Keeps a call's report to send as `owner`, held up to `hold_for` for
    /// a rating. Returns false (and keeps nothing) when sharing is off.
    pub fn queue_call_report(
        &self,
        owner: &ReportOwner,
        session_id: &str,
        report: CallReport,
        hold_for: Option<Duration>,
    ) -> ClientResult<bool> {
        if !self.shares_call_reports() {
            return Ok(false);
        }
        let entry = QueuedReport {
            server_url: owner.server_url.clone(),
            account: owner.account.clone(),
            session_id: session_id.to_owned(),
            report,
            hold_until_ms: hold_for.map_or(0, |d| now_ms() + d.as_millis() as u64),
        };
        self.report_queue().put(&entry).map_err(kept)?;
        Ok(true)
    }

    /// The person's rating (or their dismissal: `None`) of a call that
    /// ended: its report waits no longer. A rating given after the report
    /// already went (the wait ran out) sends it again with the rating: the
    /// server keeps the newer. False when sharing is off.
    pub async fn rate_call(
        &self,
        session_id: &str,
        report: CallReport,
        rating: Option<Rating>,
    ) -> ClientResult<bool> {
        // Under the pass's lock: a pass sending the report unrated cannot
        // delete the file just rewritten with the rating.
        let _no_pass_running = self.flushing.lock().await;
        if !self.shares_call_reports() {
            return Ok(false);
        }
        let queue = self.report_queue();
        let waiting = queue
            .update(&report.peer_id, |entry| {
                entry.report.rating = rating.clone();
                entry.hold_until_ms = 0;
            })
            .map_err(kept)?;
        if let (false, Some(rating), Some(owner)) = (waiting, rating, self.report_owner()) {
            let entry = QueuedReport {
                server_url: owner.server_url,
                account: owner.account,
                session_id: session_id.to_owned(),
                report: CallReport {
                    rating: Some(rating),
                    ..report
                },
                hold_until_ms: 0,
            };
            queue.put(&entry).map_err(kept)?;
        }
        Ok(true)
    }

    /// Sends the signed-in account's waiting reports, oldest first. One pass
    /// at a time: two at once could send a report twice. Stops at the first
    /// sign that the server is out of reach; the rest wait for the next.
    pub async fn flush_call_reports(&self) -> FlushOutcome {
        let _one_at_a_time = self.flushing.lock().await;
        let queue = self.report_queue();
        let list = queue.list();
        let mut outcome = FlushOutcome::default();
        let me = match (self.api(), self.report_owner()) {
            (Ok(api), Some(owner)) if self.shares_call_reports() => Some((api, owner)),
            _ => None,
        };
        let now = now_ms();
        let mut reachable = true;
        for (path, entry) in list {
            let ours = me.as_ref().filter(|(_, owner)| {
                entry.server_url == owner.server_url && entry.account == owner.account
            });
            let Some((api, _)) = ours.filter(|_| reachable && !entry.held_at(now)) else {
                outcome.waiting += 1;
                continue;
            };
            match api.send_call_report(&entry.session_id, &entry.report).await {
                Ok(stored) => {
                    tracing::info!(report_id = %stored.id, "call report sent");
                    queue.remove(&path);
                    outcome.sent += 1;
                }
                Err(err) if worth_retrying(&err) => {
                    tracing::info!(code = err.code(), "call report kept to send later");
                    reachable = false;
                    outcome.waiting += 1;
                }
                Err(err) => {
                    tracing::warn!(code = err.code(), %err, "the server refused a call report: dropped");
                    queue.remove(&path);
                    outcome.refused += 1;
                }
            }
        }
        outcome
    }

    /// How many reports wait in this machine's queue (any account).
    pub fn queued_call_reports(&self) -> usize {
        self.report_queue().list().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_what_may_succeed_later_is_kept() {
        let server = |status| ApiError::Server {
            status,
            code: mentorlive_protocol::ErrorCode::InvalidInput,
            message: String::new(),
        };
        assert!(worth_retrying(&ApiError::Network("refused".into())));
        assert!(worth_retrying(&ApiError::Timeout));
        assert!(worth_retrying(&server(503)));
        assert!(worth_retrying(&server(429)));
        assert!(worth_retrying(&server(401)), "signed in again, it goes");
        assert!(!worth_retrying(&server(400)), "its figures never pass");
        assert!(!worth_retrying(&server(403)));
        assert!(!worth_retrying(&server(404)), "the session is gone");
        let portal = ApiError::UnexpectedResponse {
            status: 200,
            detail: "<html>".into(),
        };
        assert!(
            worth_retrying(&portal),
            "a captive portal is not the server"
        );
    }
}
