//! The camera of a call from files: VP8 IVF frames sent at the file's frame
//! rate, looped. Given several renditions of the same video (encoded from
//! one source with the same keyframe interval), the one sent follows the
//! congestion controller's target, as a live encoder's bitrate would: the
//! switch happens where the next rendition has a keyframe, so the partner's
//! decoder never sees a delta frame from a stream it has not started.

use crate::frame_log::FrameLog;
use crate::ivf::IvfReader;
use anyhow::Context;
use bytes::Bytes;
use mentorlive_engine::{Call, EncodedVideoFrame, MediaKind};
use std::fs::File;
use std::io::BufReader;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// The least time between two keyframes sent on request: about what a
/// large keyframe takes to cross a slow link.
const KEYFRAME_AGAIN_AFTER: Duration = Duration::from_millis(700);

/// What the sound takes of the target: Opus at 48 kbit/s and its packets'
/// headers (RTP, SRTP, UDP, IP) 50 times a second.
const AUDIO_BPS: u64 = 64_000;
/// The share of a video stream's bits that headers take, at ~1,100-byte
/// packets with RTP, SRTP, UDP, IP and, when relayed, TURN's framing.
const PACKET_OVERHEAD: f64 = 0.1;

/// One video in one or more renditions, with each one's mean bitrate.
pub struct Renditions {
    paths: Vec<PathBuf>,
    bps: Vec<u64>,
    frame_time: Duration,
}

impl Renditions {
    /// Reads each file through once, for its bitrate and to refuse a file
    /// that is not IVF before the call starts.
    pub fn open(paths: &[PathBuf]) -> anyhow::Result<Renditions> {
        anyhow::ensure!(!paths.is_empty(), "no video file");
        let mut bps = Vec::new();
        let mut frame_time = None;
        for path in paths {
            let mut reader = IvfReader::new(BufReader::new(
                File::open(path).with_context(|| format!("opening {}", path.display()))?,
            ))?;
            let time = Duration::from_secs_f64(
                f64::from(reader.header.timebase_num) / f64::from(reader.header.timebase_den),
            );
            let time = if time.is_zero() || time > Duration::from_secs(1) {
                Duration::from_millis(33)
            } else {
                time
            };
            let (mut frames, mut bytes) = (0u64, 0u64);
            while let Some((data, _)) = reader
                .next_frame()
                .with_context(|| format!("reading {}", path.display()))?
            {
                frames += 1;
                bytes += data.len() as u64;
            }
            anyhow::ensure!(frames > 0, "{} holds no video frame", path.display());
            bps.push(bytes * 8 * 1_000_000 / (frames * time.as_micros() as u64).max(1));
            frame_time.get_or_insert(time);
        }
        Ok(Renditions {
            paths: paths.to_vec(),
            bps,
            frame_time: frame_time.unwrap_or(Duration::from_millis(33)),
        })
    }

    /// The richest rendition the target leaves room for beside the sound
    /// and the packets' own bytes (the leanest if none fits): a rendition
    /// of the whole target overfilled a link by the audio and kept its
    /// buffer full.
    pub fn pick(&self, target_bps: u64) -> usize {
        let video_budget = (target_bps as f64 * (1.0 - PACKET_OVERHEAD)) as u64;
        let video_budget = video_budget.saturating_sub(AUDIO_BPS);
        let mut best: Option<usize> = None;
        for (i, &bps) in self.bps.iter().enumerate() {
            let better = best.is_none_or(|b| bps > self.bps[b]);
            if bps <= video_budget && better {
                best = Some(i);
            }
        }
        best.unwrap_or_else(|| {
            (0..self.bps.len())
                .min_by_key(|&i| self.bps[i])
                .unwrap_or(0)
        })
    }
}

/// Sends the renditions' frames at their frame rate, from the start again at
/// their end and whenever the partner asks for a keyframe (frame 0 is one):
/// a file cannot make a keyframe on demand, but it can go back to one.
/// `target_bps` is the congestion controller's latest target (0: none yet).
pub async fn send_video(
    call: Call,
    renditions: Arc<Renditions>,
    target_bps: Arc<AtomicU64>,
    log: Option<FrameLog>,
    keyframe: Arc<Notify>,
    kind: MediaKind,
    restarted: Option<Arc<Notify>>,
) -> anyhow::Result<()> {
    let frame_time = renditions.frame_time;
    let mut current = renditions.pick(target_bps.load(Ordering::Relaxed));
    // When a request last sent us back to the keyframe. The first request
    // is always answered: it is the engine's own when the connection comes
    // up (a fresh connection starts with a keyframe), while the file's first
    // keyframe went out before anyone was connected. Held back by the guard,
    // it left the partner waiting for the file's next keyframe, up to a
    // second (17–20 frames dropped at the start of every CLI call).
    let mut last_restart: Option<tokio::time::Instant> = None;
    loop {
        // The audio starts over with the camera, so the two stay in sync
        // as a camera and a microphone would.
        if let Some(restarted) = &restarted {
            restarted.notify_one();
        }
        let mut readers = renditions
            .paths
            .iter()
            .map(|path| IvfReader::new(BufReader::new(File::open(path)?)))
            .collect::<std::io::Result<Vec<_>>>()?;
        let mut tick = tokio::time::interval(frame_time);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        'file: loop {
            let may_restart = last_restart.is_none_or(|at| at.elapsed() >= KEYFRAME_AGAIN_AFTER);
            tokio::select! {
                _ = tick.tick() => {}
                // Back to the keyframe, but not again while the last one is
                // still on its way (requests for it would restart it forever).
                _ = keyframe.notified(), if may_restart => {
                    last_restart = Some(tokio::time::Instant::now());
                    break;
                }
            }
            // Every rendition moves on a frame, so they stay at one place
            // in the video.
            let mut frames = Vec::with_capacity(readers.len());
            for reader in &mut readers {
                match reader.next_frame()? {
                    Some((data, _)) => frames.push(data),
                    None => break 'file,
                }
            }
            let wanted = renditions.pick(target_bps.load(Ordering::Relaxed));
            if wanted != current && mentorlive_engine::media::vp8_is_keyframe(&frames[wanted]) {
                current = wanted;
            } else if renditions.bps[wanted] < renditions.bps[current] {
                // Down at once, from the leaner rendition's keyframe, as an
                // encoder lowers its rate at once: waiting for the file's
                // next keyframe kept a narrowed link overfilled a second.
                break 'file;
            }
            let data = frames.swap_remove(current);
            let is_key = mentorlive_engine::media::vp8_is_keyframe(&data);
            if let Some(log) = &log {
                log.sent(&data, is_key);
            }
            let frame = EncodedVideoFrame {
                keyframe: is_key,
                data: Bytes::from(data),
                duration: frame_time,
            };
            match kind {
                MediaKind::Screen => call.send_screen(frame),
                _ => call.send_video(frame),
            };
        }
        // Every rendition starts with a keyframe: take the one wanted now.
        current = renditions.pick(target_bps.load(Ordering::Relaxed));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_richest_rendition_under_the_target_is_sent() {
        let r = Renditions {
            paths: vec![PathBuf::new(); 3],
            bps: vec![200_000, 800_000, 400_000],
            frame_time: Duration::from_millis(33),
        };
        assert_eq!(r.pick(0), 0, "no target yet: the leanest");
        assert_eq!(r.pick(100_000), 0, "under every rendition: the leanest");
        assert_eq!(r.pick(450_000), 0, "450k less sound and headers: 341k");
        assert_eq!(r.pick(600_000), 2, "476k for video");
        assert_eq!(r.pick(5_000_000), 1);
    }
}
