//! The one list of error codes a front end may show: the contract's codes
//! (from the server or the room) and the app's own. Generated to TypeScript,
//! so the UI switches on the same enum; nothing compares codes as strings.

use mentorlive_api::ApiError;
use mentorlive_protocol::ErrorCode;
use mentorlive_settings::SettingsError;
use mentorlive_token_store::TokenStoreError;
use serde::{Deserialize, Serialize};

/// Every code a front end may show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum AppErrorCode {
    /// The server's address is not an http(s) URL.
    InvalidServerUrl,
    /// Plain http to a server that is not this machine, not yet accepted.
    InsecureServer,
    /// The server could not be reached.
    Network,
    /// The server did not answer in time.
    Timeout,
    /// The server answered something that is not the contract.
    UnexpectedResponse,
    /// The signaling connection is down or was refused.
    NotConnected,
    KeychainUnavailable,
    KeychainRefused,
    /// The settings file could not be read or written.
    Settings,
    /// The call could not start (the engine or the media bridge).
    CallFailed,
    /// A call command with no call in progress.
    NoCall,
    /// Relay only is on, and the server offers no relay (TURN).
    NoRelay,
    /// A chat line that is empty or too long.
    InvalidChat,
    /// A folder or file could not be opened.
    OpenFailed,
    /// Too little free disk space to record.
    DiskFull,
    /// A recording could not be made (its file could not be created).
    RecordingFailed,
    /// Exporting a recording as one video failed.
    ExportFailed,
    /// The desktop did not show a notification.
    NotificationFailed,
    /// The call could not be put in the tray (the desktop has none).
    TrayFailed,
    /// A benchmark command failed (test builds only).
    BenchFailed,
    /// This system's web engine cannot encode video (WebCodecs is missing).
    NoWebcodecs,
    /// An update is not signed by the release key: never installed.
    UpdateSignatureInvalid,
    /// An update offered over plain http.
    UpdateInsecure,
    UpdateUnreachable,
    /// No update to download.
    UpdateNone,
    /// Installing now would end the call in progress.
    UpdateInCall,
    UpdateFailed,
    /// One of the contract's codes, as the server or the room gave it.
    #[serde(untagged)]
    Contract(ErrorCode),
}

impl AppErrorCode {
    /// The contract's code, if this is one.
    pub fn contract(self) -> Option<ErrorCode> {
        match self {
            AppErrorCode::Contract(code) => Some(code),
            _ => None,
        }
    }
}

impl From<ErrorCode> for AppErrorCode {
    fn from(code: ErrorCode) -> Self {
        AppErrorCode::Contract(code)
    }
}

/// Every error a front end shows: a stable code and a human message.
#[derive(Debug, thiserror::Error, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[error("{message}")]
pub struct ClientError {
    pub code: AppErrorCode,
    pub message: String,
}

impl ClientError {
    pub fn new(code: impl Into<AppErrorCode>, message: impl Into<String>) -> ClientError {
        ClientError {
            code: code.into(),
            message: message.into(),
        }
    }

    pub fn not_signed_in() -> ClientError {
        ClientError::new(ErrorCode::Unauthorized, "Please sign in.")
    }
}

impl From<ApiError> for ClientError {
    fn from(err: ApiError) -> Self {
        let code = match &err {
            ApiError::Server { code, .. } | ApiError::Refused { code, .. } => {
                AppErrorCode::Contract(*code)
            }
            ApiError::InvalidServerUrl(_) => AppErrorCode::InvalidServerUrl,
            ApiError::InsecureServer(_) => AppErrorCode::InsecureServer,
            ApiError::NotSignedIn => AppErrorCode::Contract(ErrorCode::Unauthorized),
            ApiError::Network(_) => AppErrorCode::Network,
            ApiError::Timeout => AppErrorCode::Timeout,
            ApiError::UnexpectedResponse { .. } => AppErrorCode::UnexpectedResponse,
        };
        ClientError::new(code, err.to_string())
    }
}

impl From<TokenStoreError> for ClientError {
    fn from(err: TokenStoreError) -> Self {
        let code = match &err {
            TokenStoreError::Unavailable(_) => AppErrorCode::KeychainUnavailable,
            TokenStoreError::Refused(_) => AppErrorCode::KeychainRefused,
        };
        ClientError::new(code, err.to_string())
    }
}

impl From<SettingsError> for ClientError {
    fn from(err: SettingsError) -> Self {
        ClientError::new(AppErrorCode::Settings, err.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_one_flat_list_of_strings_on_the_wire() {
        let wire = |code: AppErrorCode| serde_json::to_value(code).expect("json");
        assert_eq!(wire(AppErrorCode::NoCall), "no_call");
        assert_eq!(wire(ErrorCode::RoomFull.into()), "room_full");
        let back: AppErrorCode = serde_json::from_value("expired_code".into()).expect("read");
        assert_eq!(back.contract(), Some(ErrorCode::ExpiredCode));
        let own: AppErrorCode = serde_json::from_value("keychain_refused".into()).expect("read");
        assert_eq!(own, AppErrorCode::KeychainRefused);
        let newer: AppErrorCode = serde_json::from_value("quota_exceeded".into()).expect("read");
        assert_eq!(newer, AppErrorCode::Contract(ErrorCode::Other));
    }

    #[test]
    fn api_errors_keep_the_contracts_code() {
        let err = ClientError::from(ApiError::Server {
            status: 410,
            code: ErrorCode::ExpiredCode,
            message: "expired".into(),
        });
        assert_eq!(err.code, AppErrorCode::Contract(ErrorCode::ExpiredCode));
        assert_eq!(
            ClientError::from(ApiError::Timeout).code,
            AppErrorCode::Timeout
        );
    }
}
