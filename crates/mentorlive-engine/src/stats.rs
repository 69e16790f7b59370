//! Counters the media paths bump, and the once-a-second figures made of them.

use crate::CallState;
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

#[derive(Debug, Default)]
pub struct Counters {
    pub video_frames_out: AtomicU64,
    pub audio_frames_out: AtomicU64,
    pub bytes_out: AtomicU64,
    pub frames_out_dropped: AtomicU64,
    /// Video frames kept out of a long pacer queue (shedding.rs).
    pub frames_out_shed: AtomicU64,
    pub video_frames_in: AtomicU64,
    pub audio_frames_in: AtomicU64,
    pub screen_frames_out: AtomicU64,
    pub screen_frames_in: AtomicU64,
    pub bytes_in: AtomicU64,
    /// Frames the application did not take in time (its queue was full).
    pub frames_in_dropped: AtomicU64,
    pub packets_in_lost: AtomicU64,
    pub keyframes_requested_by_us: AtomicU64,
    pub keyframes_requested_of_us: AtomicU64,
    /// The partner's camera froze (see `quality::FreezeMeter`): how often,
    /// and for how long in all.
    pub video_freezes: AtomicU64,
    pub video_freeze_ms: AtomicU64,
    /// Their sound the player had to make up (`quality::AudioGapMeter`).
    pub audio_concealed_ms: AtomicU64,
    /// When each step of joining happened.
    pub join: std::sync::Mutex<crate::join_timeline::JoinTimeline>,
}

impl Counters {
    /// Notes a step of joining (the first time only).
    pub fn join_step(&self, step: crate::join_timeline::JoinStep, at: std::time::Instant) {
        self.join
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .note(step, at);
    }

    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}

/// The counters' values at one instant.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CounterValues {
    pub video_frames_out: u64,
    pub audio_frames_out: u64,
    pub bytes_out: u64,
    pub frames_out_dropped: u64,
    pub frames_out_shed: u64,
    pub video_frames_in: u64,
    pub audio_frames_in: u64,
    pub screen_frames_out: u64,
    pub screen_frames_in: u64,
    pub bytes_in: u64,
    pub frames_in_dropped: u64,
    pub packets_in_lost: u64,
    pub keyframes_requested_by_us: u64,
    pub keyframes_requested_of_us: u64,
    pub video_freezes: u64,
    pub video_freeze_ms: u64,
    pub audio_concealed_ms: u64,
}

impl Counters {
    pub fn read(&self) -> CounterValues {
        CounterValues {
            video_frames_out: Counters::get(&self.video_frames_out),
            audio_frames_out: Counters::get(&self.audio_frames_out),
            bytes_out: Counters::get(&self.bytes_out),
            frames_out_dropped: Counters::get(&self.frames_out_dropped),
            frames_out_shed: Counters::get(&self.frames_out_shed),
            video_frames_in: Counters::get(&self.video_frames_in),
            audio_frames_in: Counters::get(&self.audio_frames_in),
            screen_frames_out: Counters::get(&self.screen_frames_out),
            screen_frames_in: Counters::get(&self.screen_frames_in),
            bytes_in: Counters::get(&self.bytes_in),
            frames_in_dropped: Counters::get(&self.frames_in_dropped),
            packets_in_lost: Counters::get(&self.packets_in_lost),
            keyframes_requested_by_us: Counters::get(&self.keyframes_requested_by_us),
            keyframes_requested_of_us: Counters::get(&self.keyframes_requested_of_us),
            video_freezes: Counters::get(&self.video_freezes),
            video_freeze_ms: Counters::get(&self.video_freeze_ms),
            audio_concealed_ms: Counters::get(&self.audio_concealed_ms),
        }
    }
}

/// What the driver reads off the connection and the counters at one instant.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sample {
    pub counters: CounterValues,
    /// The nominated candidate pair's round trip, in seconds.
    pub rtt_s: Option<f64>,
    /// Each inbound stream's interarrival jitter, in seconds.
    pub jitter_s: Vec<f64>,
    /// The inbound RTP streams' packets received and lost, summed.
    pub packets_in: u64,
    pub packets_in_lost: u64,
    /// What congestion control allows now.
    pub target_bps: Option<u64>,
    /// The selected candidate pair's type: `relay` when either end is a
    /// TURN relay, else our end's type.
    pub candidate_type: Option<mentorlive_protocol::analytics::CandidateType>,
}

/// The figures for one second of the call.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct CallStats {
    pub state: CallState,
    pub rtt_ms: Option<f64>,
    pub jitter_ms: Option<f64>,
    /// Fraction of the partner's packets lost in this second.
    pub loss: f64,
    pub bitrate_in_kbps: f64,
    pub bitrate_out_kbps: f64,
    pub target_bitrate_kbps: Option<f64>,
    pub video_frames_in: u64,
    pub audio_frames_in: u64,
    pub screen_frames_out: u64,
    pub screen_frames_in: u64,
    pub video_frames_out: u64,
    pub audio_frames_out: u64,
    pub frames_in_dropped: u64,
    pub frames_out_dropped: u64,
    /// Video frames kept out of a long send queue on a narrow link; the
    /// partner held the last picture and got a keyframe after.
    pub frames_out_shed: u64,
    pub packets_in_lost: u64,
    pub keyframes_requested_by_us: u64,
    pub keyframes_requested_of_us: u64,
}

