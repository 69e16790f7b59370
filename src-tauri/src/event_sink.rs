//! Where a call's events go: the page's channel of the moment. A reloaded
//! page (an update, F5, or a web process that crashed and was reloaded)
//! attaches a new channel to the call still running in the engine; it is
//! first told what the call is now (the last event of each kind, and the
//! chat), so it draws the same call without a renegotiation. Each event
//! carries the time it happened, so a page told later still runs the call's
//! clock from the call's start, not from its reload, and each recording's
//! clock from that recording's start.

use mentorlive_engine::machine::{OurRecording, TheirRecording};
use mentorlive_engine::{CallEvent, CallState};
use serde::Serialize;
use std::mem::{discriminant, Discriminant};
use std::time::{SystemTime, UNIX_EPOCH};
use tauri::ipc::Channel;

/// An engine event with the wall-clock time it happened, as the page gets it.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct TimedCallEvent {
    /// Milliseconds since the Unix epoch (the page's `Date.now()` clock).
    pub at_ms: u64,
    pub event: CallEvent,
}

impl TimedCallEvent {
    fn now(event: CallEvent) -> TimedCallEvent {
        let at_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        TimedCallEvent { at_ms, event }
    }
}

/// Chat lines kept for a page that attaches later.
const CHAT_KEPT: usize = 500;

#[derive(Default)]
struct Replay {
    /// The first time the call connected: the call's clock runs from it,
    /// across reconnects, so a later `Connected` does not replace it.
    first_connected: Option<TimedCallEvent>,
    /// The event where our recording of the moment began, and the one
    /// where theirs of us began: the flag's clocks run from them. The
    /// latest recording event alone would restart the older one's clock
    /// whenever the other side's recording changed.
    ours_recording_since: Option<TimedCallEvent>,
    theirs_recording_since: Option<TimedCallEvent>,
    events: Vec<TimedCallEvent>,
    chat_lines: usize,
}

impl Replay {
    /// What a page attaching now is told, in the order it happened: when
    /// the call first connected, when each recording of the moment began,
    /// the latest of each kind, and the chat.
    fn told(&self) -> Vec<&TimedCallEvent> {
        let mut told: Vec<&TimedCallEvent> = [
            &self.first_connected,
            &self.ours_recording_since,
            &self.theirs_recording_since,
        ]
        .into_iter()
        .flatten()
        .filter(|event| !self.events.contains(event))
        .collect();
        told.dedup();
        told.extend(&self.events);
        // Stable: events of the same millisecond keep the order they came in.
        told.sort_by_key(|event| event.at_ms);
        told
    }

    /// Remembers what a new page must be told. Figures and requests of the
    /// moment (stats, keyframe asks, bitrate targets) are not.
    fn note(&mut self, timed: &TimedCallEvent) {
        if matches!(
            timed.event,
            CallEvent::State {
                state: CallState::Connected
            }
        ) && self.first_connected.is_none()
        {
            self.first_connected = Some(timed.clone());
        }
        if let CallEvent::Recording { recording } = &timed.event {
            // Told again only for its time: what ended then is old news.
            let began = || {
                let mut event = timed.clone();
                if let CallEvent::Recording { recording } = &mut event.event {
                    recording.ended = None;
                }
                event
            };
            let keep = |since: &mut Option<TimedCallEvent>, recording: bool| match since {
                _ if !recording => *since = None,
                None => *since = Some(began()),
                Some(_) => {}
            };
            keep(
                &mut self.ours_recording_since,
                recording.ours == OurRecording::Recording,
            );
            keep(
                &mut self.theirs_recording_since,
                recording.theirs == TheirRecording::Recording,
            );
        }
        match &timed.event {
            CallEvent::Stats { .. }
            | CallEvent::KeyframeRequested
            | CallEvent::ScreenKeyframeRequested
            | CallEvent::TargetBitrate { .. }
            | CallEvent::Report { .. } => {}
            CallEvent::Chat { .. } => {
                self.events.push(timed.clone());
                self.chat_lines += 1;
                if self.chat_lines > CHAT_KEPT {
                    if let Some(first) = self
                        .events
                        .iter()
                        .position(|e| matches!(e.event, CallEvent::Chat { .. }))
                    {
                        self.events.remove(first);
                        self.chat_lines -= 1;
                    }
                }
            }
            other => {
                let kind: Discriminant<CallEvent> = discriminant(other);
                self.events.retain(|e| discriminant(&e.event) != kind);
                self.events.push(timed.clone());
            }
        }
    }
}

