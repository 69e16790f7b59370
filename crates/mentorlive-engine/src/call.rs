//! One call: the signaling room, the peer connection with the partner, and
//! the media pumps. A single task owns the negotiation state and reacts to
//! signaling, connection events, commands and a one-second tick.

use crate::media::{EncodedVideoFrame, MediaKind, OpusPacket, ReceivedFrame};
use crate::negotiation::{Decision, DescriptionKind, Negotiator};
use crate::peer::{self, PcEvent, Peer};
use crate::stats::{CallStats, Counters, Snapshot};
use crate::{receive, EngineError};
use bytes::Bytes;
use mentorlive_protocol::signaling::{IceServer, Joined, LeaveReason, PeerInfo, PeerUser};
use mentorlive_signaling::{ClientOptions, ConnectionState, LiveClient, LiveEvent};
use rtc::media::Sample;
use rtc::rtcp::payload_feedbacks::full_intra_request::FullIntraRequest;
use rtc::rtcp::payload_feedbacks::picture_loss_indication::PictureLossIndication;
use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot, Notify};
use webrtc::data_channel::DataChannelEvent;
use webrtc::media_stream::track_local::TrackLocalEvent;
use webrtc::media_stream::Track;
use webrtc::peer_connection::{
    RTCIceCandidateInit, RTCIceConnectionState, RTCIceServer, RTCPeerConnectionState,
    RTCSessionDescription, RTCSignalingState,
};

/// How to join.
#[derive(Debug, Clone)]
pub struct CallOptions {
    pub server: String,
    pub token: String,
    pub code: String,
    /// Local UDP addresses to gather on (`0.0.0.0:0`: every interface).
    pub udp_addrs: Vec<String>,
    pub signaling: ClientOptions,
    /// Received frames the application may hold before the engine drops.
    pub frame_queue: usize,
}

