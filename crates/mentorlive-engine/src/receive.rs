//! The receive path of one remote track: RTP in, whole frames out through a
//! bounded queue. A full queue drops frames and counts them, never grows; a
//! video gap (loss or a drop) waits for the next keyframe and asks for one.
//! A video track is the partner's camera, or their screen share while the
//! screen's announced mid is its transceiver's.

use crate::assemble::Vp8Assembler;
use crate::audio_order::AudioOrder;
use crate::join_timeline::JoinStep;
use crate::media::{vp8_is_keyframe, MediaKind, ReceivedFrame};
use crate::quality::{AudioGapMeter, FreezeMeter};
use crate::record_tap::RecordTap;
use crate::stats::Counters;
use rtc::rtcp::payload_feedbacks::picture_loss_indication::PictureLossIndication;
use rtc::rtp_transceiver::rtp_sender::RtpCodecKind;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc::error::TrySendError;
use tokio::sync::{mpsc, watch};
use webrtc::media_stream::track_remote::{TrackRemote, TrackRemoteEvent};

/// Ask for at most one keyframe in this long...
const PLI_INTERVAL: Duration = Duration::from_millis(300);
/// ...and, while one asked for has not come, twice as long each time up to
/// this: a keyframe that takes longer than the interval to cross a slow or
/// lossy link (a 1080p page of text is 80 packets) must not be replaced by
/// the next one before it lands, or none ever does.
const PLI_INTERVAL_MAX: Duration = Duration::from_millis(2400);

struct KeyframeAsker {
    track: Arc<dyn TrackRemote>,
    media_ssrc: u32,
    last: Option<Instant>,
    interval: Duration,
    counters: Arc<Counters>,
}

/// The wait before the next keyframe request, after one was sent.
fn backed_off(interval: Duration) -> Duration {
    (interval * 2).min(PLI_INTERVAL_MAX)
}

impl KeyframeAsker {
    async fn ask(&mut self) {
        if self.media_ssrc == 0 {
            return; // not known yet: the first packet tells it
        }
        let now = Instant::now();
        if self
            .last
            .is_some_and(|t| now.duration_since(t) < self.interval)
        {
            return;
        }
        if self.last.is_some() {
            self.interval = backed_off(self.interval);
        }
        self.last = Some(now);
        Counters::add(&self.counters.keyframes_requested_by_us, 1);
        let pli = PictureLossIndication {
            sender_ssrc: 0,
            media_ssrc: self.media_ssrc,
        };
        if let Err(err) = self.track.write_rtcp(vec![Box::new(pli)]).await {
            tracing::debug!(%err, "could not send PLI");
        }
    }

    /// A keyframe came: the next request may go as soon as ever.
    fn answered(&mut self) {
        self.interval = PLI_INTERVAL;
    }
}

/// How many keyframes the application asked for so far, per video: a
/// receive task asks when the count of what it carries goes up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KeyframeAsks {
    pub camera: u64,
    pub screen: u64,
}

/// Which video a track carries: its transceiver's mid against the mid the
/// partner announced for their screen share, and the camera's (the m-line
/// our own camera sends on, which theirs comes back on).
pub struct Routing {
    pub mid: Option<String>,
    pub camera_mid: Option<String>,
    pub screen_mid: watch::Receiver<Option<String>>,
}

impl Routing {
    /// `None`: a video that is neither the camera nor an announced screen
    /// (a share whose announcement has not come yet, or one just stopped):
    /// it goes nowhere rather than into the camera's decoder.
    fn kind(&self) -> Option<MediaKind> {
        kind_of(&self.mid, &self.camera_mid, &self.screen_mid.borrow())
    }
}

fn kind_of(
    mid: &Option<String>,
    camera: &Option<String>,
    screen: &Option<String>,
) -> Option<MediaKind> {
    match mid {
        Some(_) if mid == screen => Some(MediaKind::Screen),
        // Where the camera's mid is unknown, any other video is taken for it.
        _ if camera.is_none() || mid == camera => Some(MediaKind::Video),
        _ => None,
    }
}

