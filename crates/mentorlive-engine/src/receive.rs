//! The receive path of one remote track: RTP in, whole frames out through a
//! bounded queue. A full queue drops frames and counts them, never grows; a
//! video gap (loss or a drop) waits for the next keyframe and asks for one.

use crate::assemble::Vp8Assembler;
use crate::media::{vp8_is_keyframe, MediaKind, ReceivedFrame};
use crate::stats::Counters;
use rtc::rtcp::payload_feedbacks::picture_loss_indication::PictureLossIndication;
use rtc::rtp_transceiver::rtp_sender::RtpCodecKind;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tokio::sync::mpsc::error::TrySendError;
use webrtc::media_stream::track_remote::{TrackRemote, TrackRemoteEvent};

/// Ask for at most one keyframe in this long.
const PLI_INTERVAL: Duration = Duration::from_millis(300);

struct KeyframeAsker {
    track: Arc<dyn TrackRemote>,
    media_ssrc: u32,
    last: Option<Instant>,
    counters: Arc<Counters>,
}

impl KeyframeAsker {
    async fn ask(&mut self) {
        let now = Instant::now();
        if self
            .last
            .is_some_and(|t| now.duration_since(t) < PLI_INTERVAL)
        {
            return;
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
}

pub async fn run(
    track: Arc<dyn TrackRemote>,
    frames: mpsc::Sender<ReceivedFrame>,
    counters: Arc<Counters>,
    want_keyframe: Arc<tokio::sync::Notify>,
) {
    let kind = match track.kind().await {
        RtpCodecKind::Video => MediaKind::Video,
        _ => MediaKind::Audio,
    };
    let media_ssrc = track.ssrcs().await.first().copied().unwrap_or(0);
    let mut asker = KeyframeAsker {
        track: track.clone(),
        media_ssrc,
        last: None,
        counters: counters.clone(),
    };
    let mut assembler = Vp8Assembler::default();
    let mut need_keyframe = kind == MediaKind::Video;
    if need_keyframe {
        asker.ask().await;
    }
    loop {
        let repair_deadline = assembler.poll_timeout();
        // `Some(event)` from the track, `None` when an assembler deadline passed.
        let event = tokio::select! {
            event = track.poll() => Some(event),
            _ = want_keyframe.notified(), if kind == MediaKind::Video => {
                asker.ask().await;
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
            Counters::add(&counters.bytes_in, packet.payload.len() as u64);
        }
        match kind {
            MediaKind::Audio => {
                let Some(packet) = packet else { continue };
                if packet.payload.is_empty() {
                    continue;
                }
                let frame = ReceivedFrame {
                    kind,
                    data: packet.payload.clone(),
                    rtp_timestamp: packet.header.timestamp,
                    keyframe: true,
                    arrival: now,
                };
                match frames.try_send(frame) {
                    Ok(()) => Counters::add(&counters.audio_frames_in, 1),
                    Err(TrySendError::Full(_)) => Counters::add(&counters.frames_in_dropped, 1),
                    Err(TrySendError::Closed(_)) => return,
                }
            }
            MediaKind::Video => {
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
                    match frames.try_send(frame) {
                        Ok(()) => {
                            need_keyframe = false;
                            Counters::add(&counters.video_frames_in, 1);
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