impl CallOptions {
    pub fn new(server: &str, token: &str, code: &str) -> CallOptions {
        CallOptions {
            server: server.to_owned(),
            token: token.to_owned(),
            code: code.to_owned(),
            udp_addrs: vec!["0.0.0.0:0".to_owned()],
            signaling: ClientOptions::default(),
            frame_queue: 64,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum CallState {
    WaitingForPeer,
    Connecting,
    Connected,
    /// The media path is down; the engine is restarting ICE.
    Reconnecting,
    Ended,
}

/// What the call tells the application.
#[derive(Debug, Clone, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum CallEvent {
    Joined {
        session_id: String,
        peer_id: String,
        polite: bool,
    },
    PeerPresent {
        peer_id: String,
        user: PeerUser,
    },
    PeerLeft {
        peer_id: String,
        reason: LeaveReason,
    },
    State {
        state: CallState,
    },
    Signaling {
        state: String,
    },
    /// The partner's decoder needs a keyframe: make the next frame one.
    KeyframeRequested,
    /// The bitrate congestion control allows now, for the encoder.
    TargetBitrate {
        bps: u64,
    },
    Stats {
        stats: CallStats,
    },
    Chat {
        text: String,
    },
    /// A control message from the partner (mute state and the like).
    Control {
        message: Value,
    },
    /// This device was replaced by the same user joining elsewhere.
    Replaced,
}

enum Command {
    Send(Value),
    RequestKeyframe,
    RestartIce,
    HangUp(oneshot::Sender<()>),
}

/// Where media goes now: the tracks of the current connection.
#[derive(Clone)]
struct Sink {
    video: Arc<webrtc::media_stream::track_local::static_sample::TrackLocalStaticSample>,
    audio: Arc<webrtc::media_stream::track_local::static_sample::TrackLocalStaticSample>,
    video_ssrc: u32,
    audio_ssrc: u32,
    video_pt: u8,
    audio_pt: u8,
}

type SharedSink = Arc<Mutex<Option<Sink>>>;

/// A handle on a running call.
#[derive(Clone)]
pub struct Call {
    commands: mpsc::UnboundedSender<Command>,
    video_in: mpsc::Sender<(Bytes, Duration)>,
    audio_in: mpsc::Sender<(Bytes, Duration)>,
    counters: Arc<Counters>,
}

impl Call {
    /// Joins the live code's room and starts the call. Events and received
    /// frames arrive on the two receivers.
    pub async fn join(
        options: CallOptions,
    ) -> Result<
        (
            Call,
            mpsc::Receiver<CallEvent>,
            mpsc::Receiver<ReceivedFrame>,
        ),
        EngineError,
    > {
        let (live, live_events) =
            LiveClient::connect(&options.server, &options.token, options.signaling.clone()).await?;
        let joined = live.join(&options.code).await?;
        let (events_tx, events) = mpsc::channel(256);
        let (frames_tx, frames) = mpsc::channel(options.frame_queue.max(1));
        let (commands, command_rx) = mpsc::unbounded_channel();
        let (video_in, video_rx) = mpsc::channel(8);
        let (audio_in, audio_rx) = mpsc::channel(16);
        let counters = Arc::new(Counters::default());
        let sink: SharedSink = Arc::new(Mutex::new(None));
        let path_up = Arc::new(AtomicBool::new(true));
        tokio::spawn(pump(
            MediaKind::Video,
            video_rx,
            sink.clone(),
            path_up.clone(),
            counters.clone(),
        ));
        tokio::spawn(pump(
            MediaKind::Audio,
            audio_rx,
            sink.clone(),
            path_up.clone(),
            counters.clone(),
        ));
        let (pc_tx, pc_rx) = mpsc::unbounded_channel();
        let task = CallTask {
            live,
            my_peer_id: joined.peer_id.clone(),
            negotiator: Negotiator::new(joined.polite),
            ice_servers: ice_servers(&joined),
            udp_addrs: options.udp_addrs.clone(),
            remote: None,
            peer: None,
            generation: 0,
            stable: true,
            remote_description_set: false,
            pending_candidates: Vec::new(),
            state: CallState::WaitingForPeer,
            connection: RTCPeerConnectionState::New,
            ice_down_since: None,
            last_ice_restart: None,
            pc_tx,
            events: events_tx,
            frames: frames_tx,
            counters: counters.clone(),
            sink,
            want_keyframe: Arc::new(Notify::new()),
            path_up,
            last_snapshot: (Instant::now(), Snapshot::default()),
            last_target: 0,
        };
        tokio::spawn(task.run(joined, live_events, pc_rx, command_rx));
        Ok((
            Call {
                commands,
                video_in,
                audio_in,
                counters,
            },
            events,
            frames,
        ))
    }

    /// Hands an encoded video frame to the engine. `false`: the send queue
    /// is full and the frame was dropped (ask the encoder for a keyframe).
    pub fn send_video(&self, frame: EncodedVideoFrame) -> bool {
        let sent = self.video_in.try_send((frame.data, frame.duration)).is_ok();
        if !sent {
            Counters::add(&self.counters.frames_out_dropped, 1);
        }
        sent
    }

    pub fn send_audio(&self, packet: OpusPacket) -> bool {
        let sent = self
            .audio_in
            .try_send((packet.data, packet.duration))
            .is_ok();
        if !sent {
            Counters::add(&self.counters.frames_out_dropped, 1);
        }
        sent
    }

    /// Sends a chat line over the data channel.
    pub fn send_chat(&self, text: &str) {
        let _ = self
            .commands
            .send(Command::Send(json!({"type": "chat", "text": text})));
    }

    /// Sends a control message (e.g. `{"type": "mute", "audio": true}`).
    pub fn send_control(&self, message: Value) {
        let _ = self.commands.send(Command::Send(message));
    }

    /// Asks the partner for a keyframe (our decoder lost its reference).
    pub fn request_keyframe(&self) {
        let _ = self.commands.send(Command::RequestKeyframe);
    }

    pub fn restart_ice(&self) {
        let _ = self.commands.send(Command::RestartIce);
    }

    /// Leaves the room and closes the connection; the partner hears `left`.
    pub async fn hang_up(&self) {
        let (done, wait) = oneshot::channel();
        if self.commands.send(Command::HangUp(done)).is_ok() {
            let _ = tokio::time::timeout(Duration::from_secs(5), wait).await;
        }
    }

    pub fn counters(&self) -> &Counters {
        &self.counters
    }
}

fn ice_servers(joined: &Joined) -> Vec<RTCIceServer> {
    joined
        .ice_servers
        .iter()
        .map(|s: &IceServer| RTCIceServer {
            urls: s.urls.clone(),
            username: s.username.clone().unwrap_or_default(),
            credential: s.credential.clone().unwrap_or_default(),
        })
        .collect()
}

/// Writes one kind of encoded media to the current connection's track, or
/// drops and counts it while there is none.
async fn pump(
    kind: MediaKind,
    mut rx: mpsc::Receiver<(Bytes, Duration)>,
    sink: SharedSink,
    path_up: Arc<AtomicBool>,
    counters: Arc<Counters>,
) {
    let frames_out = match kind {
        MediaKind::Video => &counters.video_frames_out,
        MediaKind::Audio => &counters.audio_frames_out,
    };
    while let Some((data, duration)) = rx.recv().await {
        // While the media path is down, frames would only queue in the pacer
        // (and arrive seconds late once it is back): drop them instead; the
        // receiver asks for a keyframe when the path returns.
        if !path_up.load(Ordering::Relaxed) {
            Counters::add(&counters.frames_out_dropped, 1);
            continue;
        }
        let current = sink.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let Some(s) = current else {
            Counters::add(&counters.frames_out_dropped, 1);
            continue;
        };
        let len = data.len() as u64;
        let sample = Sample {
            data,
            duration,
            ..Sample::new(Instant::now())
        };
        let (track, ssrc, pt) = match kind {
            MediaKind::Video => (&s.video, s.video_ssrc, s.video_pt),
            MediaKind::Audio => (&s.audio, s.audio_ssrc, s.audio_pt),
        };
        match track.sample_writer(ssrc, pt).write_sample(&sample).await {
            Ok(()) => {
                Counters::add(frames_out, 1);
                Counters::add(&counters.bytes_out, len);
            }
            Err(_) => Counters::add(&counters.frames_out_dropped, 1),
        }
    }
}

struct CallTask {
    live: LiveClient,
    my_peer_id: String,
    negotiator: Negotiator,
    ice_servers: Vec<RTCIceServer>,
    udp_addrs: Vec<String>,
    remote: Option<PeerInfo>,
    peer: Option<Peer>,
    generation: u64,
    stable: bool,
    remote_description_set: bool,
    pending_candidates: Vec<RTCIceCandidateInit>,
    state: CallState,
    connection: RTCPeerConnectionState,
    ice_down_since: Option<Instant>,
    last_ice_restart: Option<Instant>,
    pc_tx: mpsc::UnboundedSender<(u64, PcEvent)>,
    events: mpsc::Sender<CallEvent>,
    frames: mpsc::Sender<ReceivedFrame>,
    counters: Arc<Counters>,
    sink: SharedSink,
    want_keyframe: Arc<Notify>,
    /// False while ICE says the media path is down (the pumps drop frames).
    path_up: Arc<AtomicBool>,
    last_snapshot: (Instant, Snapshot),
    last_target: u64,
}

impl CallTask {
    async fn emit(&self, event: CallEvent) {
        let _ = self.events.send(event).await;
    }

    async fn set_state(&mut self, state: CallState) {
        if self.state != state {
            self.state = state;
            self.emit(CallEvent::State { state }).await;
        }
    }

    async fn run(
        mut self,
        joined: Joined,
        mut live_events: mpsc::Receiver<LiveEvent>,
        mut pc_events: mpsc::UnboundedReceiver<(u64, PcEvent)>,
        mut commands: mpsc::UnboundedReceiver<Command>,
    ) {
        self.emit(CallEvent::Joined {
            session_id: joined.session_id.clone(),
            peer_id: joined.peer_id.clone(),
            polite: joined.polite,
        })
        .await;
        self.emit(CallEvent::State {
            state: CallState::WaitingForPeer,
        })
        .await;
        // The second to join makes the first offer.
        if let Some(partner) = joined.peers.first().cloned() {
            self.meet(partner, true).await;
        }
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                event = live_events.recv() => match event {
                    Some(event) => self.on_live(event).await,
                    None => break,
                },
                Some((generation, event)) = pc_events.recv() => {
                    if generation == self.generation {
                        self.on_pc(event).await;
                    }
                }
                command = commands.recv() => match command {
                    Some(Command::HangUp(done)) => {
                        let _ = self.live.leave().await;
                        self.close_peer().await;
                        self.set_state(CallState::Ended).await;
                        self.live.close();
                        let _ = done.send(());
                        return;
                    }
                    Some(command) => self.on_command(command).await,
                    None => break,
                },
                _ = tick.tick() => self.on_tick().await,
            }
        }
        self.close_peer().await;
        self.live.close();
    }

