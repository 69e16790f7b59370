//! Call-quality figures as the W3C WebRTC stats define them, computed from
//! what the engine sees: freezes in the partner's video, sound the player
//! must conceal, and a MOS estimate from the E-model. Plain functions and
//! small meters fed with instants, so tests step them exactly.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Intervals a freeze is judged against (the W3C definition's "average").
const FREEZE_WINDOW: usize = 30;

/// The partner's video freezes: a frame interval longer than
/// max(3 × the average interval, the average + 150 ms) is a freeze lasting
/// that interval (W3C `freezeCount`, `totalFreezesDuration`).
#[derive(Debug, Default)]
pub struct FreezeMeter {
    last: Option<Instant>,
    intervals: VecDeque<Duration>,
}

impl FreezeMeter {
    /// A frame arrived at `now`: the freeze it ends, if it ends one.
    pub fn frame(&mut self, now: Instant) -> Option<Duration> {
        let last = self.last.replace(now)?;
        let interval = now.saturating_duration_since(last);
        let freeze = (self.intervals.len() >= 3)
            .then(|| {
                let sum: Duration = self.intervals.iter().sum();
                let average = sum / self.intervals.len() as u32;
                (average * 3).max(average + Duration::from_millis(150))
            })
            .filter(|&limit| interval > limit)
            .map(|_| interval);
        if self.intervals.len() == FREEZE_WINDOW {
            self.intervals.pop_front();
        }
        self.intervals.push_back(interval);
        freeze
    }

    /// The partner's video stopped on purpose (camera off, a new track):
    /// the next frame starts afresh rather than counting the pause.
    pub fn reset(&mut self) {
        self.last = None;
    }
}

/// Opus frames are 20 ms; a gap longer than two is sound the partner's
/// player had to make up (W3C `concealedSamples`, in time).
const AUDIO_FRAME: Duration = Duration::from_millis(20);

#[derive(Debug, Default)]
pub struct AudioGapMeter {
    last: Option<Instant>,
}

impl AudioGapMeter {
    /// An audio packet arrived at `now`: the time concealed before it.
    pub fn packet(&mut self, now: Instant) -> Duration {
        let Some(last) = self.last.replace(now) else {
            return Duration::ZERO;
        };
        let gap = now.saturating_duration_since(last);
        // Longer than a second is silence by choice (muted, no microphone),
        // which the player does not conceal.
        if gap > 2 * AUDIO_FRAME && gap < Duration::from_secs(1) {
            gap - AUDIO_FRAME
        } else {
            Duration::ZERO
        }
    }
}

/// The E-model's mean opinion score (ITU-T G.107, simplified as Cole and
/// Rosenbluth did for VoIP): from the round trip, jitter and loss.
pub fn mos(rtt_ms: f64, jitter_ms: f64, loss_percent: f64) -> f64 {
    let latency = rtt_ms / 2.0 + 2.0 * jitter_ms + 10.0;
    let delay_impairment = if latency < 160.0 {
        latency / 40.0
    } else {
        (latency - 120.0) / 10.0
    };
    let r = (93.2 - delay_impairment - 2.5 * loss_percent).clamp(0.0, 100.0);
    let mos = 1.0 + 0.035 * r + 7.0e-6 * r * (r - 60.0) * (100.0 - r);
    (mos.clamp(1.0, 5.0) * 100.0).round() / 100.0
}

/// The nearest-rank percentile (`p` in 0..=100) of `values`, or 0 for none.
pub fn percentile(values: &[f64], p: f64) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank.min(sorted.len()) - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_steady_video_has_no_freezes_and_a_long_gap_is_one() {
        let t0 = Instant::now();
        let mut meter = FreezeMeter::default();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        for i in 0..30 {
            assert_eq!(meter.frame(at(i * 33)), None);
        }
        // 33 ms frames: a freeze is over max(99, 183) ms.
        assert_eq!(meter.frame(at(29 * 33 + 180)), None);
        let freeze = meter.frame(at(29 * 33 + 180 + 400));
        assert_eq!(freeze, Some(Duration::from_millis(400)));
    }

    #[test]
    fn slow_video_is_judged_against_its_own_rate() {
        // 5 frames a second (a screen): 200 ms gaps are normal, 700 ms is
        // over max(600, 350).
        let t0 = Instant::now();
        let mut meter = FreezeMeter::default();
        for i in 0..10 {
            assert_eq!(meter.frame(t0 + Duration::from_millis(i * 200)), None);
        }
        assert_eq!(meter.frame(t0 + Duration::from_millis(1800 + 500)), None);
        assert!(meter
            .frame(t0 + Duration::from_millis(2300 + 700))
            .is_some());
    }

    #[test]
    fn audio_gaps_are_concealed_time_but_silence_is_not() {
        let t0 = Instant::now();
        let mut meter = AudioGapMeter::default();
        assert_eq!(meter.packet(t0), Duration::ZERO);
        assert_eq!(meter.packet(t0 + Duration::from_millis(20)), Duration::ZERO);
        // Three packets lost: 80 ms since the last, 60 ms made up.
        assert_eq!(
            meter.packet(t0 + Duration::from_millis(100)),
            Duration::from_millis(60)
        );
        assert_eq!(meter.packet(t0 + Duration::from_secs(5)), Duration::ZERO);
    }

    #[test]
    fn mos_is_high_on_a_clean_link_and_falls_with_delay_and_loss() {
        let clean = mos(2.0, 1.0, 0.0);
        assert!(clean > 4.3, "{clean}");
        let far = mos(300.0, 20.0, 0.0);
        assert!(far < clean && far > 3.5, "{far}");
        let lossy = mos(40.0, 10.0, 10.0);
        assert!(lossy < 3.8, "{lossy}");
        assert_eq!(mos(10_000.0, 5_000.0, 100.0), 1.0);
    }

    #[test]
    fn percentiles_by_nearest_rank() {
        let v = [100.0, 400.0, 200.0, 1000.0, 300.0];
        assert_eq!(percentile(&v, 50.0), 300.0);
        assert_eq!(percentile(&v, 95.0), 1000.0);
        assert_eq!(percentile(&[], 50.0), 0.0);
    }
}
