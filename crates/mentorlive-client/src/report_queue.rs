//! Call reports on their way to the server, one file each in the app's data
//! folder. A report is written here before it is sent and removed only once
//! the server has it (or has refused it for good), so one made while the
//! server is out of reach, or while the app quits, goes later. The server
//! keeps one report per peer id, so a report sent again after its answer
//! was lost replaces itself: it is never counted twice.
//!
//! Figures only (see `CallReport`): nothing here is a secret.

use mentorlive_protocol::analytics::CallReport;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// A small queue: past this, the oldest reports go (a machine offline for
/// months keeps its newest calls).
pub const MAX_QUEUED: usize = 100;

/// One report waiting, with whose it is: it goes with that account's token
/// to that server, never another's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueuedReport {
    pub server_url: String,
    pub account: String,
    pub session_id: String,
    pub report: CallReport,
    /// Until when (Unix milliseconds) it waits for the person's rating;
    /// 0 when it is not waiting.
    #[serde(default)]
    pub hold_until_ms: u64,
}

impl QueuedReport {
    pub fn held_at(&self, now_ms: u64) -> bool {
        self.hold_until_ms > now_ms
    }
}

pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

pub struct ReportQueue {
    dir: PathBuf,
}

impl ReportQueue {
    pub fn new(dir: PathBuf) -> ReportQueue {
        ReportQueue { dir }
    }

    /// One file per peer id: a report put again (with its rating) replaces
    /// the one waiting, as the server would.
    fn file_for(&self, peer_id: &str) -> PathBuf {
        let name: String = peer_id
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .take(64)
            .collect();
        let name = if name.is_empty() {
            "report".into()
        } else {
            name
        };
        self.dir.join(format!("{name}.json"))
    }

    /// Writes atomically (a crash leaves the old file or none, never half
    /// of one), then trims the queue to [`MAX_QUEUED`].
    pub fn put(&self, entry: &QueuedReport) -> std::io::Result<()> {
        std::fs::create_dir_all(&self.dir)?;
        let path = self.file_for(&entry.report.peer_id);
        let tmp = path.with_extension(format!("json.{}.tmp", std::process::id()));
        let text = serde_json::to_vec(entry).map_err(std::io::Error::other)?;
        std::fs::write(&tmp, text)?;
        std::fs::rename(&tmp, &path)?;
        self.trim();
        Ok(())
    }

    /// The reports waiting, oldest first. A file that does not read as a
    /// report (damaged, or from a newer version) is set aside, not lost.
    pub fn list(&self) -> Vec<(PathBuf, QueuedReport)> {
        let Ok(dir) = std::fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        let mut out: Vec<(SystemTime, PathBuf, QueuedReport)> = Vec::new();
        for path in dir.flatten().map(|e| e.path()) {
            if path.extension().is_none_or(|e| e != "json") {
                continue;
            }
            let read = std::fs::read(&path)
                .ok()
                .and_then(|bytes| serde_json::from_slice::<QueuedReport>(&bytes).ok());
            match read {
                Some(entry) => {
                    let modified = path
                        .metadata()
                        .and_then(|m| m.modified())
                        .unwrap_or(UNIX_EPOCH);
                    out.push((modified, path, entry));
                }
                None => {
                    tracing::warn!(file = %path.display(), "a queued call report does not read: set aside");
                    let _ = std::fs::rename(&path, path.with_extension("json.bad"));
                }
            }
        }
        out.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
        out.into_iter().map(|(_, p, e)| (p, e)).collect()
    }

    pub fn remove(&self, path: &Path) {
        if let Err(err) = std::fs::remove_file(path) {
            if err.kind() != std::io::ErrorKind::NotFound {
                tracing::warn!(%err, "could not remove a sent call report from the queue");
            }
        }
    }

    /// Changes the waiting report of `peer_id`; false when there is none
    /// (already sent, or never kept).
    pub fn update(
        &self,
        peer_id: &str,
        change: impl FnOnce(&mut QueuedReport),
    ) -> std::io::Result<bool> {
        let path = self.file_for(peer_id);
        let entry = std::fs::read(&path)
            .ok()
            .and_then(|bytes| serde_json::from_slice::<QueuedReport>(&bytes).ok());
        let Some(mut entry) = entry.filter(|e| e.report.peer_id == peer_id) else {
            return Ok(false);
        };
        change(&mut entry);
        self.put(&entry)?;
        Ok(true)
    }