    /// A partner is in the room: start (or keep) the connection with them.
    async fn meet(&mut self, partner: PeerInfo, we_offer: bool) {
        let same_person = self
            .remote
            .as_ref()
            .is_some_and(|r| r.user.id == partner.user.id);
        self.emit(CallEvent::PeerPresent {
            peer_id: partner.peer_id.clone(),
            user: partner.user.clone(),
        })
        .await;
        if same_person
            && self.peer.is_some()
            && self.connection == RTCPeerConnectionState::Connected
        {
            // Signaling came back with new ids, but media never stopped.
            self.remote = Some(partner);
            return;
        }
        self.remote = Some(partner);
        if let Err(err) = self.new_peer().await {
            tracing::error!(%err, "could not create the peer connection");
            return;
        }
        if we_offer {
            self.make_offer(false).await;
        }
    }

    async fn new_peer(&mut self) -> Result<(), EngineError> {
        self.close_peer().await;
        self.generation += 1;
        self.negotiator = Negotiator::new(self.negotiator.polite());
        self.stable = true;
        self.remote_description_set = false;
        self.pending_candidates.clear();
        self.connection = RTCPeerConnectionState::New;
        self.ice_down_since = None;
        let peer = peer::build(
            self.ice_servers.clone(),
            self.udp_addrs.clone(),
            self.generation,
            self.pc_tx.clone(),
        )
        .await?;
        // Keyframe requests from the partner arrive as RTCP on our video track.
        let video = peer.video.clone();
        let events = self.events.clone();
        let counters = self.counters.clone();
        tokio::spawn(async move {
            use webrtc::media_stream::track_local::TrackLocal;
            while let Some(event) = video.poll().await {
                if let TrackLocalEvent::OnRtcpPacket(packets) = event {
                    let wants = packets.iter().any(|p| {
                        p.as_any().downcast_ref::<PictureLossIndication>().is_some()
                            || p.as_any().downcast_ref::<FullIntraRequest>().is_some()
                    });
                    if wants {
                        Counters::add(&counters.keyframes_requested_of_us, 1);
                        let _ = events.send(CallEvent::KeyframeRequested).await;
                    }
                }
            }
        });
        // Chat and control over the negotiated data channel.
        let data = peer.data.clone();
        let events = self.events.clone();
        let want_keyframe = self.want_keyframe.clone();
        tokio::spawn(async move {
            while let Some(event) = data.poll().await {
                if let DataChannelEvent::OnMessage(message) = event {
                    let Ok(value) = serde_json::from_slice::<Value>(&message.data) else {
                        continue;
                    };
                    let event = match value.get("type").and_then(Value::as_str) {
                        Some("chat") => CallEvent::Chat {
                            text: value
                                .get("text")
                                .and_then(Value::as_str)
                                .unwrap_or_default()
                                .to_owned(),
                        },
                        Some("keyframe") => {
                            want_keyframe.notify_one();
                            continue;
                        }
                        _ => CallEvent::Control { message: value },
                    };
                    let _ = events.send(event).await;
                }
            }
        });
        self.peer = Some(peer);
        self.set_state(CallState::Connecting).await;
        Ok(())
    }