pub async fn run(
    track: Arc<dyn TrackRemote>,
    frames: mpsc::Sender<ReceivedFrame>,
    counters: Arc<Counters>,
    mut keyframe_asks: watch::Receiver<KeyframeAsks>,
    routing: Routing,
    tap: Arc<RecordTap>,
) {
    let is_video = track.kind().await == RtpCodecKind::Video;
    let media_ssrc = track.ssrcs().await.first().copied().unwrap_or(0);
    let mut asker = KeyframeAsker {
        track: track.clone(),
        media_ssrc,
        last: None,
        interval: PLI_INTERVAL,
        counters: counters.clone(),
    };
    let mut assembler = Vp8Assembler::default();
    let mut need_keyframe = is_video;
    let mut freezes = FreezeMeter::default();
    let mut gaps = AudioGapMeter::default();
    let mut order = AudioOrder::default();
    if need_keyframe {
        asker.ask().await;
    }
    let mut asks_seen = *keyframe_asks.borrow_and_update();
    let mut routed = None;
    loop {
        let kind = if is_video {
            routing.kind()
        } else {
            Some(MediaKind::Audio)
        };
        if is_video && kind != routed {
            // Another decoder takes these frames now: from a keyframe on.
            routed = kind;
            need_keyframe = true;
            if kind.is_some() {
                asker.ask().await;
            }
        }
        let repair_deadline = assembler.poll_timeout();
        // `Some(event)` from the track, `None` when an assembler deadline passed.
        let event = tokio::select! {
            event = track.poll() => Some(event),
            changed = keyframe_asks.changed(), if is_video => {
                if changed.is_err() {
                    return;
                }
                let asks = *keyframe_asks.borrow_and_update();
                let ours = match kind {
                    Some(MediaKind::Screen) => asks.screen > asks_seen.screen,
                    Some(_) => asks.camera > asks_seen.camera,
                    None => false,
                };
                asks_seen = asks;
                if ours {
                    asker.ask().await;
                }
                continue;
            }
            _ = async {
                match repair_deadline {
                    Some(at) => tokio::time::sleep_until(tokio::time::Instant::from_std(at)).await,
                    None => std::future::pending().await,
                }
            } => None,
        };
        let packet = match event {
            Some(Some(TrackRemoteEvent::OnRtpPacket(packet))) => Some(packet),
            Some(Some(_)) => continue,
            Some(None) => return,
            None => None,
        };
        let now = Instant::now();
        if let Some(packet) = &packet {
            // Nothing has arrived yet on any track: this is the call's first.
            if Counters::get(&counters.bytes_in) == 0 {
                counters.join_step(JoinStep::FirstRtp, now);
            }
            Counters::add(&counters.bytes_in, packet.payload.len() as u64);
            // The track may not know its SSRC when it opens, and a PLI for
            // SSRC 0 asks nobody: the packets say it.
            asker.media_ssrc = packet.header.ssrc;
        }
        match kind {
            Some(MediaKind::Audio) => {
                let Some(packet) = packet else { continue };
                // Empty ones too: a gap in the numbers would hold the next.
                for packet in order.push(packet.header.sequence_number, packet) {
                    if packet.payload.is_empty() {
                        continue;
                    }
                    let frame = ReceivedFrame {
                        kind: MediaKind::Audio,
                        data: packet.payload.clone(),
                        rtp_timestamp: packet.header.timestamp,
                        keyframe: true,
                        arrival: now,
                    };
                    tap.theirs(&frame);
                    let concealed = gaps.packet(now, packet.header.timestamp);
                    if !concealed.is_zero() {
                        Counters::add(&counters.audio_concealed_ms, concealed.as_millis() as u64);
                    }
                    match frames.try_send(frame) {
                        Ok(()) => Counters::add(&counters.audio_frames_in, 1),
                        Err(TrySendError::Full(_)) => Counters::add(&counters.frames_in_dropped, 1),
                        Err(TrySendError::Closed(_)) => return,
                    }
                }
            }
            video => {
                if let Some(packet) = packet {
                    let header = &packet.header;
                    assembler.push(
                        header.sequence_number,
                        header.timestamp,
                        header.marker,
                        packet.payload.clone(),
                    );
                }
                while let Some(assembled) = assembler.pop(now) {
                    if assembled.frames_lost_before > 0 {
                        Counters::add(
                            &counters.packets_in_lost,
                            u64::from(assembled.frames_lost_before),
                        );
                        need_keyframe = true;
                    }
                    let keyframe = vp8_is_keyframe(&assembled.data);
                    let Some(kind) = video else {
                        continue; // not routed: nobody's decoder wants it
                    };
                    if keyframe {
                        asker.answered();
                    }
                    if need_keyframe && !keyframe {
                        // A delta frame after a gap cannot be decoded.
                        Counters::add(&counters.frames_in_dropped, 1);
                        asker.ask().await;
                        continue;
                    }
                    let frame = ReceivedFrame {
                        kind,
                        data: assembled.data,
                        rtp_timestamp: assembled.rtp_timestamp,
                        keyframe,
                        arrival: now,
                    };
                    tap.theirs(&frame);
                    match frames.try_send(frame) {
                        Ok(()) => {
                            need_keyframe = false;
                            if kind == MediaKind::Video {
                                count_freeze(&counters, freezes.frame(now));
                                if Counters::get(&counters.video_frames_in) == 0 {
                                    counters.join_step(JoinStep::FirstVideoFrame, now);
                                }
                            }
                            let received = match kind {
                                MediaKind::Screen => &counters.screen_frames_in,
                                _ => &counters.video_frames_in,
                            };
                            Counters::add(received, 1);
                        }
                        Err(TrySendError::Full(_)) => {
                            Counters::add(&counters.frames_in_dropped, 1);
                            need_keyframe = true;
                            asker.ask().await;
                        }
                        Err(TrySendError::Closed(_)) => return,
                    }
                }
            }
        }
    }
}

