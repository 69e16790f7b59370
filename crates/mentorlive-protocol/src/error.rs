//! The error envelope every REST error and every signaling error ack uses.

use serde::{Deserialize, Serialize};

/// A stable, snake_case error code. Clients branch on these, never on messages.
///
/// Unknown codes from a newer server deserialize as [`ErrorCode::Other`], so an
/// old client keeps working and still shows the server's message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    InvalidInput,
    EmailTaken,
    InvalidCredentials,
    RateLimited,
    Unauthorized,
    NotParticipant,
    NotFound,
    SessionNotActive,
    MalformedCode,
    UnknownCode,
    ExpiredCode,
    RoomFull,
    UnknownPeer,
    NotJoined,
    PayloadTooLarge,
    MethodNotAllowed,
    Internal,
    #[serde(other)]
    Other,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidInput => "invalid_input",
            ErrorCode::EmailTaken => "email_taken",
            ErrorCode::InvalidCredentials => "invalid_credentials",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::Unauthorized => "unauthorized",
            ErrorCode::NotParticipant => "not_participant",
            ErrorCode::NotFound => "not_found",
            ErrorCode::SessionNotActive => "session_not_active",
            ErrorCode::MalformedCode => "malformed_code",
            ErrorCode::UnknownCode => "unknown_code",
            ErrorCode::ExpiredCode => "expired_code",
            ErrorCode::RoomFull => "room_full",
            ErrorCode::UnknownPeer => "unknown_peer",
            ErrorCode::NotJoined => "not_joined",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::MethodNotAllowed => "method_not_allowed",
            ErrorCode::Internal => "internal",
            ErrorCode::Other => "other",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `{"code": "...", "message": "..."}`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct ErrorDetail {
    pub code: ErrorCode,
    pub message: String,
}

/// `{"error": {"code": "...", "message": "..."}}`: the body of every REST error.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "utoipa", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

impl ErrorBody {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ErrorBody {
            error: ErrorDetail {
                code,
                message: message.into(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_serialize_as_their_contract_names() {
        for code in [
            ErrorCode::InvalidInput,
            ErrorCode::ExpiredCode,
            ErrorCode::SessionNotActive,
            ErrorCode::RoomFull,
        ] {
            let json = serde_json::to_string(&code).expect("serialize");
            assert_eq!(json, format!("\"{}\"", code.as_str()));
        }
    }

    #[test]
    fn unknown_codes_from_a_newer_server_are_kept_as_other() {
        let body: ErrorBody =
            serde_json::from_str(r#"{"error":{"code":"brand_new","message":"hi"}}"#)
                .expect("parse");
        assert_eq!(body.error.code, ErrorCode::Other);
        assert_eq!(body.error.message, "hi");
    }
}