    async fn close_peer(&mut self) {
        *self.sink.lock().unwrap_or_else(|p| p.into_inner()) = None;
        if let Some(peer) = self.peer.take() {
            let _ = peer.pc.close().await;
        }
    }

    async fn signal(&self, data: Value) {
        let Some(remote) = &self.remote else { return };
        if let Err(err) = self.live.signal(&remote.peer_id, data).await {
            tracing::warn!(code = err.code(), "could not signal");
        }
    }

    async fn make_offer(&mut self, ice_restart: bool) {
        let Some(peer) = &self.peer else { return };
        let pc = peer.pc.clone();
        self.negotiator.offer_started();
        if ice_restart {
            let _ = pc.restart_ice().await;
            self.last_ice_restart = Some(Instant::now());
        }
        let result = async {
            let offer = pc.create_offer(None).await?;
            pc.set_local_description(offer).await?;
            Ok::<_, webrtc::error::Error>(pc.local_description().await)
        }
        .await;
        match result {
            Ok(Some(offer)) => {
                self.negotiator.offer_finished(true);
                self.stable = false;
                self.signal(json!({"type": "offer", "sdp": offer.sdp}))
                    .await;
            }
            Ok(None) | Err(_) => {
                self.negotiator.offer_finished(false);
                tracing::warn!("could not make an offer");
            }
        }
    }

