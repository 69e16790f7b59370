//! Engine.IO protocol 4 and Socket.IO protocol 5 packets over WebSocket:
//! text frames carry `<eio type><payload>`, binary frames carry attachments.
//!
//! Decoding never panics: every malformed input is a [`DecodeError`].

use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("empty frame")]
    Empty,
    #[error("unknown Engine.IO packet type {0:?}")]
    EngineType(char),
    #[error("unknown Socket.IO packet type {0:?}")]
    SocketType(char),
    #[error("bad open packet: {0}")]
    Open(String),
    #[error("bad attachment count")]
    Attachments,
    #[error("bad ack id")]
    AckId,
    #[error("bad JSON payload: {0}")]
    Json(String),
    #[error("payload not allowed for this packet type")]
    Payload,
}

/// The Engine.IO handshake: `0{"sid", "upgrades", "pingInterval", "pingTimeout", "maxPayload"}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OpenInfo {
    pub sid: String,
    #[serde(default)]
    pub upgrades: Vec<String>,
    /// Milliseconds between the server's pings.
    pub ping_interval: u64,
    /// Milliseconds the server waits for a pong.
    pub ping_timeout: u64,
    /// Largest payload the server accepts, in bytes.
    #[serde(default = "default_max_payload")]
    pub max_payload: u64,
}

fn default_max_payload() -> u64 {
    1_000_000
}

/// An Engine.IO packet as it arrives in a text frame.
#[derive(Debug, Clone, PartialEq)]
pub enum EnginePacket {
    Open(OpenInfo),
    Close,
    Ping,
    Pong,
    /// A Socket.IO packet, still encoded.
    Message(String),
    Upgrade,
    Noop,
}

impl EnginePacket {
    pub fn decode(frame: &str) -> Result<EnginePacket, DecodeError> {
        let mut chars = frame.chars();
        let kind = chars.next().ok_or(DecodeError::Empty)?;
        let rest = chars.as_str();
        Ok(match kind {
            '0' => EnginePacket::Open(
                serde_json::from_str(rest).map_err(|e| DecodeError::Open(e.to_string()))?,
            ),
            '1' => EnginePacket::Close,
            '2' => EnginePacket::Ping,
            '3' => EnginePacket::Pong,
            '4' => EnginePacket::Message(rest.to_owned()),
            '5' => EnginePacket::Upgrade,
            '6' => EnginePacket::Noop,
            other => return Err(DecodeError::EngineType(other)),
        })
    }
}

/// Socket.IO packet types (protocol 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PacketKind {
    Connect,
    Disconnect,
    Event,
    Ack,
    ConnectError,
    BinaryEvent,
    BinaryAck,
}

impl PacketKind {
    fn from_char(c: char) -> Result<PacketKind, DecodeError> {
        Ok(match c {
            '0' => PacketKind::Connect,
            '1' => PacketKind::Disconnect,
            '2' => PacketKind::Event,
            '3' => PacketKind::Ack,
            '4' => PacketKind::ConnectError,
            '5' => PacketKind::BinaryEvent,
            '6' => PacketKind::BinaryAck,
            other => return Err(DecodeError::SocketType(other)),
        })
    }

    fn as_char(self) -> char {
        match self {
            PacketKind::Connect => '0',
            PacketKind::Disconnect => '1',
            PacketKind::Event => '2',
            PacketKind::Ack => '3',
            PacketKind::ConnectError => '4',
            PacketKind::BinaryEvent => '5',
            PacketKind::BinaryAck => '6',
        }
    }

    pub fn is_binary(self) -> bool {
        matches!(self, PacketKind::BinaryEvent | PacketKind::BinaryAck)
    }
}

/// A Socket.IO packet: `<type>[<attachments>-][<nsp>,][<id>][<json>]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Packet {
    pub kind: PacketKind,
    pub nsp: String,
    pub id: Option<u64>,
    pub data: Option<Value>,
    /// Binary frames that follow this packet (BINARY_EVENT / BINARY_ACK).
    pub attachments: usize,
}

