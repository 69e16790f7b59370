//! The bridge's WebSocket on 127.0.0.1. One webview connection at a time (a
//! reload replaces the previous one); a secret only the app's UI learns.

use crate::catch_up;
use crate::gate::{Admit, KeyframeGate};
use crate::sound::{self, SoundDecoder};
use crate::wire::{Chunk, ChunkKind, RtpClock};
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use mentorlive_engine::{Call, EncodedVideoFrame, MediaKind, OpusPacket, ReceivedFrame};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, Mutex};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::StatusCode;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;

/// Where the webview's encoded media goes: the call, or an echo in benchmarks.
pub trait MediaSink: Send + Sync + 'static {
    /// `false`: the frame was dropped; the encoder should make a keyframe.
    fn video(&self, frame: EncodedVideoFrame) -> bool;
    fn audio(&self, packet: OpusPacket) -> bool;
    /// A frame of our screen share.
    fn screen(&self, frame: EncodedVideoFrame) -> bool;
    /// The webview's decoder lost its reference: ask the partner for a keyframe.
    fn request_keyframe(&self);
    /// The same for the partner's screen share.
    fn request_screen_keyframe(&self);
    /// The partner's audio reaches the webview decoded (`sound`), except
    /// from a sink that measures the transport alone and wants its bytes back.
    fn decode_audio_for_webview(&self) -> bool {
        true
    }
}

impl MediaSink for Call {
    fn video(&self, frame: EncodedVideoFrame) -> bool {
        self.send_video(frame)
    }
    fn audio(&self, packet: OpusPacket) -> bool {
        self.send_audio(packet)
    }
    fn screen(&self, frame: EncodedVideoFrame) -> bool {
        self.send_screen(frame)
    }
    fn request_keyframe(&self) {
        Call::request_keyframe(self)
    }
    fn request_screen_keyframe(&self) {
        Call::request_screen_keyframe(self)
    }
}

/// What crossed the bridge, for stats and tests.
#[derive(Debug, Default)]
pub struct BridgeCounters {
    pub chunks_in: AtomicU64,
    pub bytes_in: AtomicU64,
    pub bad_chunks: AtomicU64,
    pub frames_out: AtomicU64,
    pub frames_out_dropped: AtomicU64,
    pub keyframes_asked_of_encoder: AtomicU64,
    pub connections: AtomicU64,
    pub refused: AtomicU64,
}

impl BridgeCounters {
    fn bump(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }
    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}

/// Frames queued for the webview before the gate starts dropping: about a
/// quarter second of video and audio. More would only add delay.
const OUT_QUEUE: usize = 12;
/// Largest chunk the webview may send: far above any 1080p keyframe.
const MAX_MESSAGE: usize = 4 << 20;
/// Origins of the app's own pages (Linux/macOS, Windows).
const APP_ORIGINS: [&str; 3] = [
    "tauri://localhost",
    "http://tauri.localhost",
    "https://tauri.localhost",
];

enum ToWebview {
    /// An encoded chunk, with what `catch_up` needs to know of it.
    Media {
        kind: ChunkKind,
        keyframe: bool,
        bytes: Bytes,
    },
    /// `{"type":"keyframe"}`: make the camera's next encoded frame a
    /// keyframe; with `"video":"screen"`, the screen share's.
    Control(String),
}

impl ToWebview {
    fn into_message(self) -> Message {
        match self {
            ToWebview::Media { bytes, .. } => Message::Binary(bytes),
            ToWebview::Control(text) => Message::Text(text.into()),
        }
    }
}

const CAMERA_KEYFRAME: &str = r#"{"type":"keyframe"}"#;
const SCREEN_KEYFRAME: &str = r#"{"type":"keyframe","video":"screen"}"#;

/// A control message from the webview: a keyframe request, for the camera
/// or (`"video":"screen"`) for the screen share.
#[derive(serde::Deserialize)]
struct FromWebview {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    video: Option<String>,
}