    async fn on_description(&mut self, kind: DescriptionKind, sdp: String) {
        let Some(peer) = &self.peer else { return };
        let pc = peer.pc.clone();
        match self.negotiator.on_remote_description(kind, self.stable) {
            Decision::Ignore => tracing::debug!("glare: keeping our offer"),
            Decision::Apply {
                rollback_first,
                answer,
            } => {
                if rollback_first {
                    if let Ok(rollback) = RTCSessionDescription::rollback(None) {
                        let _ = pc.set_local_description(rollback).await;
                    }
                }
                let desc = match kind {
                    DescriptionKind::Offer => RTCSessionDescription::offer(sdp),
                    DescriptionKind::Answer => RTCSessionDescription::answer(sdp),
                };
                let Ok(desc) = desc else {
                    tracing::warn!("unusable remote description");
                    return;
                };
                if let Err(err) = pc.set_remote_description(desc).await {
                    tracing::warn!(%err, "could not apply the remote description");
                    return;
                }
                self.remote_description_set = true;
                for candidate in std::mem::take(&mut self.pending_candidates) {
                    let _ = pc.add_ice_candidate(candidate).await;
                }
                if answer {
                    let result = async {
                        let answer = pc.create_answer(None).await?;
                        pc.set_local_description(answer).await?;
                        Ok::<_, webrtc::error::Error>(pc.local_description().await)
                    }
                    .await;
                    match result {
                        Ok(Some(answer)) => {
                            self.signal(json!({"type": "answer", "sdp": answer.sdp}))
                                .await
                        }
                        _ => tracing::warn!("could not answer"),
                    }
                }
            }
        }
    }

    async fn on_candidate(&mut self, candidate: &Value) {
        let text = candidate
            .get("candidate")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if text.is_empty() {
            return; // End of the partner's candidates: nothing to do.
        }
        let init = RTCIceCandidateInit {
            candidate: text.to_owned(),
            sdp_mid: candidate
                .get("sdpMid")
                .and_then(Value::as_str)
                .map(str::to_owned),
            sdp_mline_index: candidate
                .get("sdpMLineIndex")
                .and_then(Value::as_u64)
                .and_then(|i| u16::try_from(i).ok()),
            ..Default::default()
        };
        let Some(peer) = &self.peer else { return };
        if !self.remote_description_set {
            self.pending_candidates.push(init);
            return;
        }
        if let Err(err) = peer.pc.add_ice_candidate(init).await {
            if !self.negotiator.candidate_error_expected() {
                tracing::debug!(%err, "could not add a remote candidate");
            }
        }
    }