/// More attachments than this in one packet is treated as hostile.
const MAX_ATTACHMENTS: usize = 64;

impl Packet {
    pub fn new(kind: PacketKind, nsp: &str, id: Option<u64>, data: Option<Value>) -> Packet {
        Packet {
            kind,
            nsp: nsp.to_owned(),
            id,
            data,
            attachments: 0,
        }
    }

    pub fn decode(text: &str) -> Result<Packet, DecodeError> {
        let mut chars = text.chars();
        let kind = PacketKind::from_char(chars.next().ok_or(DecodeError::Empty)?)?;
        let mut rest = chars.as_str();

        let mut attachments = 0;
        if kind.is_binary() {
            let dash = rest.find('-').ok_or(DecodeError::Attachments)?;
            attachments = rest[..dash]
                .parse::<usize>()
                .map_err(|_| DecodeError::Attachments)?;
            if attachments > MAX_ATTACHMENTS {
                return Err(DecodeError::Attachments);
            }
            rest = &rest[dash + 1..];
        }

        let mut nsp = "/".to_owned();
        if rest.starts_with('/') {
            let end = rest.find(',').unwrap_or(rest.len());
            nsp = rest[..end].to_owned();
            rest = rest.get(end + 1..).unwrap_or("");
        }

        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        let id = if digits > 0 {
            let id = rest[..digits]
                .parse::<u64>()
                .map_err(|_| DecodeError::AckId)?;
            rest = &rest[digits..];
            Some(id)
        } else {
            None
        };

        let data = if rest.is_empty() {
            None
        } else {
            Some(
                serde_json::from_str::<Value>(rest)
                    .map_err(|e| DecodeError::Json(e.to_string()))?,
            )
        };

        // The shapes the protocol allows: events and acks carry arrays, an
        // event's first element is its name; CONNECT/CONNECT_ERROR carry objects.
        match (kind, &data) {
            (PacketKind::Event | PacketKind::BinaryEvent, Some(Value::Array(items)))
                if items.first().is_some_and(Value::is_string) => {}
            (PacketKind::Ack | PacketKind::BinaryAck, Some(Value::Array(_))) if id.is_some() => {}
            (PacketKind::Connect, None | Some(Value::Object(_))) => {}
            (PacketKind::ConnectError, Some(Value::Object(_) | Value::String(_))) => {}
            (PacketKind::Disconnect, None) => {}
            _ => return Err(DecodeError::Payload),
        }
        Ok(Packet {
            kind,
            nsp,
            id,
            data,
            attachments,
        })
    }

    /// The text frame for this packet, Engine.IO message prefix included.
    pub fn encode(&self) -> String {
        let mut out = String::from("4");
        out.push(self.kind.as_char());
        if self.kind.is_binary() {
            out.push_str(&self.attachments.to_string());
            out.push('-');
        }
        if self.nsp != "/" {
            out.push_str(&self.nsp);
            out.push(',');
        }
        if let Some(id) = self.id {
            out.push_str(&id.to_string());
        }
        if let Some(data) = &self.data {
            out.push_str(&data.to_string());
        }
        out
    }
}

/// `{"_placeholder": true, "num": N}`: where attachment N goes.
pub fn placeholder(num: usize) -> Value {
    serde_json::json!({"_placeholder": true, "num": num})
}

