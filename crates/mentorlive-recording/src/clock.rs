//! When each frame happened, on the recording's one timeline (µs since it
//! started). Our frames come with how long they show; the partner's with
//! RTP timestamps. Each track follows its own media clock, anchored to the
//! moment its first frame arrived, so audio plays gapless and video
//! evenly; a frame far from where its clock puts it (a mute, a stall, a
//! reconnect that restarted the partner's RTP clock) anchors it again.

/// How far our frames may drift from their arrival before the clock is
/// re-anchored (a muted microphone sends nothing for a while).
const OURS_TOLERANCE_US: i64 = 150_000;
/// The same for the partner's: their frames come through a jitter buffer.
const THEIRS_TOLERANCE_US: i64 = 300_000;

/// One track's clock.
#[derive(Debug, Default, Clone)]
pub struct TrackClock {
    /// Ours: when the next frame is due.
    next_us: Option<i64>,
    /// Theirs: (time, RTP timestamp) of the anchor.
    anchor: Option<(i64, u32)>,
}

impl TrackClock {
    /// One of our frames, arriving at `arrival_us`, showing `duration_us`.
    pub fn ours(&mut self, arrival_us: i64, duration_us: i64) -> i64 {
        let at = match self.next_us {
            Some(next) if (arrival_us - next).abs() <= OURS_TOLERANCE_US => next,
            _ => arrival_us,
        };
        self.next_us = Some(at + duration_us.max(0));
        at.max(0)
    }

    /// One of the partner's frames with RTP timestamp `rtp` of a `rate` Hz
    /// clock, arriving at `arrival_us`.
    pub fn theirs(&mut self, arrival_us: i64, rtp: u32, rate: u32) -> i64 {
        if let Some((anchor_us, anchor_rtp)) = self.anchor {
            // Signed: a timestamp a little behind the anchor is a late frame.
            let ticks = i64::from(rtp.wrapping_sub(anchor_rtp) as i32);
            let expected = anchor_us + ticks * 1_000_000 / i64::from(rate.max(1));
            if (arrival_us - expected).abs() <= THEIRS_TOLERANCE_US && expected >= 0 {
                return expected;
            }
        }
        self.anchor = Some((arrival_us, rtp));
        arrival_us.max(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_audio_is_gapless_despite_bursty_arrival() {
        let mut clock = TrackClock::default();
        // Five 20 ms packets arriving in two bursts.
        let arrivals = [0, 1_000, 2_000, 60_000, 61_000];
        let times: Vec<_> = arrivals.iter().map(|a| clock.ours(*a, 20_000)).collect();
        assert_eq!(times, vec![0, 20_000, 40_000, 60_000, 80_000]);
        // A mute of two seconds: the clock follows the arrival again.
        assert_eq!(clock.ours(2_500_000, 20_000), 2_500_000);
        assert_eq!(clock.ours(2_510_000, 20_000), 2_520_000);
    }

    #[test]
    fn their_video_follows_rtp_and_reanchors_after_a_restart() {
        let mut clock = TrackClock::default();
        assert_eq!(clock.theirs(1_000_000, 90_000, 90_000), 1_000_000);
        // 3000 ticks of 90 kHz = 33.3 ms, arriving with jitter.
        assert_eq!(clock.theirs(1_050_000, 93_000, 90_000), 1_033_333);
        // Wrapping around u32 is still forward.
        let mut wrap = TrackClock::default();
        wrap.theirs(0, u32::MAX - 1_499, 90_000);
        assert_eq!(wrap.theirs(40_000, 1_500, 90_000), 33_333);
        // A new RTP clock after a reconnect: anchored on arrival.
        assert_eq!(clock.theirs(9_000_000, 12, 90_000), 9_000_000);
        assert_eq!(clock.theirs(9_040_000, 3_012, 90_000), 9_033_333);
    }
}