    async fn on_live(&mut self, event: LiveEvent) {
        match event {
            LiveEvent::PeerJoined(partner) => self.meet(partner, false).await,
            LiveEvent::Rejoined(joined) => {
                self.my_peer_id = joined.peer_id.clone();
                if let Some(partner) = joined.peers.first().cloned() {
                    let known = self
                        .remote
                        .as_ref()
                        .is_some_and(|r| r.peer_id == partner.peer_id);
                    if !known {
                        self.meet(partner, true).await;
                    }
                }
            }
            LiveEvent::RejoinFailed(err) => {
                tracing::warn!(code = err.code(), "could not rejoin the room")
            }
            LiveEvent::PeerLeft(left) => {
                if left.peer_id == self.my_peer_id && left.reason == LeaveReason::Replaced {
                    self.close_peer().await;
                    self.emit(CallEvent::Replaced).await;
                    self.set_state(CallState::Ended).await;
                    return;
                }
                if self
                    .remote
                    .as_ref()
                    .is_some_and(|r| r.peer_id == left.peer_id)
                {
                    self.emit(CallEvent::PeerLeft {
                        peer_id: left.peer_id.clone(),
                        reason: left.reason,
                    })
                    .await;
                    self.remote = None;
                    self.close_peer().await;
                    self.set_state(CallState::WaitingForPeer).await;
                }
            }
            LiveEvent::Signal(signal) => {
                if self
                    .remote
                    .as_ref()
                    .is_none_or(|r| r.peer_id != signal.from)
                {
                    return;
                }
                let data = signal.data;
                match data.get("type").and_then(Value::as_str) {
                    Some("offer") | Some("answer") => {
                        let kind = if data["type"] == "offer" {
                            DescriptionKind::Offer
                        } else {
                            DescriptionKind::Answer
                        };
                        let sdp = data
                            .get("sdp")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_owned();
                        self.on_description(kind, sdp).await;
                    }
                    Some("candidate") => {
                        if let Some(candidate) = data.get("candidate") {
                            self.on_candidate(&candidate.clone()).await;
                        }
                    }
                    _ => tracing::debug!("unknown signal type"),
                }
            }
            LiveEvent::Connection(state) => {
                let text = match &state {
                    ConnectionState::Connecting => "connecting".to_owned(),
                    ConnectionState::Connected => "connected".to_owned(),
                    ConnectionState::Reconnecting { delay, .. } => {
                        format!("reconnecting in {} ms", delay.as_millis())
                    }
                    ConnectionState::Failed { reason } => format!("failed: {reason}"),
                    ConnectionState::Closed => "closed".to_owned(),
                };
                self.emit(CallEvent::Signaling { state: text }).await;
            }
        }
    }

