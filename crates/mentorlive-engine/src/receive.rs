//! The receive path of one remote track: RTP in, whole frames out through a
//! bounded queue. A full queue drops frames and counts them, never grows; a
//! video gap (loss or a drop) waits for the next keyframe and asks for one.

use crate::media::{vp8_is_keyframe, MediaKind, ReceivedFrame};
use crate::stats::Counters;
use rtc::media::io::sample_builder::SampleBuilder;
use rtc::rtcp::payload_feedbacks::picture_loss_indication::PictureLossIndication;
use rtc::rtp::codec::vp8::Vp8Packet;
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
    let mut builder = SampleBuilder::new(256, Vp8Packet::default(), 90_000)
        .with_max_time_delay(Duration::from_millis(500));
    let mut need_keyframe = kind == MediaKind::Video;
    if need_keyframe {
        asker.ask().await;
    }
    loop {
        let event = tokio::select! {
            event = track.poll() => event,
            _ = want_keyframe.notified(), if kind == MediaKind::Video => {
                asker.ask().await;
                continue;
            }
        };
        let Some(event) = event else { return };
        let TrackRemoteEvent::OnRtpPacket(packet) = event else {
            continue;
        };
        Counters::add(&counters.bytes_in, packet.payload.len() as u64);
        let now = Instant::now();
        match kind {
            MediaKind::Audio => {
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
                builder.push(now, packet);
                while let Some((sample, rtp_timestamp)) = builder.pop_with_timestamp(now) {
                    if sample.prev_dropped_packets > 0 {
                        Counters::add(
                            &counters.packets_in_lost,
                            u64::from(sample.prev_dropped_packets),
                        );
                        need_keyframe = true;
                    }
                    let keyframe = vp8_is_keyframe(&sample.data);
                    if need_keyframe && !keyframe {
                        // A delta frame after a gap cannot be decoded.
                        Counters::add(&counters.frames_in_dropped, 1);
                        asker.ask().await;
                        continue;
                    }
                    let frame = ReceivedFrame {
                        kind,
                        data: sample.data,
                        rtp_timestamp,
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
