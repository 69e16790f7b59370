//! Recording consent, as the contract's "Recording" section says: nobody is
//! recorded without saying yes. Two independent halves: our recording (we
//! ask, the partner answers, we record) and theirs (they ask, our user
//! answers, they record). No I/O: messages, the recorder's start and stop,
//! and what the application shows come out; the time goes in.

use mentorlive_protocol::peer_messages::{RecordAction, RecordMessage};
use std::time::{Duration, Instant};

/// No answer within this long is a decline, on both sides.
pub const ANSWER_WITHIN: Duration = Duration::from_secs(30);
/// A request not yet answered, or an accept not yet followed by `started`,
/// is said again this often: a message can be lost in the instant a data
/// channel opens, and both are idempotent by their id.
pub const SAY_AGAIN_EVERY: Duration = Duration::from_secs(3);

/// Our recording, as the application shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum OurRecording {
    Off,
    /// Asked; waiting for the partner's answer.
    Asking,
    Recording,
}

/// The partner's recording of us.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum TheirRecording {
    Off,
    /// They ask; our user has not answered.
    Asking,
    /// Our user said yes; they have not started.
    Allowed,
    Recording,
}

/// Why a recording (or a request for one) ended, for the notice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum RecordingEnd {
    /// The partner said no.
    Declined,
    /// The partner did not answer in time (or does not know recording).
    NoAnswer,
    /// The partner withdrew their consent.
    Revoked,
    /// Whoever recorded stopped.
    Stopped,
    /// The partner left the call.
    PartnerLeft,
    /// The recorder could not go on (the disk, a write).
    Failed,
}

/// Both halves at once, as the application shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RecordingView {
    pub ours: OurRecording,
    pub theirs: TheirRecording,
    /// What just ended, if this change is an end.
    #[cfg_attr(feature = "ts", ts(optional))]
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub ended: Option<RecordingEnd>,
}

/// What the consent machine asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum ConsentOut {
    Send(RecordMessage),
    StartRecorder,
    StopRecorder,
    Changed(RecordingView),
}

#[derive(Debug, Clone, PartialEq)]
enum Ours {
    Off,
    Asking { id: String, until: Instant },
    Recording { id: String },
}

#[derive(Debug, Clone, PartialEq)]
enum Theirs {
    Off,
    Asking { id: String, until: Instant },
    Allowed { id: String },
    Recording { id: String },
}

#[derive(Debug)]
pub struct Consent {
    ours: Ours,
    theirs: Theirs,
    /// When to say an unanswered request or an unheeded accept again.
    again_at: Option<Instant>,
    out: Vec<ConsentOut>,
}

impl Default for Consent {
    fn default() -> Self {
        Consent {
            ours: Ours::Off,
            theirs: Theirs::Off,
            again_at: None,
            out: Vec::new(),
        }
    }
}

fn message(action: RecordAction, id: &str) -> ConsentOut {
    ConsentOut::Send(RecordMessage {
        action,
        id: id.to_owned(),
    })
}

impl Consent {
    /// What came out of the last step, in order.
    pub fn drain(&mut self) -> Vec<ConsentOut> {
        std::mem::take(&mut self.out)
    }

    pub fn view(&self) -> RecordingView {
        RecordingView {
            ours: match self.ours {
                Ours::Off => OurRecording::Off,
                Ours::Asking { .. } => OurRecording::Asking,
                Ours::Recording { .. } => OurRecording::Recording,
            },
            theirs: match self.theirs {
                Theirs::Off => TheirRecording::Off,
                Theirs::Asking { .. } => TheirRecording::Asking,
                Theirs::Allowed { .. } => TheirRecording::Allowed,
                Theirs::Recording { .. } => TheirRecording::Recording,
            },
            ended: None,
        }
    }

    fn changed(&mut self, ended: Option<RecordingEnd>) {
        let view = RecordingView {
            ended,
            ..self.view()
        };
        self.out.push(ConsentOut::Changed(view));
    }

    /// When an unanswered request runs out.
    pub fn deadline(&self) -> Option<Instant> {
        let ours = match &self.ours {
            Ours::Asking { until, .. } => Some(*until),
            _ => None,
        };
        let theirs = match &self.theirs {
            Theirs::Asking { until, .. } => Some(*until),
            _ => None,
        };
        ours.into_iter().chain(theirs).chain(self.again_at).min()
    }

