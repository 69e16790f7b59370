//! Building one RTCPeerConnection for a call: codecs (Opus, VP8), feedback
//! (NACK, PLI, FIR, TWCC), congestion control (GCC with a pacer), our two
//! tracks, the negotiated data channel, and an event handler that turns
//! the connection's events into the machine's inputs.

use crate::congestion::{PublishingEstimator, ReportedLoss, PACING_FACTOR};
use crate::machine::PeerInput;
use crate::pacer::{Backlog, LinkFull, MediaPacer};
use crate::EngineError;
use mentorlive_protocol::peer_messages::IceCandidate;
use rtc::interceptor::{NackGeneratorBuilder, Slot};
use rtc::media_stream::MediaStreamTrack;
use rtc::peer_connection::configuration::interceptor_registry::{
    configure_congestion_control, configure_nack, configure_rtcp_reports, CongestionFeedback,
};
use rtc::peer_connection::configuration::media_engine::{
    MediaEngine, MIME_TYPE_OPUS, MIME_TYPE_VP8,
};
use rtc::rtp_transceiver::rtp_sender::{
    RTCPFeedback, RTCRtpCodec, RTCRtpCodecParameters, RTCRtpCodingParameters,
    RTCRtpEncodingParameters, RtpCodecKind,
};
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use webrtc::data_channel::DataChannel;
use webrtc::media_stream::track_local::static_sample::TrackLocalStaticSample;
use webrtc::media_stream::track_local::TrackLocal;
use webrtc::media_stream::track_remote::TrackRemote;
use webrtc::peer_connection::Registry;
use webrtc::peer_connection::{
    PeerConnection, PeerConnectionBuilder, PeerConnectionEventHandler, RTCConfigurationBuilder,
    RTCIceConnectionState, RTCIceGatheringState, RTCIceServer, RTCPeerConnectionIceEvent,
    RTCPeerConnectionState, SettingEngineBuilder,
};
use webrtc::rtp_transceiver::RtpSender;

pub const VIDEO_PAYLOAD_TYPE: u8 = 96;
pub const AUDIO_PAYLOAD_TYPE: u8 = 111;
/// The bitrate GCC starts from, and its bounds, for a 640x480 call.
pub const INITIAL_BITRATE: f64 = 800_000.0;
pub const MIN_BITRATE: f64 = 100_000.0;
pub const MAX_BITRATE: f64 = 2_500_000.0;
/// The negotiated data channel both sides create (no DCEP round trip).
pub const DATA_CHANNEL_ID: u16 = 0;
pub const DATA_CHANNEL_LABEL: &str = "mentorlive";

/// What the connection tells the driver: an input for the machine, or a
/// remote track for the receive path (media never goes through the machine).
pub enum PcEvent {
    Machine(PeerInput),
    Track(Arc<dyn TrackRemote>),
    /// The stack handed us (again) a data channel: when the one we created
    /// had lost its event stream at the moment it opened, webrtc announces a
    /// fresh handle for the same channel, and its messages arrive only there.
    DataChannel(Arc<dyn DataChannel>),
}

struct Handler {
    /// Which connection of the call this is, so late events of an old one are dropped.
    generation: u64,
    tx: mpsc::UnboundedSender<(u64, PcEvent)>,
}

impl Handler {
    fn send(&self, input: PeerInput) {
        let _ = self.tx.send((self.generation, PcEvent::Machine(input)));
    }
}

#[async_trait::async_trait]
impl PeerConnectionEventHandler for Handler {
    async fn on_ice_candidate(&self, event: RTCPeerConnectionIceEvent) {
        match event.candidate.to_json() {
            Ok(init) => self.send(PeerInput::LocalCandidate(Some(IceCandidate {
                candidate: init.candidate,
                sdp_mid: init.sdp_mid,
                sdp_mline_index: init.sdp_mline_index,
            }))),
            Err(err) => tracing::warn!(%err, "could not serialise a local candidate"),
        }
    }

    async fn on_ice_gathering_state_change(&self, state: RTCIceGatheringState) {
        if state == RTCIceGatheringState::Complete {
            self.send(PeerInput::LocalCandidate(None));
        }
    }

    async fn on_ice_connection_state_change(&self, state: RTCIceConnectionState) {
        match state {
            RTCIceConnectionState::Connected | RTCIceConnectionState::Completed => {
                self.send(PeerInput::IcePath { up: true })
            }
            RTCIceConnectionState::Disconnected | RTCIceConnectionState::Failed => {
                self.send(PeerInput::IcePath { up: false })
            }
            _ => {}
        }
    }

