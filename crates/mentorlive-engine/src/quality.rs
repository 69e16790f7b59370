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

/// Opus frames are 20 ms.
const AUDIO_FRAME: Duration = Duration::from_millis(20);
/// The app's player (`ui/public/worklets/player.js`) starts once 60 ms are
/// queued: in a steady stream a packet's sound plays 40 ms after it
/// arrives, so a packet may come up to that much after its turn unnoticed.
const PLAYOUT_START: Duration = Duration::from_millis(60);
/// It drops the oldest sound past 200 ms queued, to stay current.
const PLAYOUT_MAX: Duration = Duration::from_millis(200);
/// The longest gap the app's decoder makes up (`mentorlive-bridge`
/// `sound.rs` takes it from here, so the two cannot disagree): a longer
/// one is a pause or an outage, where made-up sound would be worse than
/// the player's silence.
pub const MADE_UP_AT_MOST: Duration = Duration::from_millis(100);
/// A longer pause in the sound is silence by choice (muted, no
/// microphone), which no player makes up.
const SILENCE_BY_CHOICE: Duration = Duration::from_secs(1);
const OPUS_RATE: u64 = 48_000;

/// The partner's sound that the app's player makes up (W3C
/// `concealedSamples`, in time), with the app's pipeline: the engine passes
/// the sound on in sending order (`audio_order.rs`); the decoder
/// (`mentorlive-bridge` `sound.rs`) makes up what is missing when the next
/// packet arrives, up to 100 ms; the player (`player.js`) plays silence
/// when its queue runs dry and starts again once it holds 60 ms. Counted:
/// what is missing, and the silence while the player waits. The last
/// missing packet may come back from the next one's in-band FEC, which the
/// app's encoder sends; this counts it anyway, as no packet says whether it
/// carries any. Jitter within the buffer costs nothing: the earlier count,
/// every gap over 40 ms between arrivals, read 10-16 % of the sound
/// concealed under ±20 ms of jitter and 3 % loss.
#[derive(Debug, Default)]
pub struct AudioGapMeter {
    /// The newest packet's RTP timestamp, and when its sound plays.
    newest: Option<(u32, Instant)>,
}

impl AudioGapMeter {
    /// A packet with RTP timestamp `rtp` (a 48 kHz clock) arrived at
    /// `now`: the time concealed before it.
    pub fn packet(&mut self, now: Instant, rtp: u32) -> Duration {
        let afresh = (rtp, now + PLAYOUT_START - AUDIO_FRAME);
        let Some((newest_rtp, newest_plays)) = self.newest else {
            self.newest = Some(afresh);
            return Duration::ZERO;
        };
        if now >= newest_plays + SILENCE_BY_CHOICE {
            self.newest = Some(afresh);
            return Duration::ZERO;
        }
        // Signed: a packet a little behind the newest comes after its sound
        // was made up (reordered, repeated), and the player skips it; far
        // behind, the sender's clock started again.
        let ticks = i64::from(rtp.wrapping_sub(newest_rtp) as i32);
        if ticks <= -(OPUS_RATE as i64) {
            self.newest = Some(afresh);
            return Duration::ZERO;
        }
        if ticks <= 0 {
            return Duration::ZERO;
        }
        let step = Duration::from_micros(ticks as u64 * 1_000_000 / OPUS_RATE);
        if step >= SILENCE_BY_CHOICE {
            self.newest = Some(afresh);
            return Duration::ZERO;
        }
        // What is missing is made up when this packet arrives, not before,
        // and only up to 100 ms; a longer gap is left out.
        let missing = step.saturating_sub(AUDIO_FRAME);
        let made_up = if missing <= MADE_UP_AT_MOST {
            missing
        } else {
            Duration::ZERO
        };
        let runs_dry = newest_plays + AUDIO_FRAME;
        let (plays, concealed) = if now <= runs_dry {
            // In time: the made-up sound and this packet queue behind what
            // plays (the oldest dropped past 200 ms).
            ((runs_dry + made_up).min(now + PLAYOUT_MAX), missing)
        } else {
            // The player ran dry, and plays again once it holds 60 ms.
            let queued = made_up + AUDIO_FRAME;
            let resumes = now + PLAYOUT_START.saturating_sub(queued);
            (resumes + made_up, made_up + (resumes - runs_dry))
        };
        self.newest = Some((rtp, plays));
        concealed
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

    /// 20 ms of Opus at 48 kHz.
    const TICKS: u32 = 960;

    #[test]
    fn jitter_within_the_players_buffer_costs_nothing_unless_packets_overtake() {
        let t0 = Instant::now();
        let mut meter = AudioGapMeter::default();
        // Each packet up to 35 ms after its time, in order.
        let late = [0, 35, 35, 20, 25, 35, 35, 30, 30, 10];
        let mut concealed = Duration::ZERO;
        for (i, l) in late.iter().enumerate() {
            let at = t0 + Duration::from_millis(i as u64 * 20 + l);
            concealed += meter.packet(at, 5_000 + i as u32 * TICKS);
        }
        assert_eq!(concealed, Duration::ZERO);
        // The next two swapped: the second is made up, the first skipped.
        assert_eq!(meter.packet(t0 + ms(221), 5_000 + 11 * TICKS), ms(20));
        assert_eq!(meter.packet(t0 + ms(222), 5_000 + 10 * TICKS), ms(0));
    }

    fn ms(m: u64) -> Duration {
        Duration::from_millis(m)
    }

    #[test]
    fn lost_and_late_sound_is_concealed_but_silence_is_not() {
        let t0 = Instant::now();
        let ms = |m: u64| t0 + Duration::from_millis(m);
        let mut meter = AudioGapMeter::default();
        assert_eq!(meter.packet(ms(0), 0), Duration::ZERO);
        assert_eq!(meter.packet(ms(20), TICKS), Duration::ZERO);
        // Three packets lost: the player ran dry at 80 ms, and the 60 ms
        // made up come with the next packet at 100.
        assert_eq!(meter.packet(ms(100), 5 * TICKS), Duration::from_millis(80));
        // That one plays at 160, so the player runs dry at 180; the next
        // comes at 200, and 40 ms later it holds 60 ms again.
        assert_eq!(meter.packet(ms(200), 6 * TICKS), Duration::from_millis(60));
        // Lost sound arriving after it was made up changes nothing.
        assert_eq!(meter.packet(ms(205), 3 * TICKS), Duration::ZERO);
        // Muted for 5 s: nothing to make up.
        assert_eq!(meter.packet(ms(5_200), 256 * TICKS), Duration::ZERO);
        assert_eq!(meter.packet(ms(5_220), 257 * TICKS), Duration::ZERO);
        // The sender's clock starts again, far behind: followed from there.
        assert_eq!(meter.packet(ms(5_240), 7), Duration::ZERO);
        assert_eq!(meter.packet(ms(5_260), 7 + TICKS), Duration::ZERO);
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