    /// Our user wants to record (`id` fresh for this consent).
    pub fn request(&mut self, id: String, now: Instant) {
        if self.ours != Ours::Off {
            return;
        }
        self.out.push(message(RecordAction::Request, &id));
        self.ours = Ours::Asking {
            id,
            until: now + ANSWER_WITHIN,
        };
        self.again_at = Some(now + SAY_AGAIN_EVERY);
        self.changed(None);
    }

    /// Our user stops our recording, or withdraws an unanswered request
    /// (the partner's question goes away with the `stopped`).
    pub fn stop(&mut self, why: RecordingEnd) {
        match std::mem::replace(&mut self.ours, Ours::Off) {
            Ours::Off => {}
            Ours::Asking { id, .. } => {
                self.out.push(message(RecordAction::Stopped, &id));
                self.changed(Some(why));
            }
            Ours::Recording { id } => {
                // The partner is told first and the application next: the
                // recorder's stop waits for its file to be completed.
                self.out.push(message(RecordAction::Stopped, &id));
                self.changed(Some(why));
                self.out.push(ConsentOut::StopRecorder);
            }
        }
    }

    /// Our user's answer to the partner's request.
    pub fn answer(&mut self, accept: bool, now: Instant) {
        let Theirs::Asking { id, .. } = &self.theirs else {
            return;
        };
        let id = id.clone();
        if accept {
            self.out.push(message(RecordAction::Accept, &id));
            self.theirs = Theirs::Allowed { id };
            self.again_at = Some(now + SAY_AGAIN_EVERY);
            self.changed(None);
        } else {
            self.out.push(message(RecordAction::Decline, &id));
            self.theirs = Theirs::Off;
            self.changed(Some(RecordingEnd::Declined));
        }
    }

    /// Our user withdraws consent: the partner must stop at once.
    pub fn revoke(&mut self) {
        match std::mem::replace(&mut self.theirs, Theirs::Off) {
            Theirs::Allowed { id } | Theirs::Recording { id } => {
                self.out.push(message(RecordAction::Revoke, &id));
                self.changed(Some(RecordingEnd::Revoked));
            }
            Theirs::Asking { id, .. } => {
                self.out.push(message(RecordAction::Decline, &id));
                self.changed(Some(RecordingEnd::Declined));
            }
            Theirs::Off => {}
        }
    }

    /// The recorder stopped by itself (a full disk) or could not start.
    pub fn recorder_failed(&mut self) {
        self.stop(RecordingEnd::Failed);
        // stop() asked the recorder to stop; it already has.
        self.out.retain(|o| *o != ConsentOut::StopRecorder);
    }

    pub fn on_message(&mut self, msg: RecordMessage, now: Instant) {
        let id = msg.id;
        match msg.action {
            RecordAction::Request => {
                let same = matches!(&self.theirs, Theirs::Asking { id: asked, .. } if *asked == id);
                if !same {
                    self.theirs = Theirs::Asking {
                        id,
                        until: now + ANSWER_WITHIN,
                    };
                    self.changed(None);
                }
            }
            RecordAction::Accept => {
                if matches!(&self.ours, Ours::Recording { id: running } if *running == id) {
                    // Our `started` was lost: said again.
                    self.out.push(message(RecordAction::Started, &id));
                } else if matches!(&self.ours, Ours::Asking { id: asked, .. } if *asked == id) {
                    self.ours = Ours::Recording { id: id.clone() };
                    self.out.push(ConsentOut::StartRecorder);
                    self.out.push(message(RecordAction::Started, &id));
                    self.changed(None);
                }
            }
            RecordAction::Decline => {
                if matches!(&self.ours, Ours::Asking { id: asked, .. } if *asked == id) {
                    self.ours = Ours::Off;
                    self.changed(Some(RecordingEnd::Declined));
                }
            }
            RecordAction::Started => {
                // Shown even without our consent on record: a person must
                // know they are being recorded, whatever the other side did.
                if !matches!(&self.theirs, Theirs::Recording { id: now_id } if *now_id == id) {
                    self.theirs = Theirs::Recording { id };
                    self.changed(None);
                }
            }
            RecordAction::Stopped => match &self.theirs {
                Theirs::Recording { .. } => {
                    self.theirs = Theirs::Off;
                    self.changed(Some(RecordingEnd::Stopped));
                }
                Theirs::Asking { id: asked, .. } | Theirs::Allowed { id: asked }
                    if *asked == id =>
                {
                    self.theirs = Theirs::Off;
                    self.changed(Some(RecordingEnd::Stopped));
                }
                _ => {}
            },
            RecordAction::Revoke => {
                let ours_id = match &self.ours {
                    Ours::Recording { id } | Ours::Asking { id, .. } => Some(id.clone()),
                    Ours::Off => None,
                };
                if ours_id.is_some_and(|ours| ours == id) {
                    self.stop(RecordingEnd::Revoked);
                }
            }
            RecordAction::Unknown(_) => {}
        }
    }

