//! A call as the application holds it: join, hand frames in, take events
//! and frames out. The decisions live in the machine (`crate::machine`), the
//! I/O in the driver (`crate::driver`).

use crate::driver::{pump, Driver, Outlet, Request};
use crate::join_timeline::JoinStep;
use crate::machine::{CallEvent, CallMachine, Command, RestartPolicy};
use crate::media::{EncodedVideoFrame, MediaKind, OpusPacket, ReceivedFrame};
use crate::stats::Counters;
use crate::EngineError;
use mentorlive_protocol::peer_messages::{ChatMessage, DataMessage, MediaState};
use mentorlive_protocol::signaling::{IceServer, Joined};
use mentorlive_recording::{RecordError, RecorderOptions};
use mentorlive_signaling::{ClientOptions, LiveClient};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};
use webrtc::peer_connection::RTCIceServer;

/// How to join.
#[derive(Clone)]
pub struct CallOptions {
    pub server: String,
    pub token: String,
    pub code: String,
    /// Local UDP addresses to gather on (`0.0.0.0:0`: every interface).
    pub udp_addrs: Vec<String>,
    /// Connect only through the server's relay (TURN): the partner learns
    /// no address of ours, only the relay's.
    pub relay_only: bool,
    pub signaling: ClientOptions,
    /// Received frames the application may hold before the engine drops.
    pub frame_queue: usize,
    pub restart: RestartPolicy,
    /// Who the call report says it is from.
    pub client: mentorlive_protocol::analytics::ClientKind,
    pub client_version: String,
}

/// The token and the code stay out of `{:?}`: options end up in logs.
impl std::fmt::Debug for CallOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallOptions")
            .field("server", &self.server)
            .field("token", &"<redacted>")
            .field("code", &"<redacted>")
            .field("udp_addrs", &self.udp_addrs)
            .field("relay_only", &self.relay_only)
            .field("signaling", &self.signaling)
            .field("frame_queue", &self.frame_queue)
            .field("restart", &self.restart)
            .field("client", &self.client)
            .field("client_version", &self.client_version)
            .finish()
    }
}

impl CallOptions {
    pub fn new(server: &str, token: &str, code: &str) -> CallOptions {
        CallOptions {
            server: server.to_owned(),
            token: token.to_owned(),
            code: code.to_owned(),
            udp_addrs: vec!["0.0.0.0:0".to_owned()],
            relay_only: false,
            signaling: ClientOptions::default(),
            frame_queue: 64,
            restart: RestartPolicy::default(),
            client: mentorlive_protocol::analytics::ClientKind::Cli,
            client_version: env!("CARGO_PKG_VERSION").to_owned(),
        }
    }
}

/// A handle on a running call.
#[derive(Clone)]
pub struct Call {
    requests: mpsc::UnboundedSender<Request>,
    video_in: mpsc::Sender<crate::driver::Outgoing>,
    audio_in: mpsc::Sender<crate::driver::Outgoing>,
    screen_in: mpsc::Sender<crate::driver::Outgoing>,
    counters: Arc<Counters>,
}

