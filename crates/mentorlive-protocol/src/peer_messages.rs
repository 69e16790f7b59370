//! What two peers say to each other: the `data` of `live:signal` (session
//! descriptions and ICE candidates) and the JSON messages of the data
//! channel. A receiver ignores a type or a field it does not know, so either
//! side can add messages without breaking the other: unknown types parse as
//! `Unknown`, unknown fields are dropped, and missing booleans are false.

use serde::{Deserialize, Serialize};

/// `live:signal`'s `data`, as a browser's RTCPeerConnection produces it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum SignalData {
    Offer {
        sdp: String,
    },
    Answer {
        sdp: String,
    },
    /// A trickled candidate; an empty `candidate.candidate` is the end of
    /// candidates.
    Candidate {
        candidate: IceCandidate,
    },
    /// A type this side does not know, or one it cannot read (ignored).
    #[serde(untagged)]
    #[cfg_attr(feature = "ts", ts(skip))]
    Unknown(serde_json::Value),
}

/// RTCIceCandidateInit, as it travels.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct IceCandidate {
    #[serde(default)]
    pub candidate: String,
    #[serde(rename = "sdpMid", default)]
    pub sdp_mid: Option<String>,
    #[serde(rename = "sdpMLineIndex", default)]
    pub sdp_mline_index: Option<u16>,
}

impl IceCandidate {
    /// The end-of-candidates marker: an empty candidate string.
    pub fn end_of_candidates() -> IceCandidate {
        IceCandidate::default()
    }

    pub fn is_end_of_candidates(&self) -> bool {
        self.candidate.is_empty()
    }
}

/// One message on the data channel (`negotiated`, id 0, label `mentorlive`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum DataMessage {
    Chat(ChatMessage),
    Media(MediaState),
    Screen(ScreenShare),
    Record(RecordMessage),
    /// "Your next video frame should be a keyframe" (RTCP PLI asks the same).
    Keyframe,
    /// A type this side does not know, or one it cannot read (ignored).
    #[serde(untagged)]
    #[cfg_attr(feature = "ts", ts(skip))]
    Unknown(serde_json::Value),
}

impl DataMessage {
    /// Reads a message; `None` for text that is not JSON (a broken peer),
    /// which the receiver drops.
    pub fn parse(text: &str) -> Option<DataMessage> {
        serde_json::from_str(text).ok()
    }