    async fn on_pc(&mut self, event: PcEvent) {
        match event {
            PcEvent::Candidate(Some(init)) => {
                self.signal(json!({"type": "candidate", "candidate": {
                    "candidate": init.candidate, "sdpMid": init.sdp_mid, "sdpMLineIndex": init.sdp_mline_index}}))
                .await;
            }
            PcEvent::Candidate(None) => {
                self.signal(json!({"type": "candidate", "candidate": {"candidate": "", "sdpMid": null, "sdpMLineIndex": null}}))
                    .await;
            }
            PcEvent::Signaling(state) => self.stable = state == RTCSignalingState::Stable,
            PcEvent::IceConnection(state) => match state {
                RTCIceConnectionState::Disconnected | RTCIceConnectionState::Failed => {
                    self.path_up.store(false, Ordering::Relaxed);
                    self.ice_down_since.get_or_insert_with(Instant::now);
                    if self.state == CallState::Connected {
                        self.set_state(CallState::Reconnecting).await;
                    }
                }
                RTCIceConnectionState::Connected | RTCIceConnectionState::Completed => {
                    self.path_up.store(true, Ordering::Relaxed);
                    self.ice_down_since = None;
                    if self.connection == RTCPeerConnectionState::Connected {
                        self.set_state(CallState::Connected).await;
                    }
                }
                _ => {}
            },
            PcEvent::Connection(state) => {
                self.connection = state;
                match state {
                    RTCPeerConnectionState::Connected => {
                        self.ice_down_since = None;
                        self.update_sink().await;
                        self.set_state(CallState::Connected).await;
                    }
                    RTCPeerConnectionState::Disconnected | RTCPeerConnectionState::Failed => {
                        self.ice_down_since.get_or_insert_with(Instant::now);
                        self.set_state(CallState::Reconnecting).await;
                    }
                    _ => {}
                }
            }
            PcEvent::Track(track) => {
                tokio::spawn(receive::run(
                    track,
                    self.frames.clone(),
                    self.counters.clone(),
                    self.want_keyframe.clone(),
                ));
            }
        }
    }

    /// Points the media pumps at the connection's tracks with the payload
    /// types negotiated for them.
    async fn update_sink(&mut self) {
        let Some(peer) = &self.peer else { return };
        let payload_type =
            |params: Result<rtc::rtp_transceiver::rtp_sender::RTCRtpSendParameters, _>| {
                params
                    .ok()
                    .and_then(|p| p.rtp_parameters.codecs.first().map(|c| c.payload_type))
            };
        let video_pt = payload_type(peer.video_sender.get_parameters().await);
        let audio_pt = payload_type(peer.audio_sender.get_parameters().await);
        let video_ssrc = peer.video.ssrcs().await.first().copied();
        let audio_ssrc = peer.audio.ssrcs().await.first().copied();
        if let (Some(video_pt), Some(audio_pt), Some(video_ssrc), Some(audio_ssrc)) =
            (video_pt, audio_pt, video_ssrc, audio_ssrc)
        {
            *self.sink.lock().unwrap_or_else(|p| p.into_inner()) = Some(Sink {
                video: peer.video.clone(),
                audio: peer.audio.clone(),
                video_ssrc,
                audio_ssrc,
                video_pt,
                audio_pt,
            });
            // A fresh connection starts with a keyframe.
            self.emit(CallEvent::KeyframeRequested).await;
        } else {
            tracing::warn!("negotiated parameters incomplete; not sending media");
        }
    }

