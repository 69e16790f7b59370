//! Call reports and analytics (REST): what a client reports when it leaves a
//! call, and what the server makes of them. Figures only: never media, chat
//! text or addresses.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

/// Which kind of client sent a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum ClientKind {
    Desktop,
    Web,
    Cli,
}

impl ClientKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ClientKind::Desktop => "desktop",
            ClientKind::Web => "web",
            ClientKind::Cli => "cli",
        }
    }
}

/// Why a client's call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum EndReason {
    Hangup,
    PartnerLeft,
    ConnectionLost,
    Replaced,
    Error,
}

impl EndReason {
    pub const ALL: [EndReason; 5] = [
        EndReason::Hangup,
        EndReason::PartnerLeft,
        EndReason::ConnectionLost,
        EndReason::Replaced,
        EndReason::Error,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EndReason::Hangup => "hangup",
            EndReason::PartnerLeft => "partner_left",
            EndReason::ConnectionLost => "connection_lost",
            EndReason::Replaced => "replaced",
            EndReason::Error => "error",
        }
    }
}

/// The selected ICE candidate pair's local type (W3C `RTCIceCandidateType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum CandidateType {
    Host,
    Srflx,
    Prflx,
    Relay,
}

impl CandidateType {
    pub fn as_str(self) -> &'static str {
        match self {
            CandidateType::Host => "host",
            CandidateType::Srflx => "srflx",
            CandidateType::Prflx => "prflx",
            CandidateType::Relay => "relay",
        }
    }
}

/// Round-trip time percentiles over the call, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RttFigures {
    pub p50: f64,
    pub p95: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct VideoFigures {
    pub frames_sent: u64,
    pub frames_received: u64,
    /// Frame intervals over max(3× the average, average + 150 ms).
    pub freezes: u64,
    pub freeze_seconds: f64,
    pub kbps_sent: f64,
    pub kbps_received: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct AudioFigures {
    pub packets_sent: u64,
    pub packets_received: u64,
    pub concealed_seconds: f64,
}

/// What went wrong, as the person rating the call says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum Problem {
    Audio,
    Video,
    Connection,
    Screen,
    Other,
}

/// The person's own rating of the call, if they gave one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Rating {
    /// 1 to 5.
    pub stars: u8,
    #[serde(default)]
    pub problems: Vec<Problem>,
}

/// `callReport`: one client's figures for one call, sent when it leaves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct CallReport {
    /// The peer id the server gave this client in the room.
    pub peer_id: String,
    pub client: ClientKind,
    pub client_version: String,
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "utoipa", schema(value_type = String, format = DateTime))]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub joined_at: OffsetDateTime,
    /// When media first flowed; absent when the call never connected.
    #[serde(
        default,
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(feature = "utoipa", schema(value_type = Option<String>, format = DateTime))]
    #[cfg_attr(feature = "ts", ts(type = "string | undefined", optional))]
    pub connected_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "utoipa", schema(value_type = String, format = DateTime))]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub ended_at: OffsetDateTime,
    pub end_reason: EndReason,
    #[serde(default)]
    pub candidate_type: Option<CandidateType>,
    pub reconnects: u32,
    pub rtt_ms: RttFigures,
    pub loss_percent: f64,
    pub jitter_ms: f64,
    pub video: VideoFigures,
    pub audio: AudioFigures,
    /// The E-model's estimate, 1 to 5.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub mos: Option<f64>,
    pub screen_share_seconds: f64,
    pub recorded: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub rating: Option<Rating>,
}

/// How long a call must have been connected for its rating to be asked.
pub const RATING_AFTER_SECONDS: i64 = 60;

/// The most a report may say, so that an absurd figure is refused rather
/// than averaged into everyone's charts.
pub mod limits {
    /// A call longer than a day is no mentoring session.
    pub const MAX_CALL_SECONDS: i64 = 24 * 3600;
    /// Clocks differ: a report may end this far in the server's future.
    pub const CLOCK_SKEW_SECONDS: i64 = 300;
    pub const MAX_RTT_MS: f64 = 60_000.0;
    pub const MAX_JITTER_MS: f64 = 10_000.0;
    pub const MAX_KBPS: f64 = 100_000.0;
    /// Frames a second, with room for a burst.
    pub const MAX_FPS: u64 = 120;
    /// Opus packets a second (2.5 ms frames at most).
    pub const MAX_AUDIO_PACKETS_PER_SECOND: u64 = 400;
    pub const MAX_RECONNECTS: u32 = 1000;
    pub const MAX_PEER_ID: usize = 64;
    pub const MAX_CLIENT_VERSION: usize = 32;
}

