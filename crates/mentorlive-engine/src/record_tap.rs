//! Where the call's frames also go while we record: our frames as the
//! pumps take them, the partner's as the receive tasks hand them on, the
//! chat both ways. Empty (and one uncontended lock per frame) otherwise.

use crate::media::{vp8_is_keyframe, MediaKind, ReceivedFrame};
use bytes::Bytes;
use mentorlive_recording::{Frame, MediaTime, Recorder, Source};
use std::sync::Mutex;
use std::time::{Duration, Instant};

#[derive(Default)]
pub struct RecordTap {
    recorder: Mutex<Option<Recorder>>,
}

impl RecordTap {
    fn with(&self, f: impl FnOnce(&Recorder)) {
        if let Some(recorder) = self
            .recorder
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
        {
            f(recorder);
        }
    }

    /// Puts a recorder in place (or none), giving back the one there was.
    pub fn replace(&self, recorder: Option<Recorder>) -> Option<Recorder> {
        std::mem::replace(
            &mut *self.recorder.lock().unwrap_or_else(|p| p.into_inner()),
            recorder,
        )
    }

    /// One of our encoded frames, as the encoder gave it.
    pub fn ours(&self, kind: MediaKind, data: &Bytes, duration: Duration) {
        self.with(|r| {
            let (source, keyframe) = match kind {
                MediaKind::Audio => (Source::OurVoice, true),
                MediaKind::Video => (Source::OurCamera, vp8_is_keyframe(data)),
                MediaKind::Screen => (Source::OurScreen, vp8_is_keyframe(data)),
            };
            r.frame(Frame {
                source,
                data: data.clone(),
                keyframe,
                arrival: Instant::now(),
                time: MediaTime::Shows(duration),
            });
        });
    }

    /// One of the partner's frames, whole, as received.
    pub fn theirs(&self, frame: &ReceivedFrame) {
        self.with(|r| {
            let (source, rate) = match frame.kind {
                MediaKind::Audio => (Source::PartnerVoice, 48_000),
                MediaKind::Video => (Source::PartnerCamera, 90_000),
                MediaKind::Screen => (Source::PartnerScreen, 90_000),
            };
            r.frame(Frame {
                source,
                data: frame.data.clone(),
                keyframe: frame.keyframe,
                arrival: frame.arrival,
                time: MediaTime::Rtp {
                    timestamp: frame.rtp_timestamp,
                    rate,
                },
            });
        });
    }

    pub fn chat(&self, from: &str, text: &str) {
        self.with(|r| r.chat(from, text));
    }
}