    async fn on_connection_state_change(&self, state: RTCPeerConnectionState) {
        match state {
            RTCPeerConnectionState::Connected => {
                self.send(PeerInput::Connection { connected: true })
            }
            RTCPeerConnectionState::Disconnected | RTCPeerConnectionState::Failed => {
                self.send(PeerInput::Connection { connected: false })
            }
            _ => {}
        }
    }

    // No signaling-state events: the machine knows its JSEP state from the
    // actions it asked for (an offer set, an answer applied or made). The
    // stack's events arrive later through a queue and could leave a stale
    // "not stable" behind, after which the impolite side ignored every
    // offer as glare (a browser's screen share, found by tests/app_screen.rs).

    async fn on_data_channel(&self, data: Arc<dyn DataChannel>) {
        let _ = self.tx.send((self.generation, PcEvent::DataChannel(data)));
    }

    async fn on_track(&self, track: Arc<dyn TrackRemote>) {
        let _ = self.tx.send((self.generation, PcEvent::Track(track)));
    }
}

/// One peer connection and what we send on it.
pub struct Peer {
    pub pc: Arc<dyn PeerConnection>,
    pub video: Arc<TrackLocalStaticSample>,
    pub audio: Arc<TrackLocalStaticSample>,
    pub video_sender: Arc<dyn RtpSender>,
    pub audio_sender: Arc<dyn RtpSender>,
    pub data: Arc<dyn DataChannel>,
    /// GCC's current target, in bits per second.
    pub target_bitrate: Arc<AtomicU64>,
    /// How long the video queued in our pacer will take to leave.
    pub backlog: Arc<Backlog>,
}

fn feedback(typ: &str, parameter: &str) -> RTCPFeedback {
    RTCPFeedback {
        typ: typ.to_owned(),
        parameter: parameter.to_owned(),
    }
}

fn media_engine() -> Result<MediaEngine, EngineError> {
    let mut engine = MediaEngine::default();
    engine
        .register_codec(
            RTCRtpCodecParameters {
                rtp_codec: RTCRtpCodec {
                    mime_type: MIME_TYPE_OPUS.to_owned(),
                    clock_rate: 48_000,
                    channels: 2,
                    sdp_fmtp_line: "minptime=10;useinbandfec=1".to_owned(),
                    rtcp_feedback: vec![],
                },
                payload_type: AUDIO_PAYLOAD_TYPE,
            },
            RtpCodecKind::Audio,
        )
        .map_err(EngineError::webrtc)?;
    engine
        .register_codec(
            RTCRtpCodecParameters {
                rtp_codec: RTCRtpCodec {
                    mime_type: MIME_TYPE_VP8.to_owned(),
                    clock_rate: 90_000,
                    channels: 0,
                    sdp_fmtp_line: String::new(),
                    rtcp_feedback: vec![feedback("ccm", "fir")],
                },
                payload_type: VIDEO_PAYLOAD_TYPE,
            },
            RtpCodecKind::Video,
        )
        .map_err(EngineError::webrtc)?;
    Ok(engine)
}

fn local_track(
    kind: RtpCodecKind,
    label: &str,
    mime: &str,
    clock_rate: u32,
    channels: u16,
    ssrc: u32,
) -> Result<Arc<TrackLocalStaticSample>, EngineError> {
    let track = MediaStreamTrack::new(
        // The screen in a stream of its own, as a browser's getDisplayMedia
        // track would be.
        if label == "screen" {
            "mentorlive-screen"
        } else {
            "mentorlive"
        }
        .to_owned(),
        // A track id of its own (its SSRC is random): webrtc 0.21 routes
        // inbound RTCP by track id, to a received track of that id first.
        // With "video" on both sides, the partner engine's keyframe
        // requests (RTCP PLI) went to our received video, not our sent
        // one, and no engine ever heard one (a browser's track ids are
        // UUIDs, so its requests did arrive).
        format!("{label}-{ssrc:08x}"),
        label.to_owned(),
        kind,
        vec![RTCRtpEncodingParameters {
            rtp_coding_parameters: RTCRtpCodingParameters {
                ssrc: Some(ssrc),
                ..Default::default()
            },
            codec: RTCRtpCodec {
                mime_type: mime.to_owned(),
                clock_rate,
                channels,
                sdp_fmtp_line: String::new(),
                rtcp_feedback: vec![],
            },
            ..Default::default()
        }],
    );
    Ok(Arc::new(
        TrackLocalStaticSample::new(Instant::now(), track).map_err(EngineError::webrtc)?,
    ))
}

/// The screen share's track (VP8 like the camera's), made on the first share.
pub fn screen_track() -> Result<Arc<TrackLocalStaticSample>, EngineError> {
    local_track(
        RtpCodecKind::Video,
        "screen",
        MIME_TYPE_VP8,
        90_000,
        0,
        random_ssrc(),
    )
}

