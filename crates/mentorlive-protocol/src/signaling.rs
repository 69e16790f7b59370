//! The `live:*` Socket.IO events of the contract, as Rust types.

use crate::{ErrorDetail, Role};
use serde::{Deserialize, Serialize};

pub const EVENT_JOIN: &str = "live:join";
pub const EVENT_SIGNAL: &str = "live:signal";
pub const EVENT_LEAVE: &str = "live:leave";
pub const EVENT_PEER_JOINED: &str = "live:peer-joined";
pub const EVENT_PEER_LEFT: &str = "live:peer-left";

/// `live:join` payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JoinRequest {
    pub code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resume_peer_id: Option<String>,
}

/// A user as the other side of a room sees them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PeerUser {
    pub id: String,
    pub name: String,
    pub role: Role,
}

/// `{peerId, user}`: in the join ack's `peers` and in `live:peer-joined`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PeerInfo {
    pub peer_id: String,
    pub user: PeerUser,
}

/// One entry of `iceServers`, as RTCPeerConnection takes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IceServer {
    pub urls: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
}

/// The successful `live:join` ack (with `ok: true` added on the wire).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Joined {
    pub session_id: String,
    pub peer_id: String,
    pub polite: bool,
    pub peers: Vec<PeerInfo>,
    pub ice_servers: Vec<IceServer>,
}

/// `live:signal` from a client: `{to, data}`. `data` is passed through as is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignalRequest {
    pub to: String,
    pub data: serde_json::Value,
}

/// `live:signal` to a client: `{from, data}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignalEvent {
    pub from: String,
    pub data: serde_json::Value,
}

#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LeaveReason {
    Left,
    Disconnected,
    Replaced,
}

/// `live:peer-left`: `{peerId, reason}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PeerLeft {
    pub peer_id: String,
    pub reason: LeaveReason,
}

/// Every ack: `{ok: true, ...fields}` or `{ok: false, error: {code, message}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AckEnvelope {
    pub ok: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorDetail>,
    #[serde(flatten)]
    pub fields: serde_json::Map<String, serde_json::Value>,
}

impl AckEnvelope {
    /// `{ok: true}` plus the fields of `value` (an object, or nothing).
    pub fn ok<T: Serialize>(value: &T) -> AckEnvelope {
        let fields = match serde_json::to_value(value) {
            Ok(serde_json::Value::Object(map)) => map,
            _ => serde_json::Map::new(),
        };
        AckEnvelope {
            ok: true,
            error: None,
            fields,
        }
    }

    pub fn ok_empty() -> AckEnvelope {
        AckEnvelope {
            ok: true,
            error: None,
            fields: serde_json::Map::new(),
        }
    }

    pub fn err(error: ErrorDetail) -> AckEnvelope {
        AckEnvelope {
            ok: false,
            error: Some(error),
            fields: serde_json::Map::new(),
        }
    }

    /// The ack as a typed result.
    pub fn into_result<T: serde::de::DeserializeOwned>(self) -> Result<T, ErrorDetail> {
        if self.ok {
            serde_json::from_value(serde_json::Value::Object(self.fields)).map_err(|err| {
                ErrorDetail {
                    code: crate::ErrorCode::Other,
                    message: format!("The server's acknowledgement was not understood: {err}"),
                }
            })
        } else {
            Err(self.error.unwrap_or(ErrorDetail {
                code: crate::ErrorCode::Other,
                message: "The server refused without saying why.".into(),
            }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn join_ack_has_the_contract_shape() {
        let joined = Joined {
            session_id: "s".into(),
            peer_id: "p".into(),
            polite: true,
            peers: vec![],
            ice_servers: vec![IceServer {
                urls: vec!["stun:h:3478".into()],
                username: None,
                credential: None,
            }],
        };
        let wire = serde_json::to_value(AckEnvelope::ok(&joined)).expect("json");
        assert_eq!(
            wire,
            json!({"ok": true, "sessionId": "s", "peerId": "p", "polite": true, "peers": [],
                   "iceServers": [{"urls": ["stun:h:3478"]}]})
        );
        let back: Joined = serde_json::from_value::<AckEnvelope>(wire)
            .expect("env")
            .into_result()
            .expect("ok");
        assert_eq!(back, joined);
    }

    #[test]
    fn error_acks_carry_code_and_message() {
        let wire = json!({"ok": false, "error": {"code": "room_full", "message": "full"}});
        let env: AckEnvelope = serde_json::from_value(wire).expect("env");
        let err = env.into_result::<Joined>().expect_err("error");
        assert_eq!(err.code, crate::ErrorCode::RoomFull);
    }
}
