//! The driver: carries the machine's actions out against `webrtc` and the
//! signaling client, and feeds what they report back in. One task owns the
//! machine and the peer connection; an action's result (an offer made, a
//! description applied) goes back into the machine before any other input,
//! so the machine sees each negotiation step whole.
//!
//! Media never passes through here: the pumps (`pump`) write encoded frames
//! to the current connection's tracks, and the receive tasks (`receive`) hand
//! whole frames to the application.

use crate::join_timeline::JoinStep;
use crate::machine::{Action, CallEvent, CallMachine, Command, Input, PeerInput, SavedRecording};
use crate::peer::{self, PcEvent, Peer};
use crate::receive::{self, KeyframeAsks, Routing};
use crate::record_tap::RecordTap;
use crate::stats::{Counters, Sample};
use bytes::Bytes;
use mentorlive_protocol::peer_messages::DataMessage;
use mentorlive_protocol::peer_messages::{IceCandidate, SignalData};
use mentorlive_recording::{Recorder, RecorderOptions, StopReason};
use mentorlive_signaling::{ConnectionState, LiveClient, LiveError, LiveEvent};
use rtc::media::Sample as MediaSample;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot, watch};
use webrtc::data_channel::{DataChannel, DataChannelEvent};
use webrtc::media_stream::track_local::static_sample::TrackLocalStaticSample;
use webrtc::media_stream::track_local::TrackLocalEvent;
use webrtc::media_stream::Track;
use webrtc::peer_connection::{
    PeerConnection, RTCIceCandidateInit, RTCIceServer, RTCSessionDescription,
};
use webrtc::rtp_transceiver::{RTCRtpTransceiverDirection, RtpSender, RtpTransceiver};

/// What the `Call` handle asks of the driver.
pub enum Request {
    Machine(Command),
    /// Ask the partner's consent to record into this file; the recorder
    /// starts once they accept.
    Record {
        options: RecorderOptions,
        id: String,
    },
    HangUp(oneshot::Sender<()>),
}

/// Where media goes now: the tracks of the current connection.
#[derive(Clone)]
pub struct Sink {
    video: Arc<TrackLocalStaticSample>,
    audio: Arc<TrackLocalStaticSample>,
    video_ssrc: u32,
    audio_ssrc: u32,
    video_pt: u8,
    audio_pt: u8,
    /// The video queued in this connection's pacer (pacer.rs).
    backlog: Arc<crate::pacer::Backlog>,
}

/// Where the screen share goes now: its track, once negotiated.
#[derive(Clone)]
pub struct ScreenSink {
    track: Arc<TrackLocalStaticSample>,
    ssrc: u32,
    pt: u8,
}

/// What the driver shares with the media pumps.
#[derive(Default)]
pub struct Outlet {
    sink: Mutex<Option<Sink>>,
    screen: Mutex<Option<ScreenSink>>,
    /// False while ICE says the media path is down.
    path_down: AtomicBool,
    /// Our recording, while one runs.
    pub tap: Arc<RecordTap>,
}

impl Outlet {
    fn set(&self, sink: Option<Sink>) {
        *self.sink.lock().unwrap_or_else(|p| p.into_inner()) = sink;
    }

