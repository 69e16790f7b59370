//! The bridge over a real socket: a tungstenite client plays the webview.

use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use mentorlive_bridge::{BridgeCounters, Chunk, ChunkKind, EchoSink, MediaBridge};
use std::sync::Arc;
use std::time::Duration;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;

fn video(n: u32, keyframe: bool, size: usize) -> Chunk {
    let mut data = n.to_le_bytes().to_vec();
    data.resize(size, 0xab);
    Chunk {
        kind: ChunkKind::Video,
        keyframe,
        timestamp_us: u64::from(n) * 33_333,
        duration_us: 33_333,
        data: Bytes::from(data),
    }
}

#[tokio::test]
async fn chunks_cross_both_ways_byte_for_byte() {
    let (sink, frames) = EchoSink::new(64);
    let bridge = MediaBridge::start(Arc::new(sink), frames)
        .await
        .expect("bridge");
    let (mut ws, _) = tokio_tungstenite::connect_async(bridge.url())
        .await
        .expect("connect");
    for n in 0..30 {
        let sent = video(n, n == 0, 1_000 + n as usize * 100);
        ws.send(Message::Binary(sent.encode())).await.expect("send");
        let back = loop {
            match ws.next().await.expect("open").expect("message") {
                Message::Binary(b) => break Chunk::decode(b).expect("chunk"),
                _ => continue,
            }
        };
        assert_eq!(back.kind, ChunkKind::Video);
        assert_eq!(back.keyframe, n == 0);
        assert_eq!(back.data, sent.data, "chunk {n}");
        // The engine's RTP clock comes back as growing microseconds.
        assert!(
            back.timestamp_us.abs_diff(u64::from(n) * 33_333) <= u64::from(n) * 20,
            "{}",
            back.timestamp_us
        );
    }
    let audio = Chunk {
        kind: ChunkKind::Audio,
        keyframe: false,
        timestamp_us: 0,
        duration_us: 20_000,
        data: Bytes::from_static(b"opus"),
    };
    ws.send(Message::Binary(audio.encode()))
        .await
        .expect("send");
    let back = ws.next().await.expect("open").expect("message");
    assert_eq!(
        Chunk::decode(back.into_data()).expect("chunk").data,
        Bytes::from_static(b"opus")
    );
    // Garbage is counted and skipped; the connection stays.
    ws.send(Message::Binary(Bytes::from_static(b"junk")))
        .await
        .expect("send");
    ws.send(Message::Binary(video(99, true, 50).encode()))
        .await
        .expect("send");
    let back = ws.next().await.expect("open").expect("message");
    assert_eq!(
        &Chunk::decode(back.into_data()).expect("chunk").data[..4],
        &99u32.to_le_bytes()
    );
    assert_eq!(BridgeCounters::get(&bridge.counters().bad_chunks), 1);
}

#[tokio::test]
async fn a_wrong_secret_or_a_foreign_page_is_refused() {
    let (sink, frames) = EchoSink::new(8);
    let bridge = MediaBridge::start(Arc::new(sink), frames)
        .await
        .expect("bridge");
    let wrong = format!("ws://127.0.0.1:{}/media?secret=00", bridge.port());
    assert!(tokio_tungstenite::connect_async(wrong).await.is_err());
    let mut foreign = bridge.url().into_client_request().expect("request");
    foreign
        .headers_mut()
        .insert("origin", "https://evil.example".parse().expect("header"));
    assert!(tokio_tungstenite::connect_async(foreign).await.is_err());
    let mut own = bridge.url().into_client_request().expect("request");
    own.headers_mut()
        .insert("origin", "tauri://localhost".parse().expect("header"));
    assert!(tokio_tungstenite::connect_async(own).await.is_ok());
    assert_eq!(BridgeCounters::get(&bridge.counters().refused), 2);
}

