//! One chunk on the bridge: a 16-byte header, then the encoded bytes.
//!
//! ```text
//! 0      kind      1 = camera video (VP8), 2 = audio (Opus), 3 = screen video (VP8),
//!                  4 = sound (decoded audio: 48 kHz mono f32 little-endian samples,
//!                  engine to webview only; see `sound`)
//! 1      flags     bit 0: keyframe
//! 2..4   reserved  zero
//! 4..12  timestamp microseconds, u64 little-endian
//! 12..16 duration  microseconds, u32 little-endian (0: unknown)
//! 16..   payload
//! ```
//!
//! Little-endian because both ends are (x86, ARM) and `DataView` reads it
//! directly. No JSON: a 30 KB keyframe stays 30 KB.

use bytes::{BufMut, Bytes, BytesMut};

pub const HEADER_LEN: usize = 16;
const FLAG_KEY: u8 = 0x01;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkKind {
    Video,
    Audio,
    Screen,
    Sound,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk {
    pub kind: ChunkKind,
    pub keyframe: bool,
    pub timestamp_us: u64,
    pub duration_us: u32,
    pub data: Bytes,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    #[error("a chunk of {0} bytes is shorter than its header")]
    Short(usize),
    #[error("unknown chunk kind {0}")]
    UnknownKind(u8),
    #[error("a chunk without payload")]
    Empty,
}

impl Chunk {
    pub fn decode(message: Bytes) -> Result<Chunk, WireError> {
        if message.len() < HEADER_LEN {
            return Err(WireError::Short(message.len()));
        }
        let kind = match message[0] {
            1 => ChunkKind::Video,
            2 => ChunkKind::Audio,
            3 => ChunkKind::Screen,
            4 => ChunkKind::Sound,
            other => return Err(WireError::UnknownKind(other)),
        };
        if message.len() == HEADER_LEN {
            return Err(WireError::Empty);
        }
        let mut ts = [0u8; 8];
        ts.copy_from_slice(&message[4..12]);
        let mut dur = [0u8; 4];
        dur.copy_from_slice(&message[12..16]);
        Ok(Chunk {
            kind,
            keyframe: message[1] & FLAG_KEY != 0,
            timestamp_us: u64::from_le_bytes(ts),
            duration_us: u32::from_le_bytes(dur),
            data: message.slice(HEADER_LEN..),
        })
    }

    /// Decoded samples for the webview's player, starting at `timestamp_us`.
    pub fn sound(timestamp_us: u64, samples: &[f32]) -> Chunk {
        let mut data = BytesMut::with_capacity(samples.len() * 4);
        for s in samples {
            data.put_f32_le(*s);
        }
        Chunk {
            kind: ChunkKind::Sound,
            keyframe: true,
            timestamp_us,
            duration_us: (samples.len() as u64 * 1_000_000 / u64::from(crate::sound::SAMPLE_RATE))
                as u32,
            data: data.freeze(),
        }
    }

    pub fn encode(&self) -> Bytes {
        let mut out = BytesMut::with_capacity(HEADER_LEN + self.data.len());
        out.put_u8(match self.kind {
            ChunkKind::Video => 1,
            ChunkKind::Audio => 2,
            ChunkKind::Screen => 3,
            ChunkKind::Sound => 4,
        });
        out.put_u8(if self.keyframe { FLAG_KEY } else { 0 });
        out.put_u16(0);
        out.put_u64_le(self.timestamp_us);
        out.put_u32_le(self.duration_us);
        out.put_slice(&self.data);
        out.freeze()
    }
}

/// Turns 32-bit RTP timestamps into a monotonic microsecond clock starting
/// at zero, across wrap-around (a decoder wants growing timestamps).
#[derive(Debug, Clone)]
pub struct RtpClock {
    rate: u64,
    last: Option<u32>,
    ticks: i64,
}

impl RtpClock {
    pub fn new(rate: u32) -> RtpClock {
        RtpClock {
            rate: u64::from(rate.max(1)),
            last: None,
            ticks: 0,
        }
    }

    pub fn micros(&mut self, rtp: u32) -> u64 {
        // The signed difference handles wrap-around; a frame from before the
        // last one (reordered) leaves the clock where it is.
        let step = self
            .last
            .map_or(0, |last| i64::from(rtp.wrapping_sub(last) as i32));
        if step >= 0 {
            self.ticks += step;
            self.last = Some(rtp);
        }
        (self.ticks as u64).saturating_mul(1_000_000) / self.rate
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chunk_survives_the_round_trip() {
        let chunk = Chunk {
            kind: ChunkKind::Video,
            keyframe: true,
            timestamp_us: 1_234_567_890_123,
            duration_us: 33_333,
            data: Bytes::from_static(b"\x10\x02\x00\x9d\x01\x2a"),
        };
        let bytes = chunk.encode();
        assert_eq!(bytes.len(), HEADER_LEN + 6);
        assert_eq!(Chunk::decode(bytes), Ok(chunk));
    }

    #[test]
    fn decoded_sound_is_kind_4_with_its_samples_little_endian() {
        let samples = [0.5f32, -0.25];
        let chunk = Chunk::sound(40_000, &samples);
        let bytes = chunk.encode();
        assert_eq!(bytes[0], 4);
        assert_eq!(bytes.len(), HEADER_LEN + 8);
        assert_eq!(&bytes[HEADER_LEN..HEADER_LEN + 4], &0.5f32.to_le_bytes());
        assert_eq!(
            u32::from_le_bytes([bytes[12], bytes[13], bytes[14], bytes[15]]),
            41
        );
        assert_eq!(Chunk::decode(bytes), Ok(chunk));
    }

    #[test]
    fn bad_chunks_are_errors_not_panics() {
        assert_eq!(Chunk::decode(Bytes::new()), Err(WireError::Short(0)));
        assert_eq!(
            Chunk::decode(Bytes::from(vec![9u8; 20])),
            Err(WireError::UnknownKind(9))
        );
        assert_eq!(
            Chunk::decode(Bytes::from(vec![2u8; 16])),
            Err(WireError::Empty)
        );
        for len in 0..40 {
            let _ = Chunk::decode(Bytes::from(vec![1u8; len]));
        }
    }

    #[test]
    fn the_rtp_clock_grows_across_wrap_around() {
        let mut clock = RtpClock::new(90_000);
        assert_eq!(clock.micros(u32::MAX - 2_999), 0);
        assert_eq!(clock.micros(u32::MAX), 33_322);
        assert_eq!(clock.micros(2_999), 66_655);
        // A late frame does not make time run backwards.
        let mut audio = RtpClock::new(48_000);
        audio.micros(1_000);
        assert_eq!(audio.micros(40), 0);
        assert_eq!(audio.micros(1_960), 20_000);
    }
}
