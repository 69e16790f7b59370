//! Media as the engine takes and gives it: whole encoded frames, never JSON.

use bytes::Bytes;
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MediaKind {
    Audio,
    /// The camera.
    Video,
    /// A screen share (video on its own transceiver).
    Screen,
}

/// One encoded VP8 frame from the encoder.
#[derive(Debug, Clone)]
pub struct EncodedVideoFrame {
    pub data: Bytes,
    /// How long it shows (1/30 s at 30 fps): advances the RTP clock.
    pub duration: Duration,
    pub keyframe: bool,
}

/// One Opus packet (usually 20 ms).
#[derive(Debug, Clone)]
pub struct OpusPacket {
    pub data: Bytes,
    pub duration: Duration,
}

/// A whole frame received from the partner.
#[derive(Debug, Clone)]
pub struct ReceivedFrame {
    pub kind: MediaKind,
    pub data: Bytes,
    pub rtp_timestamp: u32,
    pub keyframe: bool,
    pub arrival: Instant,
}

/// A VP8 frame is a keyframe when bit 0 of its first byte is 0 (RFC 6386 §9.1).
pub fn vp8_is_keyframe(frame: &[u8]) -> bool {
    frame.first().is_some_and(|b| b & 0x01 == 0)
}

#[cfg(test)]
mod tests {
    #[test]
    fn vp8_keyframe_bit() {
        assert!(super::vp8_is_keyframe(&[
            0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a
        ]));
        assert!(!super::vp8_is_keyframe(&[0x31, 0x02]));
        assert!(!super::vp8_is_keyframe(&[]));
    }
}