/// A running bridge. Dropping it closes the socket and stops every task.
pub struct MediaBridge {
    port: u16,
    secret: String,
    counters: Arc<BridgeCounters>,
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for MediaBridge {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl MediaBridge {
    /// Binds 127.0.0.1 on a free port and starts forwarding: chunks from the
    /// webview into `sink`, `frames` from the engine to the webview.
    pub async fn start(
        sink: Arc<dyn MediaSink>,
        frames: mpsc::Receiver<ReceivedFrame>,
    ) -> std::io::Result<MediaBridge> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let port = listener.local_addr()?.port();
        let secret = new_secret()?;
        let counters = Arc::new(BridgeCounters::default());
        let (out_tx, out_rx) = mpsc::channel::<ToWebview>(OUT_QUEUE);
        let out_rx = Arc::new(Mutex::new(out_rx));
        let pump = tokio::spawn(pump_frames(
            frames,
            out_tx.clone(),
            sink.clone(),
            counters.clone(),
        ));
        let accept = tokio::spawn(accept_loop(
            listener,
            secret.clone(),
            sink,
            out_tx,
            out_rx,
            counters.clone(),
        ));
        Ok(MediaBridge {
            port,
            secret,
            counters,
            tasks: vec![pump, accept],
        })
    }

    /// What the webview connects to. Contains the secret: never log it.
    pub fn url(&self) -> String {
        format!("ws://127.0.0.1:{}/media?secret={}", self.port, self.secret)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn counters(&self) -> &BridgeCounters {
        &self.counters
    }
}

fn new_secret() -> std::io::Result<String> {
    let mut raw = [0u8; 32];
    getrandom::getrandom(&mut raw).map_err(|e| std::io::Error::other(e.to_string()))?;
    Ok(raw.iter().map(|b| format!("{b:02x}")).collect())
}

/// Equal-time comparison: the secret must not leak through timing.
fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Checks the upgrade request: path, secret, and (when a browser sends one)
/// the origin. Any web page could otherwise try `ws://127.0.0.1:port`.
fn check_request(req: &Request, secret: &str) -> Result<(), &'static str> {
    if req.uri().path() != "/media" {
        return Err("unknown path");
    }
    let given = req
        .uri()
        .query()
        .unwrap_or("")
        .split('&')
        .find_map(|pair| pair.strip_prefix("secret="))
        .unwrap_or("");
    if !same_secret(given, secret) {
        return Err("wrong secret");
    }
    if let Some(origin) = req.headers().get("origin") {
        let origin = origin.to_str().unwrap_or("");
        if !APP_ORIGINS.contains(&origin) {
            return Err("foreign origin");
        }
    }
    Ok(())
}

/// Handshakes in progress at once. Any local process can open sockets to
/// the bridge and say nothing: past this, the oldest silent one goes, so a
/// page's handshake (done in a millisecond once its request arrives) always
/// gets through however many idle sockets wait.
const MAX_HANDSHAKES: usize = 8;

async fn accept_loop(
    listener: TcpListener,
    secret: String,
    sink: Arc<dyn MediaSink>,
    out_tx: mpsc::Sender<ToWebview>,
    out_rx: Arc<Mutex<mpsc::Receiver<ToWebview>>>,
    counters: Arc<BridgeCounters>,
) {
    let secret: Arc<str> = secret.into();
    let mut current: Option<JoinHandle<()>> = None;
    let (done_tx, mut done_rx) = mpsc::channel::<(u64, Option<Ws>)>(MAX_HANDSHAKES);
    let mut handshaking: std::collections::VecDeque<(u64, tokio::task::AbortHandle)> =
        Default::default();
    let mut next_id = 0u64;
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else {
                    continue;
                };
                let _ = stream.set_nodelay(true);
                if handshaking.len() >= MAX_HANDSHAKES {
                    if let Some((_, oldest)) = handshaking.pop_front() {
                        oldest.abort();
                        BridgeCounters::bump(&counters.refused, 1);
                    }
                }
                next_id += 1;
                let id = next_id;
                let (secret, counters, done) = (secret.clone(), counters.clone(), done_tx.clone());
                let task = tokio::spawn(async move {
                    let ws = handshake(stream, &secret, &counters).await;
                    let _ = done.send((id, ws)).await;
                });
                handshaking.push_back((id, task.abort_handle()));
            }
            Some((id, ws)) = done_rx.recv() => {
                handshaking.retain(|(pending, _)| *pending != id);
                let Some(ws) = ws else {
                    continue;
                };
                // A new page (a reload) takes over from the old one.
                if let Some(old) = current.take() {
                    old.abort();
                }
                BridgeCounters::bump(&counters.connections, 1);
                current = Some(tokio::spawn(serve(
                    ws,
                    sink.clone(),
                    out_tx.clone(),
                    out_rx.clone(),
                    counters.clone(),
                )));
            }
        }
    }
}

type Ws = tokio_tungstenite::WebSocketStream<TcpStream>;

async fn handshake(stream: TcpStream, secret: &str, counters: &BridgeCounters) -> Option<Ws> {
    let config = WebSocketConfig::default()
        .max_message_size(Some(MAX_MESSAGE))
        .max_frame_size(Some(MAX_MESSAGE));
    // The error type is tungstenite's; its size is not ours to choose.
    #[allow(clippy::result_large_err)]
    let callback = |req: &Request, resp: Response| -> Result<Response, ErrorResponse> {
        match check_request(req, secret) {
            Ok(()) => Ok(resp),
            Err(why) => {
                tracing::warn!(why, "media bridge connection refused");
                let mut refusal = ErrorResponse::new(Some(why.to_owned()));
                *refusal.status_mut() = StatusCode::FORBIDDEN;
                Err(refusal)
            }
        }
    };
    let accepted = tokio::time::timeout(
        Duration::from_secs(5),
        tokio_tungstenite::accept_hdr_async_with_config(stream, callback, Some(config)),
    )
    .await;
    match accepted {
        Ok(Ok(ws)) => Some(ws),
        _ => {
            BridgeCounters::bump(&counters.refused, 1);
            None
        }
    }
}