    pub fn handle_timeout(&mut self, now: Instant) {
        if let Ours::Asking { id, until } = &self.ours {
            if now >= *until {
                // The question is withdrawn, so that a late copy of it does
                // not ask the partner again.
                let id = id.clone();
                self.out.push(message(RecordAction::Stopped, &id));
                self.ours = Ours::Off;
                self.changed(Some(RecordingEnd::NoAnswer));
            }
        }
        if let Theirs::Asking { id, until } = &self.theirs {
            if now >= *until {
                // Unanswered is a decline; said, in case the partner waits.
                let id = id.clone();
                self.out.push(message(RecordAction::Decline, &id));
                self.theirs = Theirs::Off;
                self.changed(Some(RecordingEnd::NoAnswer));
            }
        }
        if self.again_at.is_some_and(|at| now >= at) {
            self.again_at = None;
            if let Ours::Asking { id, .. } = &self.ours {
                let id = id.clone();
                self.out.push(message(RecordAction::Request, &id));
                self.again_at = Some(now + SAY_AGAIN_EVERY);
            }
            if let Theirs::Allowed { id } = &self.theirs {
                let id = id.clone();
                self.out.push(message(RecordAction::Accept, &id));
                self.again_at = Some(now + SAY_AGAIN_EVERY);
            }
        }
    }

    /// The data channel (re)opened: a running recording says so again, an
    /// unanswered request is asked again (it may have been lost).
    pub fn on_channel_open(&mut self) {
        match &self.ours {
            Ours::Recording { id } => {
                let id = id.clone();
                self.out.push(message(RecordAction::Started, &id));
            }
            Ours::Asking { id, .. } => {
                let id = id.clone();
                self.out.push(message(RecordAction::Request, &id));
            }
            Ours::Off => {}
        }
    }

    /// The partner left the call (not a dropped connection: they may be
    /// back). Our recording stops; theirs of us is over.
    pub fn on_partner_left(&mut self) {
        self.stop(RecordingEnd::PartnerLeft);
        if self.theirs != Theirs::Off {
            self.theirs = Theirs::Off;
            self.changed(Some(RecordingEnd::PartnerLeft));
        }
    }