impl CallReport {
    /// Seconds from joining to leaving.
    pub fn duration_seconds(&self) -> f64 {
        (self.ended_at - self.joined_at).as_seconds_f64()
    }

    /// A call connected for a minute or more is worth asking the person
    /// to rate; a shorter one (a test, a wrong code) is not. The web
    /// client's `asksForRating` (ui/src/call/rating.ts) says the same.
    pub fn asks_for_rating(&self) -> bool {
        self.connected_at
            .is_some_and(|c| (self.ended_at - c).whole_seconds() >= RATING_AFTER_SECONDS)
    }

    /// Everything wrong with this report as received at `now`, one line per
    /// field, named as on the wire. Empty when it is fine.
    pub fn problems(&self, now: OffsetDateTime) -> Vec<String> {
        use limits::*;
        let mut out = Vec::new();
        let mut check = |ok: bool, field: &str, what: &str| {
            if !ok {
                out.push(format!("{field} {what}"));
            }
        };
        let in_range = |v: f64, max: f64| v.is_finite() && (0.0..=max).contains(&v);
        check(
            !self.peer_id.is_empty()
                && self.peer_id.len() <= MAX_PEER_ID
                && self
                    .peer_id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
            "peerId",
            "must be the peer id the room gave (letters, digits, - and _, at most 64)",
        );
        check(
            !self.client_version.is_empty()
                && self.client_version.len() <= MAX_CLIENT_VERSION
                && self.client_version.bytes().all(|b| b.is_ascii_graphic()),
            "clientVersion",
            "must be 1 to 32 visible ASCII characters",
        );
        let duration = (self.ended_at - self.joined_at).whole_seconds();
        check(
            self.ended_at >= self.joined_at,
            "endedAt",
            "must not be before joinedAt",
        );
        check(
            duration <= MAX_CALL_SECONDS,
            "endedAt",
            "must be within 24 hours of joinedAt",
        );
        check(
            (self.ended_at - now).whole_seconds() <= CLOCK_SKEW_SECONDS,
            "endedAt",
            "must not be in the future",
        );
        if let Some(connected) = self.connected_at {
            check(
                self.joined_at <= connected && connected <= self.ended_at,
                "connectedAt",
                "must be between joinedAt and endedAt",
            );
        }
        let seconds = duration.max(0) as u64;
        let seconds_f = seconds as f64 + 1.0;
        check(
            self.reconnects <= MAX_RECONNECTS,
            "reconnects",
            "must be at most 1000",
        );
        check(
            in_range(self.rtt_ms.p50, MAX_RTT_MS),
            "rttMs.p50",
            "must be from 0 to 60000",
        );
        check(
            in_range(self.rtt_ms.p95, MAX_RTT_MS),
            "rttMs.p95",
            "must be from 0 to 60000",
        );
        check(
            self.rtt_ms.p50 <= self.rtt_ms.p95,
            "rttMs.p95",
            "must not be below rttMs.p50",
        );
        check(
            in_range(self.loss_percent, 100.0),
            "lossPercent",
            "must be from 0 to 100",
        );
        check(
            in_range(self.jitter_ms, MAX_JITTER_MS),
            "jitterMs",
            "must be from 0 to 10000",
        );
        let frames = MAX_FPS * (seconds + 1);
        let v = &self.video;
        check(
            v.frames_sent <= frames,
            "video.framesSent",
            "is more than 120 frames a second",
        );
        check(
            v.frames_received <= frames,
            "video.framesReceived",
            "is more than 120 frames a second",
        );
        check(
            v.freezes <= v.frames_received.max(seconds + 1),
            "video.freezes",
            "is more than the frames received",
        );
        check(
            in_range(v.freeze_seconds, seconds_f),
            "video.freezeSeconds",
            "must be from 0 to the call's length",
        );
        check(
            in_range(v.kbps_sent, MAX_KBPS),
            "video.kbpsSent",
            "must be from 0 to 100000",
        );
        check(
            in_range(v.kbps_received, MAX_KBPS),
            "video.kbpsReceived",
            "must be from 0 to 100000",
        );
        let packets = MAX_AUDIO_PACKETS_PER_SECOND * (seconds + 1);
        let a = &self.audio;
        check(
            a.packets_sent <= packets,
            "audio.packetsSent",
            "is more than 400 packets a second",
        );
        check(
            a.packets_received <= packets,
            "audio.packetsReceived",
            "is more than 400 packets a second",
        );
        check(
            in_range(a.concealed_seconds, seconds_f),
            "audio.concealedSeconds",
            "must be from 0 to the call's length",
        );
        if let Some(mos) = self.mos {
            check(
                mos.is_finite() && (1.0..=5.0).contains(&mos),
                "mos",
                "must be from 1 to 5",
            );
        }
        check(
            in_range(self.screen_share_seconds, seconds_f),
            "screenShareSeconds",
            "must be from 0 to the call's length",
        );
        if let Some(rating) = &self.rating {
            check(
                (1..=5).contains(&rating.stars),
                "rating.stars",
                "must be from 1 to 5",
            );
            let mut seen = Vec::new();
            let unique = rating.problems.iter().all(|p| {
                let new = !seen.contains(p);
                seen.push(*p);
                new
            });
            check(unique, "rating.problems", "must not repeat a problem");
        }
        out
    }
}