/// One webview connection: its chunks go to the sink; queued frames and
/// control messages go to it.
async fn serve(
    ws: Ws,
    sink: Arc<dyn MediaSink>,
    out_tx: mpsc::Sender<ToWebview>,
    out_rx: Arc<Mutex<mpsc::Receiver<ToWebview>>>,
    counters: Arc<BridgeCounters>,
) {
    let (mut write, mut read) = ws.split();
    let writer = tokio::spawn(async move {
        let mut out_rx = out_rx.lock().await;
        // Of what queued while no page was connected, only each video's
        // frames from its last keyframe are worth having (`catch_up`).
        let mut queued = Vec::new();
        while let Ok(item) = out_rx.try_recv() {
            queued.push(item);
        }
        let replay = catch_up::worth_replaying(queued, |item| match item {
            ToWebview::Media { kind, keyframe, .. } => Some((*kind, *keyframe)),
            ToWebview::Control(_) => None,
        });
        for item in replay {
            if write.send(item.into_message()).await.is_err() {
                return;
            }
        }
        while let Some(item) = out_rx.recv().await {
            if write.send(item.into_message()).await.is_err() {
                break;
            }
        }
    });
    // Aborting `serve` must stop the writer too, or the next page would
    // wait on the queue's lock forever.
    let _writer_guard = AbortOnDrop(writer);
    // When the camera's and the screen's encoders were last asked.
    let mut keyframe_asked = [None::<Instant>; 2];
    while let Some(Ok(message)) = read.next().await {
        match message {
            Message::Binary(bytes) => {
                let chunk = match Chunk::decode(bytes) {
                    Ok(chunk) => chunk,
                    Err(err) => {
                        BridgeCounters::bump(&counters.bad_chunks, 1);
                        tracing::debug!(%err, "bad chunk from the webview");
                        continue;
                    }
                };
                if chunk.kind == ChunkKind::Sound {
                    // Decoded sound only flows to the webview.
                    BridgeCounters::bump(&counters.bad_chunks, 1);
                    continue;
                }
                BridgeCounters::bump(&counters.chunks_in, 1);
                BridgeCounters::bump(&counters.bytes_in, chunk.data.len() as u64);
                let kind = chunk.kind;
                if !deliver(sink.as_ref(), chunk) && kind != ChunkKind::Audio {
                    // The engine's queue is full: the frames after this one
                    // cannot decode at the partner until a keyframe. Ask the
                    // encoder, at most every 300 ms.
                    let (slot, control) = match kind {
                        ChunkKind::Screen => (1, SCREEN_KEYFRAME),
                        _ => (0, CAMERA_KEYFRAME),
                    };
                    let now = Instant::now();
                    if keyframe_asked[slot]
                        .is_none_or(|t| now.duration_since(t) > Duration::from_millis(300))
                    {
                        keyframe_asked[slot] = Some(now);
                        BridgeCounters::bump(&counters.keyframes_asked_of_encoder, 1);
                        let _ = out_tx.try_send(ToWebview::Control(control.into()));
                    }
                }
            }
            Message::Text(text) => match serde_json::from_str::<FromWebview>(&text) {
                Ok(m) if m.kind == "keyframe" && m.video.as_deref() == Some("screen") => {
                    sink.request_screen_keyframe()
                }
                Ok(m) if m.kind == "keyframe" => sink.request_keyframe(),
                _ => tracing::debug!("a text message from the webview that is not ours"),
            },
            Message::Close(_) => break,
            _ => {}
        }
    }
}

struct AbortOnDrop(JoinHandle<()>);
impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn deliver(sink: &dyn MediaSink, chunk: Chunk) -> bool {
    let duration = match chunk.duration_us {
        0 => Duration::from_millis(match chunk.kind {
            ChunkKind::Video => 33,
            ChunkKind::Audio | ChunkKind::Sound => 20,
            ChunkKind::Screen => 100,
        }),
        // A camera that stalls for a second still advances the clock sanely.
        us => Duration::from_micros(u64::from(us).min(1_000_000)),
    };
    match chunk.kind {
        ChunkKind::Video => sink.video(EncodedVideoFrame {
            data: chunk.data,
            duration,
            keyframe: chunk.keyframe,
        }),
        ChunkKind::Audio => sink.audio(OpusPacket {
            data: chunk.data,
            duration,
        }),
        // Refused by the reader before it gets here.
        ChunkKind::Sound => false,
        ChunkKind::Screen => sink.screen(EncodedVideoFrame {
            data: chunk.data,
            duration,
            keyframe: chunk.keyframe,
        }),
    }
}

