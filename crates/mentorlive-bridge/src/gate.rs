//! Back-pressure towards the webview, free of I/O: given whether the queue
//! to the webview has room, decide per video frame whether it goes.
//!
//! A delta frame is useless without every frame since the last keyframe, so
//! once one frame is dropped, every following delta frame is dropped too
//! until a keyframe arrives; the keyframe is asked for once, and again at
//! most every `retry` while still waiting (the request itself can be lost).

use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admit {
    Pass,
    Drop { ask_keyframe: bool },
}

#[derive(Debug)]
pub struct KeyframeGate {
    waiting_since: Option<Instant>,
    last_ask: Option<Instant>,
    retry: Duration,
    pub dropped: u64,
}

impl KeyframeGate {
    pub fn new(retry: Duration) -> KeyframeGate {
        KeyframeGate {
            waiting_since: None,
            last_ask: None,
            retry,
            dropped: 0,
        }
    }

    pub fn waiting(&self) -> bool {
        self.waiting_since.is_some()
    }

    pub fn admit(&mut self, keyframe: bool, room: bool, now: Instant) -> Admit {
        if room && (keyframe || self.waiting_since.is_none()) {
            self.waiting_since = None;
            return Admit::Pass;
        }
        self.dropped += 1;
        if self.waiting_since.is_none() {
            self.waiting_since = Some(now);
        }
        let ask = self
            .last_ask
            .is_none_or(|at| now.duration_since(at) >= self.retry)
            // A keyframe that found no room: the next one is on its way only if asked.
            || keyframe;
        if ask {
            self.last_ask = Some(now);
        }
        Admit::Drop { ask_keyframe: ask }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_pass_while_there_is_room() {
        let mut gate = KeyframeGate::new(Duration::from_secs(1));
        let now = Instant::now();
        for key in [true, false, false] {
            assert_eq!(gate.admit(key, true, now), Admit::Pass);
        }
        assert_eq!(gate.dropped, 0);
    }

    #[test]
    fn after_one_drop_deltas_wait_for_the_next_keyframe_asked_once() {
        let mut gate = KeyframeGate::new(Duration::from_secs(1));
        let t0 = Instant::now();
        assert_eq!(
            gate.admit(false, false, t0),
            Admit::Drop { ask_keyframe: true }
        );
        // Room again, but these deltas refer to the frame that was dropped.
        let t1 = t0 + Duration::from_millis(33);
        assert_eq!(
            gate.admit(false, true, t1),
            Admit::Drop {
                ask_keyframe: false
            }
        );
        assert_eq!(
            gate.admit(false, true, t1),
            Admit::Drop {
                ask_keyframe: false
            }
        );
        assert!(gate.waiting());
        // Still waiting a second later: ask again.
        let t2 = t0 + Duration::from_millis(1_001);
        assert_eq!(
            gate.admit(false, true, t2),
            Admit::Drop { ask_keyframe: true }
        );
        assert_eq!(gate.admit(true, true, t2), Admit::Pass);
        assert!(!gate.waiting());
        assert_eq!(gate.admit(false, true, t2), Admit::Pass);
        assert_eq!(gate.dropped, 4);
    }

    #[test]
    fn a_keyframe_without_room_asks_for_another() {
        let mut gate = KeyframeGate::new(Duration::from_secs(1));
        let t0 = Instant::now();
        assert_eq!(
            gate.admit(false, false, t0),
            Admit::Drop { ask_keyframe: true }
        );
        assert_eq!(
            gate.admit(true, false, t0),
            Admit::Drop { ask_keyframe: true }
        );
    }
}