fn random_ssrc() -> u32 {
    let mut bytes = [0u8; 4];
    let _ = getrandom::getrandom(&mut bytes);
    u32::from_le_bytes(bytes) | 1
}

/// Builds a connection whose events go to `tx`, tagged with `generation`.
///
/// mDNS (to resolve a browser's `.local` candidates) needs a multicast-capable
/// interface; where there is none (a container, a bare network namespace) the
/// connection is built again without it rather than not at all.
pub async fn build(
    ice_servers: Vec<RTCIceServer>,
    udp_addrs: Vec<String>,
    relay_only: bool,
    generation: u64,
    tx: mpsc::UnboundedSender<(u64, PcEvent)>,
) -> Result<Peer, EngineError> {
    match build_with(
        ice_servers.clone(),
        udp_addrs.clone(),
        relay_only,
        generation,
        tx.clone(),
        true,
    )
    .await
    {
        Ok(peer) => Ok(peer),
        Err(err) => {
            tracing::warn!(%err, "building the connection with mDNS failed; building it without");
            build_with(ice_servers, udp_addrs, relay_only, generation, tx, false).await
        }
    }
}

async fn build_with(
    ice_servers: Vec<RTCIceServer>,
    udp_addrs: Vec<String>,
    relay_only: bool,
    generation: u64,
    tx: mpsc::UnboundedSender<(u64, PcEvent)>,
    mdns: bool,
) -> Result<Peer, EngineError> {
    let mut media = media_engine()?;
    let target_bitrate = Arc::new(AtomicU64::new(INITIAL_BITRATE as u64));
    let reported_loss = Arc::new(ReportedLoss::default());
    let backlog = Arc::new(Backlog::default());
    let link_full = Arc::new(LinkFull::default());
    let cuts = tx.clone();
    let estimator = PublishingEstimator::new(
        INITIAL_BITRATE,
        (MIN_BITRATE, MAX_BITRATE),
        reported_loss.clone(),
        target_bitrate.clone(),
        link_full.clone(),
        Box::new(move |bps| {
            let _ = cuts.send((generation, PcEvent::Machine(PeerInput::TargetCut { bps })));
        }),
    );
    let registry = configure_congestion_control(
        Registry::new(),
        estimator,
        CongestionFeedback::Twcc,
        &mut media,
    )
    .map_err(EngineError::webrtc)?;
    // NACK retransmissions and RTCP reports; the TWCC recorder is already in
    // the congestion-control set (adding the default one would replace it).
    let registry = configure_rtcp_reports(configure_nack(registry, &mut media))
        // NACK every 20 ms instead of 100 (libwebrtc asks at once and then
        // per round trip): at 10 % loss a NACK or its retransmission is lost
        // one time in five, and one round per 100 ms left too few rounds
        // before a frame is given up (the assembler's REPAIR_WAIT). Capped
        // so a long round trip does not turn into a storm of repeats.
        .with(
            Slot::NackGenerator,
            NackGeneratorBuilder::new()
                .with_interval(Duration::from_millis(20))
                .with_max_nacks_per_packet(10)
                .build(),
        )
        // The application-most slot, which we use for nothing else: the
        // partner's keyframe requests marked for us after every interceptor
        // has seen them, and their receiver reports' loss read for
        // congestion control (keyframe_feedback.rs).
        // Our pacer in place of the crate's FIFO: sound first, and the
        // video queue's length told to the pumps (pacer.rs).
        .with(
            Slot::Pacer,
            MediaPacer::new(INITIAL_BITRATE * PACING_FACTOR, backlog.clone(), link_full),
        )
        .with(
            Slot::JitterBuffer,
            crate::keyframe_feedback::KeyframeRequests::new(reported_loss),
        );
    // Joining waits for ICE's ticks: the controlling side nominates a pair
    // only at the tick after its check succeeded, and the DTLS ClientHello
    // leaves only at the tick after that (rtc 0.21 queues it until a
    // timeout is handled). A tick every 20 ms instead of the crate's 200 ms
    // (70 requests: a pair still fails after 1.4 s), and peer-reflexive
    // candidates accepted at once instead of after 1 s (a partner's check
    // often arrives before its candidate), took the native join from
    // 166 ms to 68 ms, every trial under 70 ms (docs/performance.md).
    // Measured with 20 ms and the 1 s wait, two joins in seven took 1.09 s.
    // Our answers always take the DTLS server's side (`a=setup:passive`).
    // A browser keeps the role the first negotiation gave and refuses an
    // answer that would change it ("Failed to set SSL role"); webrtc answers
    // `active` by default, which changed it whenever we had offered first
    // (a browser answers `active`, making us the server) and later answered
    // a browser's offer (its screen share, its ICE restart). As the server
    // in every answer, we keep the role whoever offered first.
    let mut settings = SettingEngineBuilder::new()
        .with_answering_dtls_role(rtc::peer_connection::transport::RTCDtlsRole::Server)
        .with_ice_connection_attempts(Some(Duration::from_millis(20)), Some(70))
        .with_prflx_acceptance_min_wait(Some(Duration::ZERO))
        .with_ice_timeouts(
            Some(Duration::from_secs(3)),
            Some(Duration::from_secs(10)),
            Some(Duration::from_secs(1)),
        );
    if !mdns {
        settings = settings.with_multicast_dns_mode(rtc::ice::mdns::MulticastDnsMode::Disabled);
    }
    let settings = settings.build();
    // Relay only: no host or server-reflexive candidate is gathered, so
    // none reaches the partner (nor our LAN or public address with it).
    let policy = if relay_only {
        rtc::peer_connection::configuration::RTCIceTransportPolicy::Relay
    } else {
        rtc::peer_connection::configuration::RTCIceTransportPolicy::All
    };
    let config = RTCConfigurationBuilder::default()
        .with_ice_servers(ice_servers)
        .with_ice_transport_policy(policy)
        .build();
    let pc = PeerConnectionBuilder::new()
        .with_configuration(config)
        .with_media_engine(media)
        .with_interceptor_registry(registry)
        .with_setting_engine(settings)
        .with_handler(Arc::new(Handler { generation, tx }))
        .with_udp_addrs(udp_addrs)
        .build()
        .await
        .map_err(EngineError::webrtc)?;
    let pc: Arc<dyn PeerConnection> = Arc::new(pc);

    let video = local_track(
        RtpCodecKind::Video,
        "video",
        MIME_TYPE_VP8,
        90_000,
        0,
        random_ssrc(),
    )?;
    let audio = local_track(
        RtpCodecKind::Audio,
        "audio",
        MIME_TYPE_OPUS,
        48_000,
        2,
        random_ssrc(),
    )?;
    let audio_sender = pc
        .add_track(audio.clone() as Arc<dyn TrackLocal>)
        .await
        .map_err(EngineError::webrtc)?;
    let video_sender = pc
        .add_track(video.clone() as Arc<dyn TrackLocal>)
        .await
        .map_err(EngineError::webrtc)?;
    let data = pc
        .create_data_channel(
            DATA_CHANNEL_LABEL,
            Some(rtc::data_channel::RTCDataChannelInit {
                negotiated: Some(DATA_CHANNEL_ID),
                ..Default::default()
            }),
        )
        .await
        .map_err(EngineError::webrtc)?;
    Ok(Peer {
        pc,
        video,
        audio,
        video_sender,
        audio_sender,
        data,
        target_bitrate,
        backlog,
    })
}