/// The partner's frames, through the gate, into the queue to the webview.
async fn pump_frames(
    mut frames: mpsc::Receiver<ReceivedFrame>,
    out_tx: mpsc::Sender<ToWebview>,
    sink: Arc<dyn MediaSink>,
    counters: Arc<BridgeCounters>,
) {
    // The camera and the screen each have their own decoder in the webview,
    // so each has its own gate and clock.
    let mut camera_gate = KeyframeGate::new(Duration::from_secs(1));
    let mut screen_gate = KeyframeGate::new(Duration::from_secs(1));
    let mut video_clock = RtpClock::new(90_000);
    let mut screen_clock = RtpClock::new(90_000);
    let mut audio_clock = RtpClock::new(48_000);
    let mut sound = match SoundDecoder::new() {
        Ok(decoder) => Some(decoder),
        Err(_) if !sink.decode_audio_for_webview() => None,
        Err(err) => {
            tracing::error!(%err, "no Opus decoder: the partner will not be heard");
            None
        }
    };
    while let Some(frame) = frames.recv().await {
        let room = out_tx.capacity() > 0;
        let chunk = match frame.kind {
            MediaKind::Audio if !sink.decode_audio_for_webview() => Chunk {
                kind: ChunkKind::Audio,
                keyframe: true,
                timestamp_us: audio_clock.micros(frame.rtp_timestamp),
                duration_us: 0,
                data: frame.data,
            },
            MediaKind::Audio => {
                let timestamp_us = audio_clock.micros(frame.rtp_timestamp);
                let Some(decoder) = sound.as_mut() else {
                    continue;
                };
                let samples = decoder.packet(frame.rtp_timestamp, &frame.data);
                if samples.is_empty() {
                    continue;
                }
                // Concealment before the packet's own sound starts earlier.
                let lead = (samples.len() as u64).saturating_sub(960) * 1_000_000
                    / u64::from(sound::SAMPLE_RATE);
                Chunk::sound(timestamp_us.saturating_sub(lead), &samples)
            }
            MediaKind::Video | MediaKind::Screen => {
                let (kind, clock, gate) = if frame.kind == MediaKind::Video {
                    (ChunkKind::Video, &mut video_clock, &mut camera_gate)
                } else {
                    (ChunkKind::Screen, &mut screen_clock, &mut screen_gate)
                };
                let timestamp_us = clock.micros(frame.rtp_timestamp);
                if let Admit::Drop { ask_keyframe } =
                    gate.admit(frame.keyframe, room, Instant::now())
                {
                    BridgeCounters::bump(&counters.frames_out_dropped, 1);
                    if ask_keyframe {
                        match kind {
                            ChunkKind::Screen => sink.request_screen_keyframe(),
                            _ => sink.request_keyframe(),
                        }
                    }
                    continue;
                }
                Chunk {
                    kind,
                    keyframe: frame.keyframe,
                    timestamp_us,
                    duration_us: 0,
                    data: frame.data,
                }
            }
        };
        let item = ToWebview::Media {
            kind: chunk.kind,
            keyframe: chunk.keyframe,
            bytes: chunk.encode(),
        };
        match out_tx.try_send(item) {
            Ok(()) => BridgeCounters::bump(&counters.frames_out, 1),
            Err(_) => BridgeCounters::bump(&counters.frames_out_dropped, 1),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(uri: &str, origin: Option<&str>) -> Request {
        let mut builder = Request::builder().uri(uri);
        if let Some(o) = origin {
            builder = builder.header("origin", o);
        }
        builder.body(()).expect("request")
    }

    #[test]
    fn only_the_right_secret_from_the_apps_origin_gets_in() {
        let s = "ab".repeat(32);
        let ok = format!("/media?secret={s}");
        assert_eq!(
            check_request(&request(&ok, Some("tauri://localhost")), &s),
            Ok(())
        );
        assert_eq!(check_request(&request(&ok, None), &s), Ok(()));
        assert_eq!(
            check_request(&request(&ok, Some("https://evil.example")), &s),
            Err("foreign origin")
        );
        assert_eq!(
            check_request(
                &request("/media?secret=abab", Some("tauri://localhost")),
                &s
            ),
            Err("wrong secret")
        );
        assert_eq!(
            check_request(&request("/media", None), &s),
            Err("wrong secret")
        );
        assert_eq!(
            check_request(&request(&format!("/x?secret={s}"), None), &s),
            Err("unknown path")
        );
    }
}
