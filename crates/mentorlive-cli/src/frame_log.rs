//! `--frame-log`: a line for each video frame sent and received, stamped
//! with the wall clock and named by a hash of its bytes. Two peers on one
//! machine share that clock, so a frame's line on each side gives its delay
//! from one engine to the other, and the received lines show freezes and
//! the keyframes that end them. For measuring calls under an impaired path.

use mentorlive_engine::ReceivedFrame;
use std::fs::File;
use std::io::{LineWriter, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

#[derive(Clone)]
pub struct FrameLog(Arc<Mutex<LineWriter<File>>>);

/// FNV-1a: the same bytes give the same name in both processes.
fn name(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Milliseconds since the Unix epoch at `at`.
fn wall_ms(at: Instant) -> f64 {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64()
        * 1000.0;
    now - Instant::now().saturating_duration_since(at).as_secs_f64() * 1000.0
}

impl FrameLog {
    pub fn create(path: &Path) -> std::io::Result<FrameLog> {
        Ok(FrameLog(Arc::new(Mutex::new(LineWriter::new(
            File::create(path)?,
        )))))
    }

    fn line(&self, text: String) {
        // A log that cannot be written must not stop the call.
        if let Ok(mut out) = self.0.lock() {
            let _ = writeln!(out, "{text}");
        }
    }

    pub fn sent(&self, data: &[u8], keyframe: bool) {
        self.line(format!(
            "{{\"dir\":\"out\",\"t\":{:.1},\"h\":\"{:016x}\",\"key\":{keyframe},\"bytes\":{}}}",
            wall_ms(Instant::now()),
            name(data),
            data.len()
        ));
    }

    pub fn received(&self, frame: &ReceivedFrame) {
        self.line(format!(
            "{{\"dir\":\"in\",\"t\":{:.1},\"h\":\"{:016x}\",\"key\":{},\"bytes\":{}}}",
            wall_ms(frame.arrival),
            name(&frame.data),
            frame.keyframe,
            frame.data.len()
        ));
    }
}