#[cfg(test)]
mod gathering_tests {
    use super::*;

    /// The candidates a fresh connection gathers for its first offer, within
    /// 3 s. The TURN server named answers nothing (a closed port): what a
    /// relay-only connection could still leak is everything else.
    async fn gathered(relay_only: bool) -> Vec<String> {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let turn = RTCIceServer {
            urls: vec!["turn:127.0.0.1:9?transport=udp".into()],
            username: "1700000000:someone".into(),
            credential: "secret".into(),
        };
        let peer = build(vec![turn], vec!["127.0.0.1:0".into()], relay_only, 1, tx)
            .await
            .expect("a connection");
        let offer = peer.pc.create_offer(None).await.expect("offer");
        peer.pc.set_local_description(offer).await.expect("local");
        let mut candidates = Vec::new();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
        loop {
            let event = tokio::time::timeout_at(deadline, rx.recv()).await;
            match event {
                Ok(Some((_, PcEvent::Machine(PeerInput::LocalCandidate(Some(c)))))) => {
                    candidates.push(c.candidate)
                }
                Ok(Some((_, PcEvent::Machine(PeerInput::LocalCandidate(None))))) => break,
                Ok(Some(_)) => {}
                Ok(None) | Err(_) => break,
            }
        }
        let _ = peer.pc.close().await;
        candidates
    }

    #[tokio::test]
    async fn relay_only_gathers_no_address_of_ours() {
        let all = gathered(false).await;
        assert!(
            all.iter()
                .any(|c| c.contains("typ host") && c.contains("127.0.0.1")),
            "a normal connection offers its host address: {all:?}"
        );
        let relay = gathered(true).await;
        assert!(
            relay.iter().all(|c| c.contains("typ relay")),
            "relay only offers nothing but relays: {relay:?}"
        );
        assert!(!relay.iter().any(|c| c.contains("127.0.0.1")), "{relay:?}");
    }
}