/// `{id}`: the stored report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CallReportStored {
    pub id: String,
}

/// Percentiles of a time, in milliseconds; absent without data.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TimePercentiles {
    pub p50: Option<f64>,
    pub p90: Option<f64>,
}

/// How good the calls were, averaged over those that connected.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct QualityFigures {
    /// Mean opinion score, 1 to 5.
    pub mos: Option<f64>,
    pub rtt_ms: Option<f64>,
    pub loss_percent: Option<f64>,
    pub freezes_per_minute: Option<f64>,
    /// The people's own stars, 1 to 5, over the calls they rated.
    pub stars: Option<f64>,
}

/// One week (Monday 00:00 UTC on) of the caller's calls.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct WeekFigures {
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "utoipa", schema(value_type = String, format = DateTime))]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub week_start: OffsetDateTime,
    pub calls: u64,
    pub minutes: f64,
    pub connected: u64,
    pub time_to_connect_p50_ms: Option<f64>,
    pub mos: Option<f64>,
}

/// `GET /api/analytics/me`: the caller's own calls in `[from, to)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct MyAnalytics {
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "utoipa", schema(value_type = String, format = DateTime))]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub from: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "utoipa", schema(value_type = String, format = DateTime))]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub to: OffsetDateTime,
    pub calls: u64,
    pub minutes: f64,
    /// Calls in which media flowed, over all calls (0 to 1).
    pub connected_share: Option<f64>,
    pub time_to_connect_ms: TimePercentiles,
    /// Connected calls relayed through TURN, over connected calls (0 to 1).
    pub relayed_share: Option<f64>,
    pub quality: QualityFigures,
    pub screen_share_minutes: f64,
    pub calls_with_screen_share: u64,
    pub recorded_calls: u64,
    /// Every week of the range, oldest first, empty weeks included.
    pub weeks: Vec<WeekFigures>,
}

/// One client's report within a call, with whose it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct ParticipantReport {
    pub user_id: String,
    pub name: String,
    pub report: CallReport,
}

/// One call of a session: the reports whose times overlap.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct SessionCall {
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "utoipa", schema(value_type = String, format = DateTime))]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub started_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    #[cfg_attr(feature = "utoipa", schema(value_type = String, format = DateTime))]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub ended_at: OffsetDateTime,
    pub reports: Vec<ParticipantReport>,
}

/// `GET /api/sessions/:id/analytics`: the session's calls, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct SessionAnalytics {
    pub session_id: String,
    pub calls: Vec<SessionCall>,
}