    /// We leave: our recording stops.
    pub fn on_hang_up(&mut self) {
        self.stop(RecordingEnd::Stopped);
        self.theirs = Theirs::Off;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(action: RecordAction, id: &str) -> RecordMessage {
        RecordMessage {
            action,
            id: id.into(),
        }
    }

    fn sent(out: &[ConsentOut]) -> Vec<RecordAction> {
        out.iter()
            .filter_map(|o| match o {
                ConsentOut::Send(m) => Some(m.action.clone()),
                _ => None,
            })
            .collect()
    }

    /// Two sides, stepped against each other.
    fn exchange(from: &mut Consent, to: &mut Consent, now: Instant) -> Vec<ConsentOut> {
        let out = from.drain();
        for o in &out {
            if let ConsentOut::Send(m) = o {
                to.on_message(m.clone(), now);
            }
        }
        out
    }

    #[test]
    fn asked_accepted_recorded_then_revoked() {
        let t = Instant::now();
        let (mut ana, mut ben) = (Consent::default(), Consent::default());
        ana.request("r1".into(), t);
        exchange(&mut ana, &mut ben, t);
        assert_eq!(ana.view().ours, OurRecording::Asking);
        assert_eq!(ben.view().theirs, TheirRecording::Asking);
        ben.answer(true, t);
        exchange(&mut ben, &mut ana, t);
        let out = exchange(&mut ana, &mut ben, t);
        assert!(out.contains(&ConsentOut::StartRecorder), "{out:?}");
        assert_eq!(sent(&out), vec![RecordAction::Started]);
        assert_eq!(
            (ana.view().ours, ben.view().theirs),
            (OurRecording::Recording, TheirRecording::Recording)
        );
        ben.revoke();
        exchange(&mut ben, &mut ana, t);
        let out = exchange(&mut ana, &mut ben, t);
        assert!(out.contains(&ConsentOut::StopRecorder));
        assert!(out.contains(&ConsentOut::Changed(RecordingView {
            ours: OurRecording::Off,
            theirs: TheirRecording::Off,
            ended: Some(RecordingEnd::Revoked)
        })));
        assert_eq!(ben.view().theirs, TheirRecording::Off);
    }

    #[test]
    fn silence_is_a_decline_and_nothing_starts() {
        let t = Instant::now();
        let mut ana = Consent::default();
        ana.request("r1".into(), t);
        ana.drain();
        assert_eq!(
            ana.deadline(),
            Some(t + SAY_AGAIN_EVERY),
            "the request is said again until answered"
        );
        ana.handle_timeout(t + ANSWER_WITHIN - Duration::from_millis(1));
        assert_eq!(ana.view().ours, OurRecording::Asking);
        ana.handle_timeout(t + ANSWER_WITHIN);
        let out = ana.drain();
        assert!(!out.contains(&ConsentOut::StartRecorder));
        assert_eq!(ana.view().ours, OurRecording::Off);
        assert!(
            matches!(out.last(), Some(ConsentOut::Changed(v)) if v.ended == Some(RecordingEnd::NoAnswer))
        );
        // A late accept starts nothing.
        ana.on_message(msg(RecordAction::Accept, "r1"), t + ANSWER_WITHIN * 2);
        assert!(ana.drain().is_empty());
    }

    #[test]
    fn a_decline_or_an_accept_for_another_request_starts_nothing() {
        let t = Instant::now();
        let mut ana = Consent::default();
        ana.request("r2".into(), t);
        ana.drain();
        ana.on_message(msg(RecordAction::Accept, "r1"), t);
        assert!(ana.drain().is_empty(), "an old consent is not this one");
        ana.on_message(msg(RecordAction::Unknown("maybe".into()), "r2"), t);
        assert!(ana.drain().is_empty());
        ana.on_message(msg(RecordAction::Decline, "r2"), t);
        assert_eq!(ana.view().ours, OurRecording::Off);
    }

    #[test]
    fn an_unanswered_question_declines_itself_on_our_side_too() {
        let t = Instant::now();
        let mut ben = Consent::default();
        ben.on_message(msg(RecordAction::Request, "r1"), t);
        ben.drain();
        ben.handle_timeout(t + ANSWER_WITHIN);
        assert_eq!(sent(&ben.drain()), vec![RecordAction::Decline]);
        assert_eq!(ben.view().theirs, TheirRecording::Off);
        ben.answer(true, t);
        assert!(ben.drain().is_empty(), "too late to accept");
    }

    #[test]
    fn a_reconnect_says_started_again_and_leaving_stops() {
        let t = Instant::now();
        let mut ana = Consent::default();
        ana.request("r1".into(), t);
        ana.on_message(msg(RecordAction::Accept, "r1"), t);
        ana.drain();
        ana.on_channel_open();
        assert_eq!(sent(&ana.drain()), vec![RecordAction::Started]);
        ana.on_hang_up();
        let out = ana.drain();
        assert!(out.contains(&ConsentOut::StopRecorder));
        assert_eq!(sent(&out), vec![RecordAction::Stopped]);
    }

    #[test]
    fn the_partner_leaving_ends_both_halves() {
        let t = Instant::now();
        let mut ana = Consent::default();
        ana.request("r1".into(), t);
        ana.on_message(msg(RecordAction::Accept, "r1"), t);
        ana.on_message(msg(RecordAction::Started, "b1"), t);
        ana.drain();
        ana.on_partner_left();
        let out = ana.drain();
        assert!(out.contains(&ConsentOut::StopRecorder));
        assert_eq!(
            (ana.view().ours, ana.view().theirs),
            (OurRecording::Off, TheirRecording::Off)
        );
    }
}
