//! A sink that sends every chunk straight back: the bridge measured alone
//! (`scripts/bench-bridge.sh`) and tested without a call.

use crate::server::MediaSink;
use mentorlive_engine::{EncodedVideoFrame, MediaKind, OpusPacket, ReceivedFrame};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;
use tokio::sync::mpsc;

pub struct EchoSink {
    back: mpsc::Sender<ReceivedFrame>,
    clock: AtomicU64,
    pub keyframe_requests: AtomicU64,
}

impl EchoSink {
    /// The sink and the frames it echoes (hand them to `MediaBridge::start`).
    pub fn new(queue: usize) -> (EchoSink, mpsc::Receiver<ReceivedFrame>) {
        let (back, frames) = mpsc::channel(queue);
        let sink = EchoSink {
            back,
            clock: AtomicU64::new(0),
            keyframe_requests: AtomicU64::new(0),
        };
        (sink, frames)
    }

    fn echo(&self, kind: MediaKind, data: bytes::Bytes, keyframe: bool, ticks: u64) -> bool {
        let rtp = self.clock.fetch_add(ticks, Ordering::Relaxed) as u32;
        self.back
            .try_send(ReceivedFrame {
                kind,
                data,
                rtp_timestamp: rtp,
                keyframe,
                arrival: Instant::now(),
            })
            .is_ok()
    }
}

impl MediaSink for EchoSink {
    fn video(&self, frame: EncodedVideoFrame) -> bool {
        let ticks = frame.duration.as_micros() as u64 * 90 / 1000;
        self.echo(MediaKind::Video, frame.data, frame.keyframe, ticks)
    }
    fn audio(&self, packet: OpusPacket) -> bool {
        self.echo(MediaKind::Audio, packet.data, true, 960)
    }
    fn screen(&self, frame: EncodedVideoFrame) -> bool {
        let ticks = frame.duration.as_micros() as u64 * 90 / 1000;
        self.echo(MediaKind::Screen, frame.data, frame.keyframe, ticks)
    }
    fn request_screen_keyframe(&self) {}
    fn decode_audio_for_webview(&self) -> bool {
        false
    }
    fn request_keyframe(&self) {
        self.keyframe_requests.fetch_add(1, Ordering::Relaxed);
    }
}
