//! Keeps video out of a pacer queue that would only make it late.
//!
//! When the link narrows faster than the encoder follows (or the encoder
//! cannot go as low as the target: a file's leanest rendition, a camera at
//! its floor), frames queue in the pacer and each arrives later than the
//! last. A frame a second late is worth less than no frame: the partner
//! would see the past, and the sound, which leaves first (pacer.rs), would
//! no longer match the picture. So past [`SHED_ABOVE`] of queued video the
//! pump drops frames instead of queueing them, as libwebrtc's encoder drops
//! frames it has no budget for. A VP8 delta frame needs the one before it,
//! so once one is dropped every frame is until the next keyframe, which is
//! asked of our encoder once the queue has drained ([`RESUME_BELOW`]). The
//! partner sees the last good picture held, never a broken one.
//!
//! A keyframe is large (a screen's is 170 kB) and queues on its own; the
//! delta frames after it are let through up to [`HARD_LIMIT`], or a long
//! keyframe would be followed by a request for another, forever.

use std::time::{Duration, Instant};

/// Queued video past which a delta frame is dropped.
pub const SHED_ABOVE: Duration = Duration::from_millis(300);
/// While a keyframe drains: the longest queue a frame may join.
pub const HARD_LIMIT: Duration = Duration::from_millis(1500);
/// The queue short enough to ask our encoder for a keyframe.
pub const RESUME_BELOW: Duration = Duration::from_millis(80);
/// A keyframe asked for and not come (the encoder missed the request) is
/// asked for again after this long.
pub const ASK_AGAIN_AFTER: Duration = Duration::from_secs(1);

/// What the pump does with a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Send,
    Drop,
    /// Drop it, and ask our encoder for a keyframe to start again from.
    DropAndAskKeyframe,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Frames go; `draining` while the last keyframe's own queue lasts.
    Passing { draining: bool },
    /// Frames are dropped until a keyframe can go into a short queue.
    Shedding { asked_at: Option<Instant> },
}

/// One video stream's shedding, stepped by each frame with the pacer's
/// backlog at that instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shedder {
    state: State,
}

impl Default for Shedder {
    fn default() -> Self {
        Self {
            state: State::Passing { draining: false },
        }
    }
}

impl Shedder {
    pub fn on_frame(&mut self, keyframe: bool, backlog: Duration, now: Instant) -> Verdict {
        match self.state {
            State::Passing { draining } => {
                let limit = if draining || keyframe {
                    HARD_LIMIT
                } else {
                    SHED_ABOVE
                };
                if backlog <= limit {
                    // The keyframe's grace lasts until its queue is short.
                    let draining = keyframe || (draining && backlog > SHED_ABOVE);
                    self.state = State::Passing { draining };
                    return Verdict::Send;
                }
                self.state = State::Shedding { asked_at: None };
                self.on_frame(keyframe, backlog, now)
            }
            State::Shedding { asked_at } => {
                // A keyframe starts again into any queue a frame may join:
                // waiting for a shorter one could drop the keyframe asked
                // for, when retransmissions keep a short queue busy.
                if keyframe && backlog <= SHED_ABOVE {
                    self.state = State::Passing { draining: true };
                    return Verdict::Send;
                }
                if backlog > RESUME_BELOW {
                    return Verdict::Drop;
                }
                let due = asked_at.is_none_or(|at| now.duration_since(at) >= ASK_AGAIN_AFTER);
                if due {
                    self.state = State::Shedding {
                        asked_at: Some(now),
                    };
                    Verdict::DropAndAskKeyframe
                } else {
                    Verdict::Drop
                }
            }
        }
    }

    #[cfg(test)]
    fn shedding(&self) -> bool {
        matches!(self.state, State::Shedding { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn a_short_queue_passes_everything() {
        let mut shedder = Shedder::default();
        let now = Instant::now();
        for i in 0..100 {
            assert_eq!(
                shedder.on_frame(i % 30 == 0, ms(i % 250), now),
                Verdict::Send
            );
        }
    }

    #[test]
    fn a_long_queue_drops_until_it_drains_then_starts_again_from_a_keyframe() {
        let mut shedder = Shedder::default();
        let t0 = Instant::now();
        let at = |n: u64| t0 + ms(n * 33);
        assert_eq!(shedder.on_frame(false, ms(200), at(0)), Verdict::Send);
        // The link narrowed: the queue passes the bound.
        assert_eq!(shedder.on_frame(false, ms(350), at(1)), Verdict::Drop);
        assert!(shedder.shedding());
        // Still draining: dropped, even a frame that would fit again.
        assert_eq!(shedder.on_frame(false, ms(200), at(2)), Verdict::Drop);
        // Drained: the encoder is asked for a keyframe, once.
        assert_eq!(
            shedder.on_frame(false, ms(50), at(3)),
            Verdict::DropAndAskKeyframe
        );
        assert_eq!(shedder.on_frame(false, ms(40), at(4)), Verdict::Drop);
        // The keyframe goes, and the frames after it.
        assert_eq!(shedder.on_frame(true, ms(30), at(5)), Verdict::Send);
        assert!(!shedder.shedding());
        assert_eq!(shedder.on_frame(false, ms(60), at(6)), Verdict::Send);
    }

    #[test]
    fn a_keyframe_missed_by_the_encoder_is_asked_for_again() {
        let mut shedder = Shedder::default();
        let t0 = Instant::now();
        assert_eq!(shedder.on_frame(false, ms(400), t0), Verdict::Drop);
        assert_eq!(
            shedder.on_frame(false, ms(0), t0 + ms(100)),
            Verdict::DropAndAskKeyframe
        );
        assert_eq!(shedder.on_frame(false, ms(0), t0 + ms(900)), Verdict::Drop);
        assert_eq!(
            shedder.on_frame(false, ms(0), t0 + ms(1100)),
            Verdict::DropAndAskKeyframe
        );
    }

    #[test]
    fn the_frames_after_a_large_keyframe_wait_behind_it_instead_of_asking_for_another() {
        let mut shedder = Shedder::default();
        let t0 = Instant::now();
        // A screen's keyframe: 700 ms of queue on its own.
        assert_eq!(shedder.on_frame(true, ms(10), t0), Verdict::Send);
        assert_eq!(shedder.on_frame(false, ms(700), t0 + ms(33)), Verdict::Send);
        assert_eq!(
            shedder.on_frame(false, ms(400), t0 + ms(300)),
            Verdict::Send
        );
        // Its grace ends once the queue is short again.
        assert_eq!(
            shedder.on_frame(false, ms(200), t0 + ms(500)),
            Verdict::Send
        );
        assert_eq!(
            shedder.on_frame(false, ms(400), t0 + ms(600)),
            Verdict::Drop
        );
    }

    #[test]
    fn past_the_hard_limit_even_a_keyframe_waits() {
        let mut shedder = Shedder::default();
        let t0 = Instant::now();
        assert_eq!(shedder.on_frame(true, ms(2000), t0), Verdict::Drop);
        assert_eq!(shedder.on_frame(true, ms(400), t0 + ms(300)), Verdict::Drop);
        // A keyframe goes into a queue a delta frame could join.
        assert_eq!(shedder.on_frame(true, ms(250), t0 + ms(500)), Verdict::Send);
    }
}