/// Groups reports into calls: reports whose `[joinedAt, endedAt]` overlap
/// are one call. Newest call first; within a call, in order of joining.
pub fn group_into_calls(mut reports: Vec<ParticipantReport>) -> Vec<SessionCall> {
    reports.sort_by_key(|r| r.report.joined_at);
    let mut calls: Vec<SessionCall> = Vec::new();
    for r in reports {
        match calls.last_mut() {
            Some(call) if r.report.joined_at <= call.ended_at => {
                call.ended_at = call.ended_at.max(r.report.ended_at);
                call.reports.push(r);
            }
            _ => calls.push(SessionCall {
                started_at: r.report.joined_at,
                ended_at: r.report.ended_at,
                reports: vec![r],
            }),
        }
    }
    calls.reverse();
    calls
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn report() -> CallReport {
        CallReport {
            peer_id: "a1b2".into(),
            client: ClientKind::Cli,
            client_version: "0.3.0".into(),
            joined_at: datetime!(2026-12-01 10:00 UTC),
            connected_at: Some(datetime!(2026-12-01 10:00:01 UTC)),
            ended_at: datetime!(2026-12-01 10:30 UTC),
            end_reason: EndReason::Hangup,
            candidate_type: Some(CandidateType::Host),
            reconnects: 0,
            rtt_ms: RttFigures { p50: 1.0, p95: 3.0 },
            loss_percent: 0.1,
            jitter_ms: 2.0,
            video: VideoFigures {
                frames_sent: 54_000,
                frames_received: 53_900,
                freezes: 2,
                freeze_seconds: 0.6,
                kbps_sent: 800.0,
                kbps_received: 790.0,
            },
            audio: AudioFigures {
                packets_sent: 90_000,
                packets_received: 89_950,
                concealed_seconds: 0.2,
            },
            mos: Some(4.3),
            screen_share_seconds: 120.0,
            recorded: false,
            rating: None,
        }
    }

    const NOW: OffsetDateTime = datetime!(2026-12-01 11:00 UTC);

    #[test]
    fn a_plain_report_is_fine_and_round_trips() {
        let r = report();
        assert_eq!(r.problems(NOW), Vec::<String>::new());
        let json = serde_json::to_value(&r).expect("serialises");
        assert_eq!(json["rttMs"]["p95"], 3.0);
        assert_eq!(json["endReason"], "hangup");
        assert_eq!(
            serde_json::from_value::<CallReport>(json).expect("reads back"),
            r
        );
    }

    #[test]
    fn a_rating_is_asked_after_a_minute_connected_and_not_before() {
        let mut r = report();
        assert!(r.asks_for_rating(), "half an hour");
        r.ended_at = datetime!(2026-12-01 10:01:00 UTC);
        assert!(!r.asks_for_rating(), "59 s connected, though 60 s joined");
        r.ended_at = datetime!(2026-12-01 10:01:01 UTC);
        assert!(r.asks_for_rating(), "60 s connected");
        r.connected_at = None;
        assert!(!r.asks_for_rating(), "never connected");
    }

    #[test]
    fn each_absurd_figure_is_named() {
        let mut r = report();
        r.rtt_ms.p95 = -1.0;
        r.loss_percent = 101.0;
        r.video.frames_sent = 10_000_000;
        r.mos = Some(f64::NAN);
        r.rating = Some(Rating {
            stars: 6,
            problems: vec![Problem::Audio, Problem::Audio],
        });
        r.peer_id = "<script>".into();
        let problems = r.problems(NOW);
        for field in [
            "rttMs.p95",
            "lossPercent",
            "video.framesSent",
            "mos",
            "rating.stars",
            "rating.problems",
            "peerId",
        ] {
            assert!(
                problems.iter().any(|p| p.starts_with(field)),
                "{field} in {problems:?}"
            );
        }
    }

    #[test]
    fn times_must_be_in_order_and_not_in_the_future() {
        let mut r = report();
        r.connected_at = Some(datetime!(2026-12-01 09:00 UTC));
        assert!(r.problems(NOW)[0].starts_with("connectedAt"));
        let mut r = report();
        r.ended_at = datetime!(2026-12-01 09:00 UTC);
        assert!(r.problems(NOW).iter().any(|p| p.starts_with("endedAt")));
        let mut r = report();
        r.ended_at = datetime!(2026-12-01 12:00 UTC);
        assert!(r.problems(NOW).iter().any(|p| p.contains("future")));
    }

    #[test]
    fn overlapping_reports_are_one_call() {
        let person = |name: &str, report: CallReport| ParticipantReport {
            user_id: name.into(),
            name: name.into(),
            report,
        };
        let a = report();
        let mut b = report();
        b.joined_at = datetime!(2026-12-01 10:00:02 UTC);
        let mut later = report();
        later.joined_at = datetime!(2026-12-01 14:00 UTC);
        later.ended_at = datetime!(2026-12-01 14:10 UTC);
        let calls = group_into_calls(vec![person("l", later), person("a", a), person("b", b)]);
        assert_eq!(calls.len(), 2);
        assert_eq!(calls[0].reports.len(), 1, "newest first");
        assert_eq!(calls[1].reports.len(), 2);
        assert_eq!(calls[1].reports[0].user_id, "a");
    }
}
