//! Counters the media paths bump, and the once-a-second figures made of them.

use serde::Serialize;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Debug, Default)]
pub struct Counters {
    pub video_frames_out: AtomicU64,
    pub audio_frames_out: AtomicU64,
    pub bytes_out: AtomicU64,
    pub frames_out_dropped: AtomicU64,
    pub video_frames_in: AtomicU64,
    pub audio_frames_in: AtomicU64,
    pub bytes_in: AtomicU64,
    /// Frames the application did not take in time (its queue was full).
    pub frames_in_dropped: AtomicU64,
    pub packets_in_lost: AtomicU64,
    pub keyframes_requested_by_us: AtomicU64,
    pub keyframes_requested_of_us: AtomicU64,
}

impl Counters {
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}

/// The figures for one second of the call.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "camelCase")]
pub struct CallStats {
    pub state: String,
    pub rtt_ms: Option<f64>,
    pub jitter_ms: Option<f64>,
    /// Fraction of the partner's packets lost in this second.
    pub loss: f64,
    pub bitrate_in_kbps: f64,
    pub bitrate_out_kbps: f64,
    pub target_bitrate_kbps: Option<f64>,
    pub video_frames_in: u64,
    pub audio_frames_in: u64,
    pub video_frames_out: u64,
    pub audio_frames_out: u64,
    pub frames_in_dropped: u64,
    pub frames_out_dropped: u64,
    pub packets_in_lost: u64,
    pub keyframes_requested_by_us: u64,
    pub keyframes_requested_of_us: u64,
}

/// Totals at one instant, to difference into rates.
#[derive(Debug, Clone, Copy, Default)]
pub struct Snapshot {
    pub bytes_in: u64,
    pub bytes_out: u64,
    pub packets_in: u64,
    pub packets_in_lost: u64,
}
