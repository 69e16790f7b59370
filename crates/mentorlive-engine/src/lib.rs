//! The call engine: a native WebRTC peer connection (the `webrtc` crate, on
//! the sans-IO `rtc` core) driven by the contract's signaling. It takes
//! encoded frames in and gives whole received frames out; it knows nothing of
//! cameras, codecs' internals or windows, so the desktop app, the CLI and the
//! tests all drive it the same way.

mod assemble;
mod audio_order;
mod call;
mod congestion;
mod delivery;
mod driver;
pub mod join_timeline;
mod keyframe_feedback;
pub mod machine;
pub mod media;
pub mod negotiation;
mod pacer;
mod peer;
pub mod quality;
mod receive;
mod record_tap;
mod shedding;
pub mod stats;

pub use call::{Call, CallOptions};
pub use machine::{CallEvent, CallState, RecordingView, ReportIdentity, SavedRecording};
pub use media::{EncodedVideoFrame, MediaKind, OpusPacket, ReceivedFrame};
pub use mentorlive_recording::{Meta as RecordingMeta, RecordError, RecorderOptions};
/// Congestion control's target before it has measured the path.
pub use peer::INITIAL_BITRATE;
pub use stats::CallStats;

use mentorlive_signaling::LiveError;

/// Why the engine could not do something.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// Signaling refused or failed; keeps the contract's code.
    #[error(transparent)]
    Signaling(#[from] LiveError),
    /// The WebRTC stack refused an operation.
    #[error("WebRTC: {0}")]
    WebRtc(String),
    /// Relay only was asked for, and the server offers no relay (TURN).
    #[error("Relay only is on, and this server offers no relay (TURN) to connect through.")]
    NoRelay,
}

impl EngineError {
    fn webrtc(err: impl std::fmt::Display) -> EngineError {
        EngineError::WebRtc(err.to_string())
    }

    /// A stable snake_case code.
    pub fn code(&self) -> &str {
        match self {
            EngineError::Signaling(err) => err.code(),
            EngineError::WebRtc(_) => "webrtc",
            EngineError::NoRelay => "no_relay",
        }
    }
}
