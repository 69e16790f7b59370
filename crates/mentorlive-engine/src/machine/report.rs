//! The call report (the contract's `callReport`), gathered as the call goes:
//! each second's figures, the states it went through, screen sharing and
//! recording, and why it ended. Part of the machine, so it is stepped with
//! the same instants; wall-clock times come from the one the application
//! gave for the join.

use crate::quality::{mos, percentile};
use crate::stats::{CallStats, Sample};
use crate::CallState;
use mentorlive_protocol::analytics::{
    AudioFigures, CallReport, CandidateType, ClientKind, EndReason, RttFigures, VideoFigures,
};
use std::time::{Duration, Instant};
use time::OffsetDateTime;

/// Who reports, and when they joined by the wall clock.
#[derive(Debug, Clone)]
pub struct ReportIdentity {
    pub client: ClientKind,
    pub client_version: String,
    pub joined_at: OffsetDateTime,
}

impl Default for ReportIdentity {
    fn default() -> Self {
        ReportIdentity {
            client: ClientKind::Cli,
            client_version: env!("CARGO_PKG_VERSION").to_owned(),
            joined_at: OffsetDateTime::UNIX_EPOCH,
        }
    }
}

#[derive(Debug)]
pub struct ReportMeter {
    identity: ReportIdentity,
    joined: Instant,
    connected: Option<Instant>,
    state: CallState,
    reconnects: u32,
    candidate: Option<CandidateType>,
    rtt_ms: Vec<f64>,
    jitter_ms: Vec<f64>,
    /// The latest cumulative counters (they only grow).
    last: CallStats,
    packets_in: u64,
    packets_lost: u64,
    /// Seconds connected, and the bytes moved in all.
    connected_seconds: f64,
    bytes_in: u64,
    bytes_out: u64,
    freezes: u64,
    freeze_ms: u64,
    concealed_ms: u64,
    sharing_since: Option<Instant>,
    shared: Duration,
    recorded: bool,
    /// How the partner last went, if they did.
    partner_gone: Option<EndReason>,
}

impl ReportMeter {
    pub fn new(now: Instant) -> Self {
        ReportMeter {
            identity: ReportIdentity::default(),
            joined: now,
            connected: None,
            state: CallState::WaitingForPeer,
            reconnects: 0,
            candidate: None,
            rtt_ms: Vec::new(),
            jitter_ms: Vec::new(),
            last: empty_stats(),
            packets_in: 0,
            packets_lost: 0,
            connected_seconds: 0.0,
            bytes_in: 0,
            bytes_out: 0,
            freezes: 0,
            freeze_ms: 0,
            concealed_ms: 0,
            sharing_since: None,
            shared: Duration::ZERO,
            recorded: false,
            partner_gone: None,
        }
    }

    pub fn set_identity(&mut self, identity: ReportIdentity) {
        self.identity = identity;
    }

    pub fn state(&mut self, state: CallState, now: Instant) {
        if state == CallState::Connected {
            self.connected.get_or_insert(now);
            self.partner_gone = None;
            // Counted when the call came back, not when the path went: a
            // path that goes because the partner left is no reconnect.
            if self.state == CallState::Reconnecting {
                self.reconnects += 1;
            }
        }
        self.state = state;
    }

    /// One second's figures, with the sample they came from.
    pub fn second(&mut self, stats: &CallStats, sample: &Sample) {
        if sample.candidate_type.is_some() {
            self.candidate = sample.candidate_type;
        }
        if stats.state == CallState::Connected {
            if let Some(rtt) = stats.rtt_ms {
                self.rtt_ms.push(rtt);
            }
            if let Some(jitter) = stats.jitter_ms {
                self.jitter_ms.push(jitter);
            }
            self.connected_seconds += 1.0;
        }
        self.bytes_in = sample.counters.bytes_in;
        self.bytes_out = sample.counters.bytes_out;
        // Cumulative per connection: a new connection starts from zero.
        if sample.packets_in >= self.packets_in {
            self.packets_in = sample.packets_in;
            self.packets_lost = sample.packets_in_lost;
        }
        self.freezes = sample.counters.video_freezes;
        self.freeze_ms = sample.counters.video_freeze_ms;
        self.concealed_ms = sample.counters.audio_concealed_ms;
        self.last = stats.clone();
    }

