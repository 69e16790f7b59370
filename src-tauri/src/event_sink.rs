//! Where a call's events go: the page's channel of the moment. A reloaded
//! page (an update, F5, or a web process that crashed and was reloaded)
//! attaches a new channel to the call still running in the engine; it is
//! first told what the call is now (the last event of each kind, and the
//! chat), so it draws the same call without a renegotiation.

use mentorlive_engine::CallEvent;
use std::mem::{discriminant, Discriminant};
use tauri::ipc::Channel;

/// Chat lines kept for a page that attaches later.
const CHAT_KEPT: usize = 500;

#[derive(Default)]
struct Replay {
    events: Vec<CallEvent>,
    chat_lines: usize,
}

impl Replay {
    /// Remembers what a new page must be told. Figures and requests of the
    /// moment (stats, keyframe asks, bitrate targets) are not.
    fn note(&mut self, event: &CallEvent) {
        match event {
            CallEvent::Stats { .. }
            | CallEvent::KeyframeRequested
            | CallEvent::ScreenKeyframeRequested
            | CallEvent::TargetBitrate { .. }
            | CallEvent::Report { .. } => {}
            CallEvent::Chat { .. } => {
                self.events.push(event.clone());
                self.chat_lines += 1;
                if self.chat_lines > CHAT_KEPT {
                    if let Some(first) = self
                        .events
                        .iter()
                        .position(|e| matches!(e, CallEvent::Chat { .. }))
                    {
                        self.events.remove(first);
                        self.chat_lines -= 1;
                    }
                }
            }
            other => {
                let kind: Discriminant<CallEvent> = discriminant(other);
                self.events.retain(|e| discriminant(e) != kind);
                self.events.push(other.clone());
            }
        }
    }
}

/// The channel of the page attached to the call, and what to tell the next.
pub struct EventSink {
    channel: Channel<CallEvent>,
    replay: Replay,
}

impl EventSink {
    pub fn new(channel: Channel<CallEvent>) -> EventSink {
        EventSink {
            channel,
            replay: Replay::default(),
        }
    }

    pub fn send(&mut self, event: CallEvent) {
        self.replay.note(&event);
        let _ = self.channel.send(event);
    }

    /// A new page takes over: it hears the call as it is, then what follows.
    pub fn attach(&mut self, channel: Channel<CallEvent>) {
        for event in &self.replay.events {
            let _ = channel.send(event.clone());
        }
        self.channel = channel;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mentorlive_engine::CallState;

    #[test]
    fn a_new_page_hears_the_latest_of_each_kind_in_order_and_all_the_chat() {
        let mut replay = Replay::default();
        let state = |s| CallEvent::State { state: s };
        replay.note(&state(CallState::WaitingForPeer));
        replay.note(&CallEvent::KeyframeRequested);
        replay.note(&state(CallState::Connecting));
        replay.note(&state(CallState::Connected));
        assert_eq!(replay.events, vec![state(CallState::Connected)]);
        replay.note(&CallEvent::Replaced);
        replay.note(&state(CallState::Reconnecting));
        assert_eq!(
            replay.events,
            vec![CallEvent::Replaced, state(CallState::Reconnecting)],
            "the latest of each kind, in the order they came"
        );
    }
}