/// The channel of the page attached to the call, and what to tell the next.
pub struct EventSink {
    channel: Channel<TimedCallEvent>,
    replay: Replay,
}

impl EventSink {
    pub fn new(channel: Channel<TimedCallEvent>) -> EventSink {
        EventSink {
            channel,
            replay: Replay::default(),
        }
    }

    pub fn send(&mut self, event: CallEvent) {
        let timed = TimedCallEvent::now(event);
        self.replay.note(&timed);
        let _ = self.channel.send(timed);
    }

    /// A new page takes over: it hears the call as it is, then what follows.
    pub fn attach(&mut self, channel: Channel<TimedCallEvent>) {
        for event in self.replay.told() {
            let _ = channel.send(event.clone());
        }
        self.channel = channel;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(at_ms: u64, event: CallEvent) -> TimedCallEvent {
        TimedCallEvent { at_ms, event }
    }

    fn state(s: CallState) -> CallEvent {
        CallEvent::State { state: s }
    }

    #[test]
    fn a_new_page_hears_the_latest_of_each_kind_in_order_with_the_time_it_happened() {
        let mut replay = Replay::default();
        replay.note(&at(1, state(CallState::WaitingForPeer)));
        replay.note(&at(2, CallEvent::KeyframeRequested));
        replay.note(&at(3, state(CallState::Connecting)));
        replay.note(&at(4, state(CallState::Connected)));
        let told = told_now(&replay);
        assert_eq!(told, vec![at(4, state(CallState::Connected))], "told once");
        replay.note(&at(5, CallEvent::Replaced));
        replay.note(&at(6, state(CallState::Reconnecting)));
        assert_eq!(
            replay.events,
            vec![
                at(5, CallEvent::Replaced),
                at(6, state(CallState::Reconnecting))
            ],
            "the latest of each kind, in the order they came"
        );
        replay.note(&at(7, state(CallState::Connected)));
        let told = told_now(&replay);
        assert_eq!(
            told,
            vec![
                at(4, state(CallState::Connected)),
                at(5, CallEvent::Replaced),
                at(7, state(CallState::Connected))
            ],
            "after a reconnect the page still hears when the call first connected, for its clock"
        );
    }

    fn told_now(replay: &Replay) -> Vec<TimedCallEvent> {
        replay.told().into_iter().cloned().collect()
    }

    fn recording(ours: OurRecording, theirs: TheirRecording) -> CallEvent {
        CallEvent::Recording {
            recording: mentorlive_engine::RecordingView {
                ours,
                theirs,
                ended: None,
            },
        }
    }

    #[test]
    fn a_new_page_hears_when_each_recording_began_so_its_clock_goes_on() {
        use OurRecording as Ours;
        use TheirRecording as Theirs;
        let mut replay = Replay::default();
        replay.note(&at(1, state(CallState::Connected)));
        replay.note(&at(10, recording(Ours::Asking, Theirs::Off)));
        replay.note(&at(12, recording(Ours::Recording, Theirs::Off)));
        replay.note(&at(20, recording(Ours::Recording, Theirs::Asking)));
        replay.note(&at(21, recording(Ours::Recording, Theirs::Allowed)));
        replay.note(&at(22, recording(Ours::Recording, Theirs::Recording)));
        let told = told_now(&replay);
        assert_eq!(
            told,
            vec![
                at(1, state(CallState::Connected)),
                at(12, recording(Ours::Recording, Theirs::Off)),
                at(22, recording(Ours::Recording, Theirs::Recording)),
            ],
            "ours began at 12 and theirs at 22: both clocks run from their start"
        );
        // Ours stops and starts again: its clock starts again too.
        replay.note(&at(30, recording(Ours::Off, Theirs::Recording)));
        replay.note(&at(35, recording(Ours::Recording, Theirs::Recording)));
        let told = told_now(&replay);
        assert_eq!(
            told,
            vec![
                at(1, state(CallState::Connected)),
                at(22, recording(Ours::Recording, Theirs::Recording)),
                at(35, recording(Ours::Recording, Theirs::Recording)),
            ]
        );
        // Nothing recording: only the latest, no clock.
        replay.note(&at(40, recording(Ours::Off, Theirs::Off)));
        assert_eq!(
            told_now(&replay),
            vec![
                at(1, state(CallState::Connected)),
                at(40, recording(Ours::Off, Theirs::Off)),
            ]
        );
    }
}