/// Longer than this without a frame is a pause (the camera turned off, a
/// reconnect), not a freeze of a picture the person is watching.
const PAUSE: Duration = Duration::from_secs(5);

fn count_freeze(counters: &Counters, freeze: Option<Duration>) {
    if let Some(freeze) = freeze.filter(|f| *f < PAUSE) {
        Counters::add(&counters.video_freezes, 1);
        Counters::add(&counters.video_freeze_ms, freeze.as_millis() as u64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_video_goes_to_the_camera_the_screen_or_nowhere() {
        let mid = |m: &str| Some(m.to_owned());
        assert_eq!(kind_of(&mid("1"), &mid("1"), &None), Some(MediaKind::Video));
        assert_eq!(
            kind_of(&mid("4"), &mid("1"), &mid("4")),
            Some(MediaKind::Screen)
        );
        // A share not yet announced (or just stopped) is not the camera.
        assert_eq!(kind_of(&mid("4"), &mid("1"), &None), None);
        assert_eq!(kind_of(&mid("4"), &mid("1"), &mid("5")), None);
        // The camera's mid unknown: the old way, anything else is the camera.
        assert_eq!(kind_of(&mid("4"), &None, &None), Some(MediaKind::Video));
    }

    #[test]
    fn keyframe_requests_back_off_while_none_comes() {
        let mut waits = vec![PLI_INTERVAL];
        for _ in 0..5 {
            waits.push(backed_off(*waits.last().expect("one")));
        }
        let ms: Vec<u128> = waits.iter().map(Duration::as_millis).collect();
        assert_eq!(ms, vec![300, 600, 1200, 2400, 2400, 2400]);
    }
}