    async fn on_command(&mut self, command: Command) {
        match command {
            Command::Send(message) => {
                if let Some(peer) = &self.peer {
                    let _ = peer.data.send_text(&message.to_string()).await;
                }
            }
            Command::RequestKeyframe => {
                self.want_keyframe.notify_one();
                if let Some(peer) = &self.peer {
                    let _ = peer.data.send_text(r#"{"type":"keyframe"}"#).await;
                }
            }
            Command::RestartIce => self.make_offer(true).await,
            Command::HangUp(_) => {}
        }
    }

    async fn on_tick(&mut self) {
        // ICE restart: the impolite side after 2 s down; the polite side only
        // after 12 s, as a fallback for a partner that never restarts (two
        // restarts racing each other cost more than they save), and at most
        // every 4 s.
        if let Some(since) = self.ice_down_since {
            let wait = if self.negotiator.polite() {
                Duration::from_secs(12)
            } else {
                Duration::from_secs(2)
            };
            let recently = self
                .last_ice_restart
                .is_some_and(|t| t.elapsed() < Duration::from_secs(4));
            if since.elapsed() >= wait && !recently && self.peer.is_some() && self.remote.is_some()
            {
                tracing::info!("media path down for {:?}: restarting ICE", since.elapsed());
                self.make_offer(true).await;
            }
        }
        let stats = self.stats().await;
        if let Some(target) = stats.target_bitrate_kbps.map(|k| (k * 1000.0) as u64) {
            let changed = self.last_target == 0
                || (target as f64 - self.last_target as f64).abs() / self.last_target as f64 > 0.05;
            if changed && target > 0 {
                self.last_target = target;
                self.emit(CallEvent::TargetBitrate { bps: target }).await;
            }
        }
        self.emit(CallEvent::Stats { stats }).await;
    }

    async fn stats(&mut self) -> CallStats {
        let c = &self.counters;
        let now = Instant::now();
        // RTT from the nominated candidate pair; jitter and loss from the
        // inbound RTP streams (as RTCP receiver reports would carry them).
        let (mut rtt_ms, mut jitter_ms, mut packets_in, mut packets_lost) =
            (None, None, 0u64, 0u64);
        if let Some(peer) = &self.peer {
            let report = peer
                .pc
                .get_stats(now, webrtc::peer_connection::StatsSelector::None)
                .await;
            rtt_ms = report
                .candidate_pairs()
                .filter(|p| p.nominated && p.current_round_trip_time > 0.0)
                .map(|p| p.current_round_trip_time * 1000.0)
                .next();
            for inbound in report.inbound_rtp_streams() {
                let received = &inbound.received_rtp_stream_stats;
                packets_in += received.packets_received;
                packets_lost += received.packets_lost.max(0) as u64;
                // The receiver report's jitter is in RTP clock ticks, not seconds.
                let clock = match received.rtp_stream_stats.kind {
                    rtc::rtp_transceiver::rtp_sender::RtpCodecKind::Audio => 48_000.0,
                    _ => 90_000.0,
                };
                let jitter = received.jitter / clock * 1000.0;
                jitter_ms = Some(jitter_ms.map_or(jitter, |j: f64| j.max(jitter)));
            }
        }
        let snapshot = Snapshot {
            bytes_in: Counters::get(&c.bytes_in),
            bytes_out: Counters::get(&c.bytes_out),
            packets_in,
            packets_in_lost: packets_lost,
        };
        let (then, before) = std::mem::replace(&mut self.last_snapshot, (now, snapshot));
        let secs = now.duration_since(then).as_secs_f64().max(0.001);
        let kbps = |a: u64, b: u64| {
            (a.saturating_sub(b) as f64 * 8.0 / 1000.0 / secs * 10.0).round() / 10.0
        };
        CallStats {
            state: format!("{:?}", self.state).to_lowercase(),
            rtt_ms: rtt_ms.map(|r| (r * 100.0).round() / 100.0),
            jitter_ms: jitter_ms.map(|j| (j * 100.0).round() / 100.0),
            loss: {
                let lost = snapshot
                    .packets_in_lost
                    .saturating_sub(before.packets_in_lost) as f64;
                let got = snapshot.packets_in.saturating_sub(before.packets_in) as f64;
                if lost + got > 0.0 {
                    (lost / (lost + got) * 1000.0).round() / 1000.0
                } else {
                    0.0
                }
            },
            bitrate_in_kbps: kbps(snapshot.bytes_in, before.bytes_in),
            bitrate_out_kbps: kbps(snapshot.bytes_out, before.bytes_out),
            target_bitrate_kbps: self
                .peer
                .as_ref()
                .map(|p| p.target_bitrate.load(Ordering::Relaxed) as f64 / 1000.0),
            video_frames_in: Counters::get(&c.video_frames_in),
            audio_frames_in: Counters::get(&c.audio_frames_in),
            video_frames_out: Counters::get(&c.video_frames_out),
            audio_frames_out: Counters::get(&c.audio_frames_out),
            frames_in_dropped: Counters::get(&c.frames_in_dropped),
            frames_out_dropped: Counters::get(&c.frames_out_dropped),
            packets_in_lost: snapshot
                .packets_in_lost
                .max(Counters::get(&c.packets_in_lost)),
            keyframes_requested_by_us: Counters::get(&c.keyframes_requested_by_us),
            keyframes_requested_of_us: Counters::get(&c.keyframes_requested_of_us),
        }
    }
}
