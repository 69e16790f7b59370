//! The signed-in client's call reports: kept in the queue when a call ends,
//! held a while for the person's rating after a long call, and sent with
//! the account's own token, unless the person has switched sharing off
//! (then nothing is kept and nothing goes).

use crate::report_queue::{now_ms, QueuedReport, ReportQueue};
use crate::{Client, ClientResult};
use mentorlive_api::ApiError;
use mentorlive_protocol::analytics::{CallReport, Rating};
use std::time::Duration;

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

/// Whether an error means "try later" rather than "never".
fn worth_retrying(err: &ApiError) -> bool {
    match err {
        ApiError::Server { status, .. } => matches!(status, 401 | 408 | 429) || *status >= 500,
        ApiError::Network(_) | ApiError::Timeout | ApiError::NotSignedIn => true,
        ApiError::UnexpectedResponse { status, .. } => *status >= 500 || *status == 0,
        ApiError::Refused { .. } | ApiError::InvalidServerUrl(_) => false,
    }
}

impl Client {
    fn report_queue(&self) -> ReportQueue {
        ReportQueue::new(self.paths.data_dir.join("call-reports"))
    }

    /// Whether the person lets call reports and ratings go to the server.
    pub fn shares_call_reports(&self) -> bool {
        self.settings().is_ok_and(|s| s.share_call_reports)
    }

    /// Switches sharing on or off. Off forgets the reports still waiting:
    /// from then on nothing is sent.
    pub fn set_share_call_reports(&self, on: bool) -> ClientResult<()> {
        let mut settings = self.settings()?;
        settings.share_call_reports = on;
        self.save_settings(&settings)?;
        if !on {
            self.report_queue().clear();
        }
        Ok(())
    }

    /// Keeps a call's report to send, held up to `hold_for` for a rating.
    /// Returns false (and keeps nothing) when sharing is off or nobody is
    /// signed in.
    pub fn queue_call_report(
        &self,
        session_id: &str,
        report: CallReport,
        hold_for: Option<Duration>,
    ) -> ClientResult<bool> {
        if !self.shares_call_reports() {
            return Ok(false);
        }
        let (Ok(api), Some(user)) = (self.api(), self.user()) else {
            return Ok(false);
        };
        let entry = QueuedReport {
            server_url: api.server_url(),
            account: user.email,
            session_id: session_id.to_owned(),
            report,
            hold_until_ms: hold_for.map_or(0, |d| now_ms() + d.as_millis() as u64),
        };
        self.report_queue().put(&entry).map_err(|err| {
            crate::ClientError::new(
                crate::AppErrorCode::Settings,
                format!("Could not keep the call report: {err}"),
            )
        })?;
        Ok(true)
    }

    /// The person's rating (or their dismissal: `None`) of the call they
    /// were in as `peer_id`: its report waits no longer. False when the
    /// report is not waiting (sharing off, or already gone).
    pub fn rate_call(&self, peer_id: &str, rating: Option<Rating>) -> ClientResult<bool> {
        if !self.shares_call_reports() {
            return Ok(false);
        }
        self.report_queue()
            .update(peer_id, |entry| {
                entry.report.rating = rating;
                entry.hold_until_ms = 0;
            })
            .map_err(|err| {
                crate::ClientError::new(
                    crate::AppErrorCode::Settings,
                    format!("Could not keep the rating: {err}"),
                )
            })
    }

    /// Sends the signed-in account's waiting reports, oldest first. One pass
    /// at a time: two at once could send a report twice. Stops at the first
    /// sign that the server is out of reach; the rest wait for the next.
    pub async fn flush_call_reports(&self) -> FlushOutcome {
        let _one_at_a_time = self.flushing.lock().await;
        let queue = self.report_queue();
        let list = queue.list();
        let mut outcome = FlushOutcome::default();
        let me = match (self.api(), self.user()) {
            (Ok(api), Some(user)) if self.shares_call_reports() => Some((api, user.email)),
            _ => None,
        };
        let now = now_ms();
        let mut reachable = true;
        for (path, entry) in list {
            let ours = me.as_ref().filter(|(api, account)| {
                entry.server_url == api.server_url() && &entry.account == account
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
    }
}