/// A change of the target smaller than this is not worth an encoder update.
const TARGET_CHANGE: f64 = 0.05;

/// Turns samples into per-second figures: rates are differences between
/// this sample and the one before.
#[derive(Debug, Default)]
pub struct StatsMeter {
    last: Option<(Instant, Sample)>,
    last_target: u64,
}

/// Rounds to `places` decimals (figures for people, not for maths).
fn round(x: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (x * f).round() / f
}

impl StatsMeter {
    /// The figures at `now`, and the target bitrate when it moved enough to
    /// tell the encoder.
    pub fn figures(
        &mut self,
        state: CallState,
        sample: Sample,
        now: Instant,
    ) -> (CallStats, Option<u64>) {
        // The first sample covers the call's first interval (the machine
        // asks a second after it starts), not the instant before it.
        let (then, before) = self.last.take().unwrap_or_else(|| {
            let then = now.checked_sub(std::time::Duration::from_secs(1));
            (then.unwrap_or(now), Sample::default())
        });
        let secs = now.saturating_duration_since(then).as_secs_f64().max(0.001);
        let kbps = |a: u64, b: u64| round(a.saturating_sub(b) as f64 * 8.0 / 1000.0 / secs, 1);
        let lost = sample
            .packets_in_lost
            .saturating_sub(before.packets_in_lost) as f64;
        let got = sample.packets_in.saturating_sub(before.packets_in) as f64;
        let c = sample.counters;
        let stats = CallStats {
            state,
            rtt_ms: sample.rtt_s.map(|r| round(r * 1000.0, 2)),
            jitter_ms: sample
                .jitter_s
                .iter()
                .copied()
                .reduce(f64::max)
                .map(|j| round(j * 1000.0, 2)),
            loss: if lost + got > 0.0 {
                round(lost / (lost + got), 3)
            } else {
                0.0
            },
            bitrate_in_kbps: kbps(c.bytes_in, before.counters.bytes_in),
            bitrate_out_kbps: kbps(c.bytes_out, before.counters.bytes_out),
            target_bitrate_kbps: sample.target_bps.map(|b| b as f64 / 1000.0),
            video_frames_in: c.video_frames_in,
            screen_frames_in: c.screen_frames_in,
            screen_frames_out: c.screen_frames_out,
            audio_frames_in: c.audio_frames_in,
            video_frames_out: c.video_frames_out,
            audio_frames_out: c.audio_frames_out,
            frames_in_dropped: c.frames_in_dropped,
            frames_out_dropped: c.frames_out_dropped,
            frames_out_shed: c.frames_out_shed,
            packets_in_lost: sample.packets_in_lost.max(c.packets_in_lost),
            keyframes_requested_by_us: c.keyframes_requested_by_us,
            keyframes_requested_of_us: c.keyframes_requested_of_us,
        };
        let target = sample.target_bps.and_then(|t| self.target_to_tell(t));
        self.last = Some((now, sample));
        (stats, target)
    }

    /// `bps` if it moved enough since the target last told to tell the
    /// encoder (the once-a-second figures, or a cut told at once).
    pub fn target_to_tell(&mut self, bps: u64) -> Option<u64> {
        let moved = bps > 0
            && (self.last_target == 0
                || (bps as f64 - self.last_target as f64).abs() / self.last_target as f64
                    > TARGET_CHANGE);
        moved.then(|| {
            self.last_target = bps;
            bps
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn sample(bytes_in: u64, packets_in: u64, lost: u64, target: u64) -> Sample {
        Sample {
            counters: CounterValues {
                bytes_in,
                ..Default::default()
            },
            rtt_s: Some(0.0123456),
            jitter_s: vec![0.002, 0.005],
            packets_in,
            packets_in_lost: lost,
            target_bps: Some(target),
            candidate_type: None,
        }
    }

    #[test]
    fn rates_are_per_second_between_samples() {
        let mut meter = StatsMeter::default();
        let t0 = Instant::now();
        let (first, target) = meter.figures(CallState::Connected, sample(0, 0, 0, 800_000), t0);
        assert_eq!(first.bitrate_in_kbps, 0.0);
        assert_eq!(target, Some(800_000), "the first target always goes out");
        // 2 s later: 250 kB in, 95 packets received and 5 lost.
        let (s, target) = meter.figures(
            CallState::Connected,
            sample(250_000, 95, 5, 820_000),
            t0 + Duration::from_secs(2),
        );
        assert_eq!(s.bitrate_in_kbps, 1000.0);
        assert_eq!(s.loss, 0.05);
        assert_eq!(s.rtt_ms, Some(12.35));
        assert_eq!(s.jitter_ms, Some(5.0), "the worst stream's jitter");
        assert_eq!(target, None, "2.5 % is not worth an encoder update");
        let (_, target) = meter.figures(
            CallState::Connected,
            sample(250_000, 95, 5, 700_000),
            t0 + Duration::from_secs(3),
        );
        assert_eq!(target, Some(700_000));
    }

    #[test]
    fn the_state_serialises_as_the_events_do() {
        let mut meter = StatsMeter::default();
        let (s, _) = meter.figures(CallState::WaitingForPeer, Sample::default(), Instant::now());
        assert_eq!(
            serde_json::to_value(&s).expect("a test fixture")["state"],
            "waiting_for_peer"
        );
    }
}