    pub fn sharing(&mut self, on: bool, now: Instant) {
        match (on, self.sharing_since) {
            (true, None) => self.sharing_since = Some(now),
            (false, Some(since)) => {
                self.shared += now.saturating_duration_since(since);
                self.sharing_since = None;
            }
            _ => {}
        }
    }

    pub fn recorded(&mut self) {
        self.recorded = true;
    }

    /// The partner left (`Left`) or was lost (`Disconnected`).
    pub fn partner_gone(&mut self, lost: bool) {
        self.partner_gone = Some(if lost {
            EndReason::ConnectionLost
        } else {
            EndReason::PartnerLeft
        });
    }

    /// The report, as the call ends at `now`. A hang-up after the partner
    /// went is put down to their going: that is why the call ended.
    pub fn finish(&mut self, peer_id: &str, reason: EndReason, now: Instant) -> CallReport {
        self.sharing(false, now);
        let reason = match (reason, self.partner_gone) {
            (EndReason::Hangup, Some(gone)) => gone,
            (reason, _) => reason,
        };
        let wall = |at: Instant| {
            self.identity.joined_at
                + time::Duration::try_from(at.saturating_duration_since(self.joined))
                    .unwrap_or(time::Duration::ZERO)
        };
        let rtt = RttFigures {
            p50: percentile(&self.rtt_ms, 50.0),
            p95: percentile(&self.rtt_ms, 95.0),
        };
        let jitter = percentile(&self.jitter_ms, 50.0);
        let seen = self.packets_in + self.packets_lost;
        let loss_percent = if seen > 0 {
            (self.packets_lost as f64 * 100.0 / seen as f64 * 100.0).round() / 100.0
        } else {
            0.0
        };
        // Media flows while connected: its bytes over that time.
        let kbps = |bytes: u64| {
            if self.connected_seconds > 0.0 {
                (bytes as f64 * 8.0 / 1000.0 / self.connected_seconds * 10.0).round() / 10.0
            } else {
                0.0
            }
        };
        let duration = now.saturating_duration_since(self.joined).as_secs_f64();
        let within = |s: f64| s.min(duration).max(0.0);
        CallReport {
            peer_id: peer_id.to_owned(),
            client: self.identity.client,
            client_version: self.identity.client_version.clone(),
            joined_at: self.identity.joined_at,
            connected_at: self.connected.map(wall),
            ended_at: wall(now),
            end_reason: reason,
            candidate_type: self.connected.and(self.candidate),
            reconnects: self.reconnects,
            rtt_ms: rtt,
            loss_percent,
            jitter_ms: jitter,
            video: VideoFigures {
                frames_sent: self.last.video_frames_out,
                frames_received: self.last.video_frames_in,
                freezes: self.freezes,
                freeze_seconds: within(self.freeze_ms as f64 / 1000.0),
                kbps_sent: kbps(self.bytes_out),
                kbps_received: kbps(self.bytes_in),
            },
            audio: AudioFigures {
                packets_sent: self.last.audio_frames_out,
                packets_received: self.last.audio_frames_in,
                concealed_seconds: within(self.concealed_ms as f64 / 1000.0),
            },
            mos: (!self.rtt_ms.is_empty()).then(|| mos(rtt.p50, jitter, loss_percent)),
            screen_share_seconds: within(self.shared.as_secs_f64()),
            recorded: self.recorded,
            rating: None,
        }
    }
}

fn empty_stats() -> CallStats {
    CallStats {
        state: CallState::WaitingForPeer,
        rtt_ms: None,
        jitter_ms: None,
        loss: 0.0,
        bitrate_in_kbps: 0.0,
        bitrate_out_kbps: 0.0,
        target_bitrate_kbps: None,
        video_frames_in: 0,
        audio_frames_in: 0,
        screen_frames_out: 0,
        screen_frames_in: 0,
        video_frames_out: 0,
        audio_frames_out: 0,
        frames_in_dropped: 0,
        frames_out_dropped: 0,
        frames_out_shed: 0,
        packets_in_lost: 0,
        keyframes_requested_by_us: 0,
        keyframes_requested_of_us: 0,
    }
}