    /// Forgets every waiting report (sharing was switched off).
    pub fn clear(&self) {
        for (path, _) in self.list() {
            self.remove(&path);
        }
    }

    fn trim(&self) {
        let list = self.list();
        let extra = list.len().saturating_sub(MAX_QUEUED);
        for (path, entry) in list.into_iter().take(extra) {
            tracing::warn!(
                peer_id = %entry.report.peer_id,
                "the call report queue is full: its oldest report is dropped"
            );
            self.remove(&path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mentorlive_protocol::analytics::{
        AudioFigures, ClientKind, EndReason, RttFigures, VideoFigures,
    };

    fn entry(peer_id: &str) -> QueuedReport {
        let now = time::OffsetDateTime::now_utc();
        QueuedReport {
            server_url: "http://127.0.0.1:8787".into(),
            account: "mentor@example.com".into(),
            session_id: "s1".into(),
            report: CallReport {
                peer_id: peer_id.into(),
                client: ClientKind::Desktop,
                client_version: "0.3.0".into(),
                joined_at: now,
                connected_at: None,
                ended_at: now,
                end_reason: EndReason::Hangup,
                candidate_type: None,
                reconnects: 0,
                rtt_ms: RttFigures::default(),
                loss_percent: 0.0,
                jitter_ms: 0.0,
                video: VideoFigures::default(),
                audio: AudioFigures::default(),
                mos: None,
                screen_share_seconds: 0.0,
                recorded: false,
                rating: None,
            },
            hold_until_ms: 0,
        }
    }

    #[test]
    fn a_report_put_is_listed_until_removed_and_put_again_replaces_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let queue = ReportQueue::new(dir.path().join("q"));
        assert!(queue.list().is_empty(), "no folder yet: nothing waits");
        queue.put(&entry("peer-1")).expect("put");
        let mut held = entry("peer-1");
        held.hold_until_ms = 5;
        queue.put(&held).expect("put again");
        let list = queue.list();
        assert_eq!(list.len(), 1, "one file per peer id");
        assert_eq!(list[0].1, held);
        queue.remove(&list[0].0);
        assert!(queue.list().is_empty());
    }

    #[test]
    fn an_update_changes_the_waiting_report_and_finds_none_once_sent() {
        let dir = tempfile::tempdir().expect("tempdir");
        let queue = ReportQueue::new(dir.path().to_owned());
        queue.put(&entry("p")).expect("put");
        assert!(queue.update("p", |e| e.hold_until_ms = 9).expect("update"));
        assert_eq!(queue.list()[0].1.hold_until_ms, 9);
        queue.clear();
        assert!(!queue.update("p", |e| e.hold_until_ms = 1).expect("update"));
    }

    #[test]
    fn a_damaged_file_is_set_aside_and_the_rest_still_go() {
        let dir = tempfile::tempdir().expect("tempdir");
        let queue = ReportQueue::new(dir.path().to_owned());
        queue.put(&entry("good")).expect("put");
        std::fs::write(dir.path().join("bad.json"), b"{not json").expect("write");
        let list = queue.list();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].1.report.peer_id, "good");
        assert!(dir.path().join("bad.json.bad").exists(), "kept aside");
    }

    #[test]
    fn a_full_queue_drops_its_oldest_report() {
        let dir = tempfile::tempdir().expect("tempdir");
        let queue = ReportQueue::new(dir.path().to_owned());
        for i in 0..=MAX_QUEUED {
            queue.put(&entry(&format!("p{i:03}"))).expect("put");
        }
        let list = queue.list();
        assert_eq!(list.len(), MAX_QUEUED);
        assert!(
            list.iter().all(|(_, e)| e.report.peer_id != "p000"),
            "the first one went"
        );
    }

    #[test]
    fn a_peer_id_never_names_a_file_outside_the_queue() {
        let dir = tempfile::tempdir().expect("tempdir");
        let queue = ReportQueue::new(dir.path().join("q"));
        queue.put(&entry("../../escape")).expect("put");
        assert!(dir.path().join("q/escape.json").exists());
    }
}
