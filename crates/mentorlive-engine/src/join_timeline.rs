//! When each step of joining a call happened, from `Call::join`: the join
//! timeline of issue 19, so that a step that waits for nothing shows. Each
//! step is noted once, the first time; a reconnection later in the call
//! does not move it.

use std::time::{Duration, Instant};

/// The steps of joining, in the order they usually come.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JoinStep {
    /// The Socket.IO connection is open (authenticated).
    SignalingConnected,
    /// The server acknowledged `live:join`.
    JoinAcked,
    /// The partner is known to be in the room.
    PeerPresent,
    OfferSent,
    AnswerSent,
    /// The partner's offer or answer is the remote description.
    RemoteDescriptionApplied,
    /// ICE found a working pair.
    IceConnected,
    /// The whole connection is up: ICE and the DTLS handshake.
    DtlsConnected,
    /// The data channel opened: SCTP is up over DTLS.
    DataChannelOpen,
    /// The first RTP packet of the partner's media arrived.
    FirstRtp,
    /// The first whole frame of the partner's camera left the engine.
    FirstVideoFrame,
}

#[derive(Debug, Default)]
pub struct JoinTimeline {
    start: Option<Instant>,
    steps: Vec<(JoinStep, Duration)>,
}

impl JoinTimeline {
    /// Starts the clock; steps noted before this are ignored.
    pub fn start(&mut self, at: Instant) {
        self.start = Some(at);
        self.steps.clear();
    }

    /// Notes `step` at `at` unless it was noted already.
    pub fn note(&mut self, step: JoinStep, at: Instant) {
        let Some(start) = self.start else { return };
        if self.steps.iter().all(|(s, _)| *s != step) {
            self.steps.push((step, at.saturating_duration_since(start)));
        }
    }

    /// The steps noted so far, in the order they happened.
    pub fn steps(&self) -> Vec<(JoinStep, Duration)> {
        self.steps.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_step_is_noted_once_from_the_start() {
        let t0 = Instant::now();
        let mut timeline = JoinTimeline::default();
        timeline.note(JoinStep::JoinAcked, t0);
        assert!(timeline.steps().is_empty(), "not started: nothing noted");
        timeline.start(t0);
        timeline.note(JoinStep::JoinAcked, t0 + Duration::from_millis(20));
        timeline.note(JoinStep::IceConnected, t0 + Duration::from_millis(90));
        // An ICE restart later in the call does not move the first one.
        timeline.note(JoinStep::IceConnected, t0 + Duration::from_secs(60));
        assert_eq!(
            timeline.steps(),
            vec![
                (JoinStep::JoinAcked, Duration::from_millis(20)),
                (JoinStep::IceConnected, Duration::from_millis(90)),
            ]
        );
    }
}