/// A webview that stops reading: the bridge drops whole frames up to a
/// keyframe, asks the partner for one, and its queue stays bounded.
#[tokio::test]
async fn a_webview_that_falls_behind_gets_whole_frames_from_a_keyframe_on() {
    let (sink, frames) = EchoSink::new(4096);
    let sink = Arc::new(sink);
    let bridge = MediaBridge::start(sink.clone(), frames)
        .await
        .expect("bridge");
    let (ws, _) = tokio_tungstenite::connect_async(bridge.url())
        .await
        .expect("connect");
    let (mut write, mut read) = ws.split();
    // 600 frames of 60 KB (36 MB) sent while nothing is read: far beyond
    // the socket buffers, so the bridge must drop.
    for n in 0..600u32 {
        write
            .send(Message::Binary(video(n, n % 100 == 0, 60_000).encode()))
            .await
            .expect("send");
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let dropped = BridgeCounters::get(&bridge.counters().frames_out_dropped);
    assert!(dropped > 0, "nothing was dropped");
    assert!(
        sink.keyframe_requests
            .load(std::sync::atomic::Ordering::Relaxed)
            > 0,
        "no keyframe asked for"
    );
    // Now read everything: after the first gap, the frames resume at a keyframe.
    let mut last: Option<u32> = None;
    let mut received = 0;
    while let Ok(Some(Ok(message))) =
        tokio::time::timeout(Duration::from_millis(500), read.next()).await
    {
        let Message::Binary(bytes) = message else {
            continue;
        };
        let chunk = Chunk::decode(bytes).expect("chunk");
        let n = u32::from_le_bytes(chunk.data[..4].try_into().expect("4 bytes"));
        if let Some(prev) = last {
            if n != prev + 1 {
                assert!(
                    chunk.keyframe,
                    "after a gap ({prev} → {n}) comes a keyframe"
                );
            }
        }
        last = Some(n);
        received += 1;
    }
    assert!(received > 0 && received < 600, "received {received}");
    println!("received {received} of 600, dropped {dropped}");
}

/// The partner's first frames arrive before the page's socket opens (the
/// page is still loading, or it was reloaded): the page still starts at the
/// camera's last keyframe, with no wait for the partner to send another.
#[tokio::test]
async fn a_page_that_connects_late_starts_at_the_last_keyframe_it_missed() {
    let (sink, _echoes) = EchoSink::new(8);
    let (partner, frames) = tokio::sync::mpsc::channel(64);
    let bridge = MediaBridge::start(Arc::new(sink), frames)
        .await
        .expect("bridge");
    let frame = |n: u32, keyframe: bool| mentorlive_engine::ReceivedFrame {
        kind: mentorlive_engine::MediaKind::Video,
        data: Bytes::from(n.to_le_bytes().to_vec()),
        rtp_timestamp: n * 3_000,
        keyframe,
        arrival: std::time::Instant::now(),
    };
    // A delta from before the keyframe, the keyframe, and two deltas.
    for (n, keyframe) in [(0, false), (1, true), (2, false), (3, false)] {
        partner.send(frame(n, keyframe)).await.expect("queued");
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let (mut ws, _) = tokio_tungstenite::connect_async(bridge.url())
        .await
        .expect("connect");
    partner.send(frame(4, false)).await.expect("queued");
    let mut seen = Vec::new();
    while seen.len() < 4 {
        let message = tokio::time::timeout(Duration::from_secs(2), ws.next())
            .await
            .unwrap_or_else(|_| panic!("only {seen:?} arrived"))
            .expect("open")
            .expect("message");
        let Message::Binary(bytes) = message else {
            continue;
        };
        let chunk = Chunk::decode(bytes).expect("chunk");
        let n = u32::from_le_bytes(chunk.data[..4].try_into().expect("4 bytes"));
        seen.push((n, chunk.keyframe));
    }
    assert_eq!(seen, vec![(1, true), (2, false), (3, false), (4, false)]);
}

#[tokio::test]
async fn idle_sockets_from_other_processes_never_keep_the_page_out() {
    let (sink, frames) = EchoSink::new(64);
    let bridge = MediaBridge::start(Arc::new(sink), frames)
        .await
        .expect("bridge");
    let address = bridge
        .url()
        .trim_start_matches("ws://")
        .split('/')
        .next()
        .expect("host:port")
        .to_owned();
    // Twenty sockets that connect and say nothing (a handshake may wait 5 s).
    let mut idle = Vec::new();
    for _ in 0..20 {
        idle.push(
            tokio::net::TcpStream::connect(&address)
                .await
                .expect("idle socket"),
        );
    }
    // The page connects at once all the same, and media crosses.
    let started = std::time::Instant::now();
    let (mut ws, _) = tokio::time::timeout(
        Duration::from_secs(2),
        tokio_tungstenite::connect_async(bridge.url()),
    )
    .await
    .expect("the page is not kept waiting behind idle sockets")
    .expect("connect");
    println!(
        "connected in {:?} behind 20 idle sockets",
        started.elapsed()
    );
    ws.send(Message::Binary(video(1, true, 500).encode()))
        .await
        .expect("send");
    let back = tokio::time::timeout(Duration::from_secs(2), ws.next())
        .await
        .expect("echo in time")
        .expect("open")
        .expect("message");
    assert_eq!(
        &Chunk::decode(back.into_data()).expect("chunk").data[..4],
        &1u32.to_le_bytes()
    );
    drop(idle);
}

/// The echo as a call would be: the partner's audio reaches the webview
/// decoded (the bridge's Opus decoder), not as Opus. Audio packet 5 is lost
/// on the way, as the network would lose it: its RTP time passes unseen.
struct LossyCallEcho {
    back: tokio::sync::mpsc::Sender<mentorlive_engine::ReceivedFrame>,
    audio_packets: std::sync::atomic::AtomicU32,
}

impl LossyCallEcho {
    fn send(
        &self,
        kind: mentorlive_engine::MediaKind,
        data: Bytes,
        keyframe: bool,
        rtp: u32,
    ) -> bool {
        self.back
            .try_send(mentorlive_engine::ReceivedFrame {
                kind,
                data,
                rtp_timestamp: rtp,
                keyframe,
                arrival: std::time::Instant::now(),
            })
            .is_ok()
    }
}

impl mentorlive_bridge::MediaSink for LossyCallEcho {
    fn video(&self, frame: mentorlive_engine::EncodedVideoFrame) -> bool {
        self.send(
            mentorlive_engine::MediaKind::Video,
            frame.data,
            frame.keyframe,
            0,
        )
    }
    fn audio(&self, packet: mentorlive_engine::OpusPacket) -> bool {
        let n = self
            .audio_packets
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        n == 5
            || self.send(
                mentorlive_engine::MediaKind::Audio,
                packet.data,
                true,
                7 + n * 960,
            )
    }
    fn screen(&self, _frame: mentorlive_engine::EncodedVideoFrame) -> bool {
        true
    }
    fn request_keyframe(&self) {}
    fn request_screen_keyframe(&self) {}
}

#[tokio::test]
async fn the_partners_opus_reaches_the_webview_as_samples_with_a_lost_packet_made_up() {
    let (back, frames) = tokio::sync::mpsc::channel(64);
    let sink = LossyCallEcho {
        back,
        audio_packets: Default::default(),
    };
    let bridge = MediaBridge::start(Arc::new(sink), frames)
        .await
        .expect("bridge");
    let (mut ws, _) = tokio_tungstenite::connect_async(bridge.url())
        .await
        .expect("connect");
    let mut encoder =
        opus::Encoder::new(48_000, opus::Channels::Mono, opus::Application::Voip).expect("encoder");
    encoder.set_inband_fec(true).expect("fec");
    encoder.set_packet_loss_perc(10).expect("expected loss");
    let tone: Vec<f32> = (0..960)
        .map(|s| 0.3 * (s as f32 * 440.0 * std::f32::consts::TAU / 48_000.0).sin())
        .collect();
    let mut samples = 0;
    for n in 0..10u64 {
        let packet = encoder.encode_vec_float(&tone, 4000).expect("encode");
        let audio = Chunk {
            kind: ChunkKind::Audio,
            keyframe: true,
            timestamp_us: n * 20_000,
            duration_us: 20_000,
            data: Bytes::from(packet),
        };
        ws.send(Message::Binary(audio.encode()))
            .await
            .expect("send");
        if n == 5 {
            continue;
        }
        let back = tokio::time::timeout(Duration::from_secs(2), ws.next())
            .await
            .expect("sound in time")
            .expect("open")
            .expect("message");
        let chunk = Chunk::decode(back.into_data()).expect("chunk");
        assert_eq!(chunk.kind, ChunkKind::Sound);
        assert_eq!(chunk.data.len() % 4, 0);
        samples += chunk.data.len() / 4;
    }
    // The lost packet's 20 ms were made up (from packet 6's FEC): the
    // player's clock never runs short.
    assert_eq!(samples, 10 * 960, "20 ms of samples for each packet");
    // The webview may not send decoded sound to the engine.
    ws.send(Message::Binary(Chunk::sound(0, &[0.0; 960]).encode()))
        .await
        .expect("send");
    ws.send(Message::Binary(video(7, true, 50).encode()))
        .await
        .expect("send");
    let back = ws.next().await.expect("open").expect("message");
    assert_eq!(
        Chunk::decode(back.into_data()).expect("chunk").kind,
        ChunkKind::Video
    );
    assert_eq!(BridgeCounters::get(&bridge.counters().bad_chunks), 1);
}