impl Call {
    /// When each step of joining happened, from the start of `join`.
    pub fn join_timeline(&self) -> Vec<(JoinStep, Duration)> {
        self.counters
            .join
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .steps()
    }

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
        let counters = Arc::new(Counters::default());
        counters
            .join
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .start(Instant::now());
        let (live, live_events) =
            LiveClient::connect(&options.server, &options.token, options.signaling.clone()).await?;
        counters.join_step(JoinStep::SignalingConnected, Instant::now());
        let joined = live.join(&options.code).await?;
        counters.join_step(JoinStep::JoinAcked, Instant::now());
        if !joined.peers.is_empty() {
            counters.join_step(JoinStep::PeerPresent, Instant::now());
        }
        if options.relay_only && !offers_relay(&joined) {
            // Nothing could connect: leave at once rather than wait for ICE.
            let _ = live.leave().await;
            return Err(EngineError::NoRelay);
        }
        let (frames_tx, frames) = mpsc::channel(options.frame_queue.max(1));
        let (requests, request_rx) = mpsc::unbounded_channel();
        let (video_in, video_rx) = mpsc::channel(8);
        let (audio_in, audio_rx) = mpsc::channel(16);
        let (screen_in, screen_rx) = mpsc::channel(8);
        let outlet = Arc::new(Outlet::default());
        let (events_tx, events) = mpsc::channel(256);
        tokio::spawn(pump(
            MediaKind::Video,
            video_rx,
            outlet.clone(),
            counters.clone(),
            events_tx.clone(),
        ));
        tokio::spawn(pump(
            MediaKind::Audio,
            audio_rx,
            outlet.clone(),
            counters.clone(),
            events_tx.clone(),
        ));
        tokio::spawn(pump(
            MediaKind::Screen,
            screen_rx,
            outlet.clone(),
            counters.clone(),
            events_tx.clone(),
        ));
        let joined_at = time::OffsetDateTime::now_utc();
        let ice = ice_servers(&joined);
        let mut machine = CallMachine::new(joined, options.restart, Instant::now());
        machine.set_report_identity(crate::ReportIdentity {
            client: options.client,
            client_version: options.client_version.clone(),
            joined_at,
        });
        let driver = Driver {
            ice_servers: ice,
            machine,
            live,
            udp_addrs: options.udp_addrs.clone(),
            relay_only: options.relay_only,
            events: events_tx,
            frames: frames_tx,
            counters: counters.clone(),
            outlet,
        };
        tokio::spawn(driver.run(live_events, request_rx));
        Ok((
            Call {
                requests,
                video_in,
                audio_in,
                screen_in,
                counters,
            },
            events,
            frames,
        ))
    }

    /// Hands an encoded video frame to the engine. `false`: the send queue
    /// is full and the frame was dropped (ask the encoder for a keyframe).
    pub fn send_video(&self, frame: EncodedVideoFrame) -> bool {
        let sent = self
            .video_in
            .try_send((frame.data, frame.duration, frame.keyframe))
            .is_ok();
        if !sent {
            Counters::add(&self.counters.frames_out_dropped, 1);
        }
        sent
    }

    /// Hands an encoded frame of our screen share to the engine (sent once
    /// the share is negotiated; dropped and counted before).
    pub fn send_screen(&self, frame: EncodedVideoFrame) -> bool {
        let sent = self
            .screen_in
            .try_send((frame.data, frame.duration, frame.keyframe))
            .is_ok();
        if !sent {
            Counters::add(&self.counters.frames_out_dropped, 1);
        }
        sent
    }

    /// Starts or stops sharing our screen: the engine negotiates the screen
    /// transceiver and tells the partner its mid. Frames go by `send_screen`.
    pub fn share_screen(&self, on: bool) {
        self.command(Command::ShareScreen(on));
    }

    /// Asks the partner's consent to record the call into `options.path`.
    /// Recording starts when they accept ([`CallEvent::Recording`] says so);
    /// refused at once when the disk has too little room.
    pub fn record(&self, options: RecorderOptions) -> Result<(), RecordError> {
        mentorlive_recording::session::check_space(&options)?;
        let _ = self.requests.send(Request::Record {
            options,
            id: random_id(),
        });
        Ok(())
    }

    /// Our user's answer to the partner's request to record.
    pub fn answer_recording(&self, accept: bool) {
        self.command(Command::AnswerRecording { accept });
    }

    /// Stops our recording (or withdraws an unanswered request).
    pub fn stop_recording(&self) {
        self.command(Command::StopRecording);
    }

    /// Withdraws our consent: the partner's recording stops at once.
    pub fn revoke_recording(&self) {
        self.command(Command::RevokeRecording);
    }

    /// Asks the partner for a keyframe of their screen share.
    pub fn request_screen_keyframe(&self) {
        self.command(Command::RequestScreenKeyframe);
    }

    pub fn send_audio(&self, packet: OpusPacket) -> bool {
        let sent = self
            .audio_in
            .try_send((packet.data, packet.duration, false))
            .is_ok();
        if !sent {
            Counters::add(&self.counters.frames_out_dropped, 1);
        }
        sent
    }

    fn command(&self, command: Command) {
        let _ = self.requests.send(Request::Machine(command));
    }

    /// Sends a chat line over the data channel, with a fresh id and the
    /// time; returns the message as sent (for the sender's own view).
    pub fn send_chat(&self, text: &str) -> ChatMessage {
        let message = ChatMessage {
            text: text.to_owned(),
            id: random_id(),
            sent_at: time::OffsetDateTime::now_utc()
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
        };
        self.command(Command::SendChat(message.clone()));
        message
    }

    /// Tells the partner our microphone, camera and screen state (and again
    /// after every reconnect).
    pub fn set_media_state(&self, state: MediaState) {
        self.command(Command::SetMedia(state));
    }

    /// Sends another data-channel message (screen, record).
    pub fn send_data(&self, message: DataMessage) {
        self.command(Command::SendData(message));
    }

    /// Asks the partner for a keyframe (our decoder lost its reference).
    pub fn request_keyframe(&self) {
        self.command(Command::RequestKeyframe);
    }

    pub fn restart_ice(&self) {
        self.command(Command::RestartIce);
    }

    /// Leaves the room and closes the connection; the partner hears `left`.
    pub async fn hang_up(&self) {
        let (done, wait) = oneshot::channel();
        if self.requests.send(Request::HangUp(done)).is_ok() {
            let _ = tokio::time::timeout(Duration::from_secs(5), wait).await;
        }
    }

    pub fn counters(&self) -> &Counters {
        &self.counters
    }
}

/// 72 random bits in hex: a chat line's or a consent's id.
fn random_id() -> String {
    let mut id = [0u8; 9];
    let _ = getrandom::getrandom(&mut id);
    id.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether the join ack names a TURN server with credentials.
fn offers_relay(joined: &Joined) -> bool {
    joined.ice_servers.iter().any(|s| {
        s.credential.as_deref().is_some_and(|c| !c.is_empty())
            && s.urls
                .iter()
                .any(|url| url.starts_with("turn:") || url.starts_with("turns:"))
    })
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

#[cfg(test)]
mod debug_tests {
    use super::CallOptions;

    #[test]
    fn options_in_a_log_show_neither_the_token_nor_the_code() {
        let mut options = CallOptions::new("http://127.0.0.1:8787", "s3cr3t-token", "ABCDEFGH");
        options.signaling.auth = serde_json::json!({"token": "s3cr3t-token"});
        let shown = format!("{options:?} {options:#?}");
        assert!(!shown.contains("s3cr3t-token"), "{shown}");
        assert!(!shown.contains("ABCDEFGH"), "{shown}");
        assert!(shown.contains("127.0.0.1:8787"));
    }
}