/// The attachment index of a placeholder, if `value` is one.
pub fn placeholder_index(value: &Value) -> Option<usize> {
    let obj = value.as_object()?;
    (obj.get("_placeholder")? == &Value::Bool(true))
        .then(|| obj.get("num")?.as_u64())
        .flatten()
        .and_then(|n| usize::try_from(n).ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    #[test]
    fn decodes_the_protocol_documents_examples() {
        let open = EnginePacket::decode(r#"0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":20000,"maxPayload":1000000}"#).expect("open");
        assert!(matches!(
            open,
            EnginePacket::Open(OpenInfo {
                ping_interval: 25000,
                ping_timeout: 20000,
                ..
            })
        ));
        assert_eq!(EnginePacket::decode("2").expect("ping"), EnginePacket::Ping);
        assert_eq!(EnginePacket::decode("6").expect("noop"), EnginePacket::Noop);

        let connect = Packet::decode(r#"0{"token":"123"}"#).expect("connect");
        assert_eq!(
            (connect.kind, connect.nsp.as_str()),
            (PacketKind::Connect, "/")
        );
        let admin =
            Packet::decode(r#"0/admin,{"sid":"oSO0OpakMV_3jnilAAAA"}"#).expect("connect admin");
        assert_eq!(admin.nsp, "/admin");
        let event = Packet::decode(r#"2["foo"]"#).expect("event");
        assert_eq!(event.data, Some(json!(["foo"])));
        let with_id = Packet::decode(r#"2/admin,12["bar"]"#).expect("event with ack");
        assert_eq!((with_id.nsp.as_str(), with_id.id), ("/admin", Some(12)));
        let ack = Packet::decode(r#"3/admin,13["bar"]"#).expect("ack");
        assert_eq!((ack.kind, ack.id), (PacketKind::Ack, Some(13)));
        let bin =
            Packet::decode(r#"51-["baz",{"_placeholder":true,"num":0}]"#).expect("binary event");
        assert_eq!((bin.kind, bin.attachments), (PacketKind::BinaryEvent, 1));
        let bin_ack =
            Packet::decode(r#"61-/admin,15[{"_placeholder":true,"num":0}]"#).expect("binary ack");
        assert_eq!(
            (bin_ack.nsp.as_str(), bin_ack.id, bin_ack.attachments),
            ("/admin", Some(15), 1)
        );
        let err = Packet::decode(r#"4{"message":"Not authorized"}"#).expect("connect error");
        assert_eq!(err.kind, PacketKind::ConnectError);
        assert_eq!(
            Packet::decode("1").expect("disconnect").kind,
            PacketKind::Disconnect
        );
    }

    #[test]
    fn encodes_what_it_decodes() {
        for text in [
            r#"2["foo",1,{"a":[true,null]}]"#,
            r#"2/admin,12["bar"]"#,
            r#"3/admin,13["bar"]"#,
            r#"51-["baz",{"_placeholder":true,"num":0}]"#,
            r#"0{"token":"123"}"#,
            "1",
        ] {
            let packet = Packet::decode(text).expect("decode");
            assert_eq!(packet.encode(), format!("4{text}"));
        }
    }

    #[test]
    fn refuses_malformed_packets() {
        for text in [
            "",
            "9",
            "2",
            "2[]",
            "2[1]",
            "2{}",
            "3[]",
            "3x",
            r#"5["a"]"#,
            "5x-[\"a\"]",
            "599-[\"a\"]",
            "2[\"a\"",
            "0[1]",
            "1{}",
        ] {
            assert!(Packet::decode(text).is_err(), "{text:?}");
        }
        for frame in ["", "7", "0{}", "0not json"] {
            assert!(EnginePacket::decode(frame).is_err(), "{frame:?}");
        }
    }

    #[test]
    fn placeholders_are_recognised() {
        assert_eq!(placeholder_index(&placeholder(3)), Some(3));
        assert_eq!(
            placeholder_index(&json!({"_placeholder": false, "num": 1})),
            None
        );
        assert_eq!(placeholder_index(&json!("x")), None);
    }

    proptest! {
        #[test]
        fn decoders_never_panic(text in "\\PC{0,64}") {
            let _ = EnginePacket::decode(&text);
            let _ = Packet::decode(&text);
        }

        #[test]
        fn decoders_never_panic_on_near_miss_packets(prefix in "[0-6][0-9]{0,3}-?(/[a-z]{0,4},)?[0-9]{0,25}", body in "\\PC{0,32}") {
            let _ = Packet::decode(&format!("{prefix}{body}"));
            let _ = Packet::decode(&format!("{prefix}[\"e\",{body}]"));
        }
    }
}