    fn current(&self) -> Option<Sink> {
        self.sink.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn set_screen(&self, sink: Option<ScreenSink>) {
        *self.screen.lock().unwrap_or_else(|p| p.into_inner()) = sink;
    }

    fn screen(&self) -> Option<ScreenSink> {
        self.screen
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

pub struct Driver {
    pub live: LiveClient,
    pub machine: CallMachine,
    pub ice_servers: Vec<RTCIceServer>,
    pub udp_addrs: Vec<String>,
    pub relay_only: bool,
    pub events: mpsc::Sender<CallEvent>,
    pub frames: mpsc::Sender<crate::ReceivedFrame>,
    pub counters: Arc<Counters>,
    pub outlet: Arc<Outlet>,
}

/// Our screen share's sending side on the current connection.
struct ScreenTx {
    track: Arc<TrackLocalStaticSample>,
    sender: Arc<dyn RtpSender>,
    transceiver: Arc<dyn RtpTransceiver>,
    attached: bool,
}

/// The connection of the moment, with the generation the machine gave it.
struct Current {
    generation: u64,
    peer: Peer,
    screen: Option<ScreenTx>,
    /// Handles webrtc announced for our channel; kept alive, since dropping
    /// one unregisters the channel's event stream.
    announced_data: Vec<Arc<dyn DataChannel>>,
}

impl Driver {
    pub async fn run(
        self,
        mut live_events: mpsc::Receiver<LiveEvent>,
        mut requests: mpsc::UnboundedReceiver<Request>,
    ) {
        let Driver {
            live,
            mut machine,
            ice_servers,
            udp_addrs,
            relay_only,
            events,
            frames,
            counters,
            outlet,
        } = self;
        let (pc_tx, mut pc_rx) = mpsc::unbounded_channel();
        // Signals leave in order from their own task, so that waiting for
        // the server's ack never holds up the call; a failed one comes back.
        let (signal_tx, signal_rx) = mpsc::unbounded_channel::<(String, SignalData)>();
        let (failed_tx, mut failed_rx) = mpsc::unbounded_channel();
        let (recorder_stopped, mut recorder_stopped_rx) = mpsc::unbounded_channel();
        tokio::spawn(send_signals(live.clone(), signal_rx, failed_tx));
        let mut io = Io {
            ice_servers,
            udp_addrs,
            relay_only,
            pc_tx,
            signal_tx,
            events,
            frames,
            counters,
            outlet,
            current: None,
            live: live.clone(),
            keyframe_asks: watch::Sender::new(KeyframeAsks::default()),
            screen_route: watch::Sender::new(None),
            record_to: None,
            recorder_stopped,
        };
        let mut hung_up: Option<oneshot::Sender<()>> = None;
        loop {
            // Carry out every action; results go straight back in.
            while let Some(action) = machine.poll_action() {
                if matches!(action, Action::Stop) {
                    io.stop_recorder().await;
                    io.close_peer().await;
                    live.close();
                    if let Some(done) = hung_up.take() {
                        let _ = done.send(());
                    }
                    return;
                }
                for result in io.carry_out(action).await {
                    note_join_step(&io.counters, &result);
                    machine.handle_input(result, Instant::now());
                }
            }
            let timeout = tokio::time::Instant::from_std(machine.poll_timeout());
            let input = tokio::select! {
                event = live_events.recv() => match event {
                    Some(event) => live_input(event),
                    None => break,
                },
                Some((generation, event)) = pc_rx.recv() => match event {
                    PcEvent::Machine(input) => Some(Input::Peer { generation, input }),
                    PcEvent::Track(track) => {
                        io.receive(generation, track);
                        None
                    }
                    PcEvent::DataChannel(data) => {
                        io.adopt_data_channel(generation, data);
                        None
                    }
                },
                Some((to, data)) = failed_rx.recv() => Some(Input::SignalFailed { to, data }),
                Some(()) = recorder_stopped_rx.recv() => {
                    // It stopped by itself (the disk): its file is complete.
                    io.stop_recorder().await;
                    Some(Input::RecorderFailed)
                }
                request = requests.recv() => match request {
                    Some(Request::Machine(command)) => Some(Input::Command(command)),
                    Some(Request::Record { options, id }) => {
                        io.record_to = Some(options);
                        Some(Input::Command(Command::RequestRecording { id }))
                    }
                    Some(Request::HangUp(done)) => {
                        hung_up = Some(done);
                        Some(Input::Command(Command::HangUp))
                    }
                    None => break,
                },
                _ = tokio::time::sleep_until(timeout) => {
                    machine.handle_timeout(Instant::now());
                    None
                }
            };
            if let Some(input) = input {
                note_join_step(&io.counters, &input);
                machine.handle_input(input, Instant::now());
            }
        }
        io.stop_recorder().await;
        io.close_peer().await;
        live.close();
    }
}

/// The join timeline's steps that the machine's inputs tell.
fn note_join_step(counters: &Counters, input: &Input) {
    let step = match input {
        Input::PeerJoined(_) => JoinStep::PeerPresent,
        Input::Peer { input, .. } => match input {
            PeerInput::RemoteApplied => JoinStep::RemoteDescriptionApplied,
            PeerInput::IcePath { up: true } => JoinStep::IceConnected,
            PeerInput::Connection { connected: true } => JoinStep::DtlsConnected,
            PeerInput::DataOpen => JoinStep::DataChannelOpen,
            _ => return,
        },
        _ => return,
    };
    counters.join_step(step, Instant::now());
}

fn live_input(event: LiveEvent) -> Option<Input> {
    Some(match event {
        LiveEvent::PeerJoined(partner) => Input::PeerJoined(partner),
        LiveEvent::PeerLeft(left) => Input::PeerLeft(left),
        LiveEvent::Rejoined(joined) => Input::Rejoined(joined),
        LiveEvent::RejoinFailed(err) => Input::RejoinFailed(
            err.error_code()
                .unwrap_or(mentorlive_protocol::ErrorCode::Other),
        ),
        LiveEvent::Signal(signal) => match serde_json::from_value::<SignalData>(signal.data) {
            Ok(data) => Input::Signal {
                from: signal.from,
                data,
            },
            Err(err) => {
                tracing::debug!(%err, "a signal that is not the contract's");
                return None;
            }
        },
        LiveEvent::Connection(state) => Input::SignalingState(match state {
            ConnectionState::Connecting => "connecting".to_owned(),
            ConnectionState::Connected => "connected".to_owned(),
            ConnectionState::Reconnecting { delay, .. } => {
                format!("reconnecting in {} ms", delay.as_millis())
            }
            ConnectionState::Failed { reason } => format!("failed: {reason}"),
            ConnectionState::Closed => "closed".to_owned(),
        }),
    })
}

async fn send_signals(
    live: LiveClient,
    mut signals: mpsc::UnboundedReceiver<(String, SignalData)>,
    failed: mpsc::UnboundedSender<(String, SignalData)>,
) {
    while let Some((to, data)) = signals.recv().await {
        let value = serde_json::to_value(&data).unwrap_or_default();
        match live.signal(&to, value).await {
            Ok(()) => {}
            // It did not leave (the socket is down): send again on rejoin.
            Err(err @ LiveError::Transport(_)) => {
                tracing::debug!(code = err.code(), "a signal did not leave");
                let _ = failed.send((to, data));
            }
            Err(err) => tracing::warn!(code = err.code(), "could not signal"),
        }
    }
}

/// The driver's hands: what carries out each action.
struct Io {
    ice_servers: Vec<RTCIceServer>,
    udp_addrs: Vec<String>,
    relay_only: bool,
    pc_tx: mpsc::UnboundedSender<(u64, PcEvent)>,
    signal_tx: mpsc::UnboundedSender<(String, SignalData)>,
    events: mpsc::Sender<CallEvent>,
    frames: mpsc::Sender<crate::ReceivedFrame>,
    counters: Arc<Counters>,
    outlet: Arc<Outlet>,
    current: Option<Current>,
    live: LiveClient,
    /// The application's keyframe requests, for the receive tasks.
    keyframe_asks: watch::Sender<KeyframeAsks>,
    /// The mid of the partner's screen share, for the receive tasks.
    screen_route: watch::Sender<Option<String>>,
    /// Where our recording goes, once the application asked for one.
    record_to: Option<RecorderOptions>,
    /// The recorder stopped by itself.
    recorder_stopped: mpsc::UnboundedSender<()>,
}

impl Io {
    /// Carries out one action; returns what it reports back to the machine.
    async fn carry_out(&mut self, action: Action) -> Vec<Input> {
        let sets_local = matches!(action, Action::MakeOffer { .. } | Action::MakeAnswer);
        let mut results: Vec<Input> = self.carry_out_one(action).await.into_iter().collect();
        if sets_local {
            // A description of ours is set: the screen's mid, if it has one now.
            if let Some(input) = self.screen_negotiated().await {
                results.push(input);
            }
        }
        results
    }

    async fn carry_out_one(&mut self, action: Action) -> Option<Input> {
        if let Some(meta) = self.record_to.as_ref().map(|o| &o.meta) {
            // The chat, both ways, beside the recording.
            match &action {
                Action::SendData(DataMessage::Chat(chat)) => {
                    self.outlet.tap.chat(&meta.recorded_by, &chat.text)
                }
                Action::Emit(CallEvent::Chat { message }) => {
                    self.outlet.tap.chat(&meta.partner, &message.text)
                }
                _ => {}
            }
        }
        let generation = self.current.as_ref().map(|c| c.generation);
        let result =
            |input: PeerInput| generation.map(|generation| Input::Peer { generation, input });
        match action {
            Action::NewPeer { generation } => {
                self.new_peer(generation).await;
                None
            }
            Action::ClosePeer => {
                self.close_peer().await;
                None
            }
            Action::MakeOffer { ice_restart } => {
                let pc = self.current.as_ref()?.peer.pc.clone();
                if ice_restart {
                    let _ = pc.restart_ice().await;
                }
                let offer = async {
                    let offer = pc.create_offer(None).await?;
                    pc.set_local_description(offer).await?;
                    Ok::<_, webrtc::error::Error>(pc.local_description().await)
                }
                .await;
                result(match offer {
                    Ok(Some(offer)) => PeerInput::OfferReady { sdp: offer.sdp },
                    _ => PeerInput::OfferFailed,
                })
            }
            Action::ApplyRemote {
                kind,
                sdp,
                rollback_first,
            } => {
                let pc = self.current.as_ref()?.peer.pc.clone();
                if rollback_first {
                    if let Ok(rollback) = RTCSessionDescription::rollback(None) {
                        let _ = pc.set_local_description(rollback).await;
                    }
                }
                let desc = match kind {
                    crate::negotiation::DescriptionKind::Offer => RTCSessionDescription::offer(sdp),
                    crate::negotiation::DescriptionKind::Answer => {
                        RTCSessionDescription::answer(sdp)
                    }
                };
                let applied = match desc {
                    Ok(desc) => pc.set_remote_description(desc).await,
                    Err(err) => Err(err),
                };
                if let Err(err) = &applied {
                    tracing::warn!(%err, "could not apply the remote description");
                }
                result(match applied {
                    Ok(()) => PeerInput::RemoteApplied,
                    Err(_) => PeerInput::RemoteFailed,
                })
            }
            Action::MakeAnswer => {
                let pc = self.current.as_ref()?.peer.pc.clone();
                let answer = async {
                    let answer = pc.create_answer(None).await?;
                    pc.set_local_description(answer).await?;
                    Ok::<_, webrtc::error::Error>(pc.local_description().await)
                }
                .await;
                result(match answer {
                    Ok(Some(answer)) => PeerInput::AnswerReady { sdp: answer.sdp },
                    _ => PeerInput::AnswerFailed,
                })
            }
            Action::AddCandidate(candidate) => {
                let pc = &self.current.as_ref()?.peer.pc;
                if let Err(err) = pc.add_ice_candidate(candidate_init(candidate)).await {
                    // Expected for a candidate of an offer we ignored on glare.
                    tracing::debug!(%err, "could not add a remote candidate");
                }
                None
            }
            Action::Signal { to, data } => {
                match &data {
                    SignalData::Offer { .. } => {
                        self.counters.join_step(JoinStep::OfferSent, Instant::now())
                    }
                    SignalData::Answer { .. } => self
                        .counters
                        .join_step(JoinStep::AnswerSent, Instant::now()),
                    _ => {}
                }
                let _ = self.signal_tx.send((to, data));
                None
            }
            Action::SendData(message) => {
                let current = self.current.as_ref()?;
                match current.peer.data.send_text(&message.to_json()).await {
                    Ok(_) => None,
                    Err(err) => {
                        // Not lost: it goes again once the channel is open.
                        tracing::warn!(%err, "the data channel did not take a message");
                        result(PeerInput::DataNotSent(message))
                    }
                }
            }
            Action::StartSending => {
                self.start_sending().await;
                None
            }
            Action::SetPathUp(up) => {
                self.outlet.path_down.store(!up, Ordering::Relaxed);
                None
            }
            Action::SendPli => {
                self.keyframe_asks.send_modify(|asks| asks.camera += 1);
                None
            }
            Action::SendScreenPli => {
                self.keyframe_asks.send_modify(|asks| asks.screen += 1);
                None
            }
            Action::AttachScreen => {
                self.attach_screen().await;
                None
            }
            Action::DetachScreen => {
                self.outlet.set_screen(None);
                let screen = self.current.as_mut()?.screen.as_mut()?;
                screen.attached = false;
                // Inactive, as the contract says: the share has its own
                // m-line, so nothing of the partner's rides on it.
                if let Err(err) = screen
                    .transceiver
                    .set_direction(RTCRtpTransceiverDirection::Inactive)
                    .await
                {
                    tracing::warn!(%err, "could not stop the screen's transceiver sending");
                }
                None
            }
            Action::RouteScreen(mid) => {
                self.screen_route.send_replace(mid);
                None
            }
            Action::CollectStats => Some(Input::Stats(self.sample().await)),
            Action::StartRecorder => self.start_recorder(),
            Action::StopRecorder => {
                self.stop_recorder().await;
                None
            }
            Action::Leave => {
                let _ = self.live.leave().await;
                None
            }
            Action::Emit(event) => {
                let _ = self.events.send(event).await;
                None
            }
            Action::Stop => None,
        }
    }

    /// The partner accepted: the file is made and the frames flow to it.
    fn start_recorder(&mut self) -> Option<Input> {
        let Some(options) = self.record_to.clone() else {
            return Some(Input::RecorderFailed);
        };
        let stopped = self.recorder_stopped.clone();
        match Recorder::start(options, move |_| {
            let _ = stopped.send(());
        }) {
            Ok(recorder) => {
                self.outlet.tap.replace(Some(recorder));
                // Each video track of the file starts at a keyframe: ours
                // from our encoders, the partner's asked for (RTCP PLI; a
                // browser sends none unasked for minutes).
                let _ = self.events.try_send(CallEvent::KeyframeRequested);
                let _ = self.events.try_send(CallEvent::ScreenKeyframeRequested);
                self.keyframe_asks.send_modify(|asks| {
                    asks.camera += 1;
                    asks.screen += 1;
                });
                None
            }
            Err(err) => {
                let _ = self.events.try_send(CallEvent::RecordingFailed {
                    message: err.to_string(),
                });
                Some(Input::RecorderFailed)
            }
        }
    }

    /// Stops our recording, if one runs, and says where it is.
    async fn stop_recorder(&mut self) {
        let Some(recorder) = self.outlet.tap.replace(None) else {
            return;
        };
        let finished = tokio::task::spawn_blocking(move || recorder.stop())
            .await
            .ok()
            .flatten();
        let Some(finished) = finished else { return };
        let disk_full = matches!(finished.reason, StopReason::DiskFull { .. });
        if let StopReason::DiskFull { free_bytes } = finished.reason {
            let _ = self.events.try_send(CallEvent::RecordingFailed {
                message: format!(
                    "The disk is nearly full ({} MB left): the recording stopped and is saved.",
                    free_bytes / 1_000_000
                ),
            });
        }
        if let StopReason::WriteFailed { message } = &finished.reason {
            let _ = self.events.try_send(CallEvent::RecordingFailed {
                message: format!(
                    "The recording could not be written ({message}); what was written is saved."
                ),
            });
        }
        let summary = finished.summary.unwrap_or(mentorlive_recording::Summary {
            duration_ms: 0,
            bytes: 0,
            tracks: Vec::new(),
        });
        let _ = self
            .events
            .send(CallEvent::RecordingSaved {
                saved: SavedRecording {
                    path: finished.path.to_string_lossy().into_owned(),
                    chat_path: finished.chat.map(|p| p.to_string_lossy().into_owned()),
                    duration_ms: summary.duration_ms,
                    bytes: summary.bytes,
                    disk_full,
                },
            })
            .await;
    }

    async fn new_peer(&mut self, generation: u64) {
        self.close_peer().await;
        let peer = match peer::build(
            self.ice_servers.clone(),
            self.udp_addrs.clone(),
            self.relay_only,
            generation,
            self.pc_tx.clone(),
        )
        .await
        {
            Ok(peer) => peer,
            Err(err) => return tracing::error!(%err, "could not create the peer connection"),
        };
        // Keyframe requests from the partner arrive as RTCP on our video track.
        spawn_keyframe_wants(
            peer.video.clone(),
            PeerInput::KeyframeWanted,
            generation,
            self.pc_tx.clone(),
            self.counters.clone(),
        );
        // The negotiated data channel: its opening and its messages.
        spawn_data_events(peer.data.clone(), generation, self.pc_tx.clone());
        self.current = Some(Current {
            generation,
            peer,
            screen: None,
            announced_data: Vec::new(),
        });
    }

    /// Puts our screen track on a transceiver of its own: a new m-line on the
    /// first share of this connection (sendonly), the same one again later.
    async fn attach_screen(&mut self) {
        let Some(current) = self.current.as_mut() else {
            return;
        };
        if let Some(screen) = current.screen.as_mut() {
            screen.attached = true;
            if let Err(err) = screen
                .transceiver
                .set_direction(RTCRtpTransceiverDirection::Sendonly)
                .await
            {
                tracing::warn!(%err, "could not make the screen's transceiver send");
            }
            return;
        }
        let made = async {
            let track = peer::screen_track()?;
            let pc = &current.peer.pc;
            let transceiver = pc
                .add_transceiver_from_track(
                    track.clone() as Arc<dyn webrtc::media_stream::track_local::TrackLocal>,
                    Some(rtc::rtp_transceiver::RTCRtpTransceiverInit {
                        direction: RTCRtpTransceiverDirection::Sendonly,
                        streams: Vec::new(),
                        send_encodings: Vec::new(),
                    }),
                )
                .await
                .map_err(crate::EngineError::webrtc)?;
            let sender = transceiver.sender().await.ok().flatten().ok_or_else(|| {
                crate::EngineError::WebRtc("the screen's transceiver has no sender".into())
            })?;
            Ok::<_, crate::EngineError>((track, sender, transceiver))
        }
        .await;
        match made {
            Ok((track, sender, transceiver)) => {
                spawn_keyframe_wants(
                    track.clone(),
                    PeerInput::ScreenKeyframeWanted,
                    current.generation,
                    self.pc_tx.clone(),
                    self.counters.clone(),
                );
                current.screen = Some(ScreenTx {
                    track,
                    sender,
                    transceiver,
                    attached: true,
                });
            }
            Err(err) => tracing::error!(%err, "could not add the screen track"),
        }
    }

    /// After a description of ours is set: the screen transceiver's mid when
    /// we share on it, and the pump pointed at its track once it has a
    /// negotiated payload type.
    async fn screen_negotiated(&mut self) -> Option<Input> {
        let current = self.current.as_ref()?;
        let screen = current.screen.as_ref().filter(|s| s.attached)?;
        let mid = screen.transceiver.mid().await.ok().flatten();
        let pt = screen
            .sender
            .get_parameters()
            .await
            .ok()
            .and_then(|p| p.rtp_parameters.codecs.first().map(|c| c.payload_type));
        let ssrc = screen.track.ssrcs().await.first().copied();
        if let (Some(_), Some(pt), Some(ssrc)) = (&mid, pt, ssrc) {
            self.outlet.set_screen(Some(ScreenSink {
                track: screen.track.clone(),
                ssrc,
                pt,
            }));
        }
        Some(Input::Peer {
            generation: current.generation,
            input: PeerInput::ScreenMid(mid),
        })
    }

    async fn close_peer(&mut self) {
        self.outlet.set(None);
        self.outlet.set_screen(None);
        if let Some(current) = self.current.take() {
            let _ = current.peer.pc.close().await;
        }
    }

    /// Listens on a handle webrtc announced for the data channel.
    fn adopt_data_channel(&mut self, generation: u64, data: Arc<dyn DataChannel>) {
        let Some(current) = self.current.as_mut().filter(|c| c.generation == generation) else {
            return;
        };
        tracing::debug!("the data channel was announced again: listening on the new handle");
        spawn_data_events(data.clone(), generation, self.pc_tx.clone());
        current.announced_data.push(data);
    }

    fn receive(
        &self,
        generation: u64,
        track: Arc<dyn webrtc::media_stream::track_remote::TrackRemote>,
    ) {
        let Some(current) = self.current.as_ref().filter(|c| c.generation == generation) else {
            return;
        };
        let pc = current.peer.pc.clone();
        let camera_sender = current.peer.video_sender.clone();
        let frames = self.frames.clone();
        let counters = self.counters.clone();
        let keyframe_asks = self.keyframe_asks.subscribe();
        let screen_mid = self.screen_route.subscribe();
        let tap = self.outlet.tap.clone();
        tokio::spawn(async move {
            let mid = mid_of_track(pc.as_ref(), &track).await;
            let camera_mid = match transceiver_of(pc.as_ref(), &camera_sender).await {
                Some(t) => t.mid().await.ok().flatten(),
                None => None,
            };
            drop(pc);
            let routing = Routing {
                mid,
                camera_mid,
                screen_mid,
            };
            receive::run(track, frames, counters, keyframe_asks, routing, tap).await;
        });
    }

    /// Points the media pumps at the connection's tracks with the payload
    /// types negotiated for them.
    async fn start_sending(&mut self) {
        let Some(current) = &self.current else { return };
        let peer = &current.peer;
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
        match (video_pt, audio_pt, video_ssrc, audio_ssrc) {
            (Some(video_pt), Some(audio_pt), Some(video_ssrc), Some(audio_ssrc)) => {
                self.outlet.set(Some(Sink {
                    video: peer.video.clone(),
                    audio: peer.audio.clone(),
                    video_ssrc,
                    audio_ssrc,
                    video_pt,
                    audio_pt,
                    backlog: peer.backlog.clone(),
                }))
            }
            _ => tracing::warn!("negotiated parameters incomplete; not sending media"),
        }
    }

    /// The figures of this instant: the counters, and from the connection
    /// the RTT of the nominated pair and the inbound streams' jitter and loss
    /// (as RTCP receiver reports would carry them).
    async fn sample(&self) -> Sample {
        let mut sample = Sample {
            counters: self.counters.read(),
            ..Sample::default()
        };
        let Some(current) = &self.current else {
            return sample;
        };
        let peer = &current.peer;
        let report = peer
            .pc
            .get_stats(Instant::now(), webrtc::peer_connection::StatsSelector::None)
            .await;
        sample.rtt_s = report
            .candidate_pairs()
            .filter(|p| p.nominated && p.current_round_trip_time > 0.0)
            .map(|p| p.current_round_trip_time)
            .next();
        sample.candidate_type = selected_candidate_type(&report);
        for inbound in report.inbound_rtp_streams() {
            let received = &inbound.received_rtp_stream_stats;
            sample.packets_in += received.packets_received;
            sample.packets_in_lost += received.packets_lost.max(0) as u64;
            // The receiver report's jitter is in RTP clock ticks.
            let clock = match received.rtp_stream_stats.kind {
                rtc::rtp_transceiver::rtp_sender::RtpCodecKind::Audio => 48_000.0,
                _ => 90_000.0,
            };
            sample.jitter_s.push(received.jitter / clock);
        }
        sample.target_bps = Some(peer.target_bitrate.load(Ordering::Relaxed));
        sample
    }
}

/// The nominated pair's type, as a call report gives it: `relay` when
/// either end is a TURN relay (the media goes through one), else ours.
fn selected_candidate_type(
    report: &rtc::statistics::report::RTCStatsReport,
) -> Option<mentorlive_protocol::analytics::CandidateType> {
    use mentorlive_protocol::analytics::CandidateType;
    use rtc::peer_connection::transport::RTCIceCandidateType as Type;
    use rtc::statistics::report::RTCStatsReportEntry as Entry;
    let pair = report.candidate_pairs().find(|p| p.nominated)?;
    let type_of = |id: &str| {
        report.iter().find_map(|e| match e {
            // The pair names a candidate by its own id; the candidate's
            // stats id is that id with a prefix (`RTCLocalIceCandidate_…`).
            Entry::LocalCandidate(c) | Entry::RemoteCandidate(c)
                if c.stats.id == id || c.stats.id.ends_with(&format!("_{id}")) =>
            {
                Some(c.candidate_type)
            }
            _ => None,
        })
    };
    let ours = type_of(&pair.local_candidate_id)?;
    let theirs = type_of(&pair.remote_candidate_id);
    let kind = |t: Type| match t {
        Type::Host => Some(CandidateType::Host),
        Type::Srflx => Some(CandidateType::Srflx),
        Type::Prflx => Some(CandidateType::Prflx),
        Type::Relay => Some(CandidateType::Relay),
        _ => None,
    };
    if theirs == Some(Type::Relay) {
        return Some(CandidateType::Relay);
    }
    kind(ours)
}

/// The transceiver a sender of ours belongs to.
async fn transceiver_of(
    pc: &dyn PeerConnection,
    sender: &Arc<dyn RtpSender>,
) -> Option<Arc<dyn RtpTransceiver>> {
    for transceiver in pc.get_transceivers().await {
        if let Ok(Some(s)) = transceiver.sender().await {
            if s.id() == sender.id() {
                return Some(transceiver);
            }
        }
    }
    None
}

/// The mid of the transceiver a remote track arrived on.
async fn mid_of_track(
    pc: &dyn PeerConnection,
    track: &Arc<dyn webrtc::media_stream::track_remote::TrackRemote>,
) -> Option<String> {
    let id = track.track_id().await;
    for transceiver in pc.get_transceivers().await {
        if let Ok(Some(receiver)) = transceiver.receiver().await {
            if receiver.track().track_id().await == id {
                return transceiver.mid().await.ok().flatten();
            }
        }
    }
    None
}

/// Keyframe requests from the partner (RTCP PLI or FIR on one of our video
/// tracks) as a machine input.
fn spawn_keyframe_wants(
    track: Arc<TrackLocalStaticSample>,
    input: PeerInput,
    generation: u64,
    tx: mpsc::UnboundedSender<(u64, PcEvent)>,
    counters: Arc<Counters>,
) {
    tokio::spawn(async move {
        use webrtc::media_stream::track_local::TrackLocal;
        while let Some(event) = track.poll().await {
            if let TrackLocalEvent::OnRtcpPacket(packets) = event {
                if crate::keyframe_feedback::asks_for_keyframe(&packets) {
                    Counters::add(&counters.keyframes_requested_of_us, 1);
                    if tx
                        .send((generation, PcEvent::Machine(input.clone())))
                        .is_err()
                    {
                        return;
                    }
                }
            }
        }
    });
}

/// Feeds a data channel's opening and text messages to the machine.
fn spawn_data_events(
    data: Arc<dyn DataChannel>,
    generation: u64,
    tx: mpsc::UnboundedSender<(u64, PcEvent)>,
) {
    tokio::spawn(async move {
        while let Some(event) = data.poll().await {
            let input = match event {
                DataChannelEvent::OnOpen => PeerInput::DataOpen,
                DataChannelEvent::OnMessage(message) => {
                    match String::from_utf8(message.data.to_vec()) {
                        Ok(text) => PeerInput::DataText(text),
                        Err(_) => continue,
                    }
                }
                _ => continue,
            };
            if tx.send((generation, PcEvent::Machine(input))).is_err() {
                return;
            }
        }
    });
}

fn candidate_init(candidate: IceCandidate) -> RTCIceCandidateInit {
    RTCIceCandidateInit {
        candidate: candidate.candidate,
        sdp_mid: candidate.sdp_mid,
        sdp_mline_index: candidate.sdp_mline_index,
        ..Default::default()
    }
}

/// One encoded frame (or packet of sound) for a pump, and whether it is a
/// keyframe.
pub type Outgoing = (Bytes, Duration, bool);

/// Writes one kind of encoded media to the current connection's track, or
/// drops and counts it while there is none or the path is down (frames
/// would only queue in the pacer and arrive seconds late; the receiver asks
/// for a keyframe when the path returns). Video is also dropped while the
/// pacer's queue is long, and our encoder asked for a keyframe once it has
/// drained (shedding.rs); `events` carries that request.
pub async fn pump(
    kind: crate::MediaKind,
    mut rx: mpsc::Receiver<Outgoing>,
    outlet: Arc<Outlet>,
    counters: Arc<Counters>,
    events: mpsc::Sender<CallEvent>,
) {
    let frames_out = match kind {
        crate::MediaKind::Video => &counters.video_frames_out,
        crate::MediaKind::Audio => &counters.audio_frames_out,
        crate::MediaKind::Screen => &counters.screen_frames_out,
    };
    let mut shedder = crate::shedding::Shedder::default();
    while let Some((data, duration, keyframe)) = rx.recv().await {
        // Recorded whether or not it can be sent: the path may be down.
        outlet.tap.ours(kind, &data, duration);
        let path_up = !outlet.path_down.load(Ordering::Relaxed);
        let target = match kind {
            crate::MediaKind::Screen => outlet.screen().map(|s| (s.track, s.ssrc, s.pt)),
            _ => outlet.current().map(|sink| match kind {
                crate::MediaKind::Audio => (sink.audio, sink.audio_ssrc, sink.audio_pt),
                _ => (sink.video, sink.video_ssrc, sink.video_pt),
            }),
        };
        let (track, ssrc, pt) = match target {
            Some(target) if path_up => target,
            _ => {
                Counters::add(&counters.frames_out_dropped, 1);
                continue;
            }
        };
        if kind != crate::MediaKind::Audio {
            let backlog = outlet.current().map(|sink| sink.backlog.get());
            let verdict = shedder.on_frame(keyframe, backlog.unwrap_or_default(), Instant::now());
            if verdict != crate::shedding::Verdict::Send {
                Counters::add(&counters.frames_out_shed, 1);
                if verdict == crate::shedding::Verdict::DropAndAskKeyframe {
                    let _ = events.try_send(match kind {
                        crate::MediaKind::Screen => CallEvent::ScreenKeyframeRequested,
                        _ => CallEvent::KeyframeRequested,
                    });
                }
                continue;
            }
        }
        let len = data.len() as u64;
        let sample = MediaSample {
            data,
            duration,
            ..MediaSample::new(Instant::now())
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