    pub fn to_json(&self) -> String {
        // Serialising these types cannot fail: no maps with non-string keys.
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// The longest chat line, in characters.
pub const CHAT_MAX_CHARS: usize = 2_000;

/// A chat line. `id` is unique per sender, so a resend after a reconnect is
/// shown once; `sentAt` is RFC 3339.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default)]
pub struct ChatMessage {
    pub text: String,
    pub id: String,
    pub sent_at: String,
}

/// The sender's media state, sent on every change and after each (re)connect.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase", default)]
pub struct MediaState {
    pub audio_muted: bool,
    pub video_off: bool,
    pub screen: bool,
}

/// Screen sharing started (with the screen transceiver's mid) or stopped.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(default)]
pub struct ScreenShare {
    pub active: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub mid: Option<String>,
}

/// One step of recording consent; `id` names one consent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RecordMessage {
    pub action: RecordAction,
    #[serde(default)]
    pub id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum RecordAction {
    Request,
    Accept,
    Decline,
    Started,
    Stopped,
    Revoke,
    /// An action this side does not know (a decline, for a request).
    #[serde(untagged)]
    #[cfg_attr(feature = "ts", ts(skip))]
    Unknown(String),
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn signal_data_has_the_browsers_shape() {
        let offer = SignalData::Offer { sdp: "v=0".into() };
        assert_eq!(
            serde_json::to_value(&offer).expect("a test fixture"),
            json!({"type": "offer", "sdp": "v=0"})
        );
        let wire = json!({"type": "candidate", "candidate": {
            "candidate": "candidate:1 1 udp 1 10.0.0.1 5000 typ host", "sdpMid": "0", "sdpMLineIndex": 0,
            "usernameFragment": "abcd"}});
        let SignalData::Candidate { candidate } =
            serde_json::from_value(wire).expect("a test fixture")
        else {
            panic!("a candidate");
        };
        assert_eq!(candidate.sdp_mid.as_deref(), Some("0"));
        assert_eq!(candidate.sdp_mline_index, Some(0));
        let end: SignalData = serde_json::from_value(
            json!({"type": "candidate", "candidate": {"candidate": "", "sdpMid": null, "sdpMLineIndex": null}}),
        )
        .expect("a test fixture");
        assert!(
            matches!(end, SignalData::Candidate { candidate } if candidate.is_end_of_candidates())
        );
        let later: SignalData = serde_json::from_value(json!({"type": "pranswer", "sdp": "x"}))
            .expect("a test fixture");
        assert!(matches!(later, SignalData::Unknown(_)));
    }

    #[test]
    fn data_messages_read_old_new_and_unknown_peers() {
        // An older peer's chat has neither id nor sentAt.
        assert_eq!(
            DataMessage::parse(r#"{"type":"chat","text":"hi"}"#),
            Some(DataMessage::Chat(ChatMessage {
                text: "hi".into(),
                ..Default::default()
            }))
        );
        // An older peer's media state has no `screen`; a newer one has more.
        assert_eq!(
            DataMessage::parse(r#"{"type":"media","audioMuted":true,"videoOff":false,"hands":2}"#),
            Some(DataMessage::Media(MediaState {
                audio_muted: true,
                ..Default::default()
            }))
        );
        assert!(matches!(
            DataMessage::parse(r#"{"type":"reaction","emoji":"x"}"#),
            Some(DataMessage::Unknown(_))
        ));
        // A known type with a field of the wrong type is not trusted.
        assert!(matches!(
            DataMessage::parse(r#"{"type":"chat","text":5}"#),
            Some(DataMessage::Unknown(_))
        ));
        assert_eq!(
            DataMessage::parse(r#"{"type":"record","action":"pause","id":"r1"}"#),
            Some(DataMessage::Record(RecordMessage {
                action: RecordAction::Unknown("pause".into()),
                id: "r1".into()
            }))
        );
        assert_eq!(DataMessage::parse("not json"), None);
    }

    #[test]
    fn data_messages_have_the_contracts_shape() {
        let cases = [
            (
                DataMessage::Chat(ChatMessage {
                    text: "hi".into(),
                    id: "c1".into(),
                    sent_at: "2026-12-01T10:00:00Z".into(),
                }),
                json!({"type": "chat", "text": "hi", "id": "c1", "sentAt": "2026-12-01T10:00:00Z"}),
            ),
            (
                DataMessage::Media(MediaState {
                    audio_muted: false,
                    video_off: true,
                    screen: false,
                }),
                json!({"type": "media", "audioMuted": false, "videoOff": true, "screen": false}),
            ),
            (
                DataMessage::Screen(ScreenShare {
                    active: true,
                    mid: Some("3".into()),
                }),
                json!({"type": "screen", "active": true, "mid": "3"}),
            ),
            (
                DataMessage::Screen(ScreenShare::default()),
                json!({"type": "screen", "active": false}),
            ),
            (
                DataMessage::Record(RecordMessage {
                    action: RecordAction::Request,
                    id: "r1".into(),
                }),
                json!({"type": "record", "action": "request", "id": "r1"}),
            ),
            (DataMessage::Keyframe, json!({"type": "keyframe"})),
        ];
        for (message, wire) in cases {
            assert_eq!(
                serde_json::to_value(&message).expect("a test fixture"),
                wire
            );
            assert_eq!(DataMessage::parse(&wire.to_string()), Some(message));
        }
    }
}
