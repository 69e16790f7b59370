//! Hostile input against the reference server's signaling, over raw
//! WebSockets (no client library to tidy anything up): malformed Engine.IO
//! and Socket.IO packets, oversized frames, `live:*` payloads of the wrong
//! shape, and relays into rooms that are not the sender's. Each gets an
//! error ack or a clean disconnect; meanwhile a real room of two clients on
//! the same server keeps relaying signals, before, during and after.

use futures::{SinkExt, StreamExt};
use mentorlive_signaling::{ClientOptions, LiveClient, LiveEvent};
use mentorlive_testkit::{Http, TestServer};
use serde_json::{json, Value};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A raw Socket.IO connection, authenticated with `token`.
async fn raw(server: &TestServer, token: &str) -> Ws {
    let url = format!(
        "{}/socket.io/?EIO=4&transport=websocket",
        server.url.replace("http://", "ws://")
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.expect("ws");
    let open = next_text(&mut ws).await.expect("open packet");
    assert!(open.starts_with('0'), "{open}");
    ws.send(Message::Text(
        format!("40{}", json!({"token": token})).into(),
    ))
    .await
    .expect("connect");
    let connected = next_text(&mut ws).await.expect("CONNECT reply");
    assert!(connected.starts_with("40"), "{connected}");
    ws
}

/// The next text frame (pings answered), or `None` once the server closed.
async fn next_text(ws: &mut Ws) -> Option<String> {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .expect("the server answers or closes within 5 s");
        match message {
            Some(Ok(Message::Text(t))) if t.as_str() == "2" => {
                let _ = ws.send(Message::Text("3".into())).await;
            }
            Some(Ok(Message::Text(t))) => return Some(t.to_string()),
            Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return None,
            Some(Ok(_)) => {}
        }
    }
}

/// Sends an event with ack id `id`; returns the ack's first argument, or
/// `None` when the server closed the connection instead.
async fn emit(ws: &mut Ws, id: u32, args: Value) -> Option<Value> {
    ws.send(Message::Text(format!("42{id}{args}").into()))
        .await
        .ok()?;
    loop {
        let text = next_text(ws).await?;
        if let Some(rest) = text.strip_prefix(&format!("43{id}")) {
            let args: Value = serde_json::from_str(rest).expect("ack JSON");
            return Some(args[0].clone());
        }
    }
}

fn error_code(ack: &Value) -> &str {
    assert_eq!(ack["ok"], false, "{ack}");
    ack["error"]["code"].as_str().expect("error code")
}

/// A real room on the same server; `check` proves it still relays.
struct GoodRoom {
    a: LiveClient,
    b_events: tokio::sync::mpsc::Receiver<LiveEvent>,
    _b: LiveClient,
    b_peer: String,
}

impl GoodRoom {
    async fn check(&mut self, label: &str) {
        self.a
            .signal(&self.b_peer, json!({"type": "candidate", "candidate": {"candidate": label, "sdpMid": "0", "sdpMLineIndex": 0}}))
            .await
            .unwrap_or_else(|e| panic!("the good room relays ({label}): {e}"));
        loop {
            let event = tokio::time::timeout(Duration::from_secs(5), self.b_events.recv())
                .await
                .expect("the signal arrives")
                .expect("open");
            if let LiveEvent::Signal(s) = event {
                if s.data["candidate"]["candidate"] == label {
                    return;
                }
            }
        }
    }
}

#[tokio::test]
async fn malformed_and_hostile_signaling_gets_errors_or_a_clean_close_and_harms_no_room() {
    let server = TestServer::start_default();
    let http = Http::new(&server);
    let (demo, code) = http.demo_code().await;
    let (a, _a_events) = LiveClient::connect(&server.url, &demo.mentor, ClientOptions::default())
        .await
        .expect("a");
    let (b, b_events) = LiveClient::connect(&server.url, &demo.learner, ClientOptions::default())
        .await
        .expect("b");
    a.join(&code).await.expect("a joins");
    let b_peer = b.join(&code).await.expect("b joins").peer_id;
    let mut room = GoodRoom {
        a,
        b_events,
        _b: b,
        b_peer: b_peer.clone(),
    };
    room.check("before").await;

    // An outsider: a valid account that is not in the session.
    let (outsider, _) = http.register("outsider@example.com", "learner").await;

    // Payloads of the wrong shape get the contract's error acks.
    let mut ws = raw(&server, &outsider).await;
    for (n, args) in [
        json!(["live:join", 12345]),
        json!(["live:join", {}]),
        json!(["live:join", {"code": "x".repeat(10_000)}]),
        json!(["live:join", {"code": ["ABCD", "EFGH"]}]),
        json!(["live:join", null]),
    ]
    .into_iter()
    .enumerate()
    {
        let ack = emit(&mut ws, n as u32, args.clone())
            .await
            .expect("an ack, not a close");
        // Not an object with a code string: `invalid_input`; a string that is
        // no code: `malformed_code`. Both stable codes with a message.
        let code = error_code(&ack);
        assert!(
            code == "invalid_input" || code == "malformed_code",
            "{args}: {ack}"
        );
        assert!(
            !ack["error"]["message"].as_str().unwrap_or("").is_empty(),
            "{ack}"
        );
    }
    // A real code of someone else's session: refused; no relaying without a room.
    let ack = emit(&mut ws, 10, json!(["live:join", {"code": code}]))
        .await
        .expect("ack");
    assert_eq!(error_code(&ack), "not_participant");
    let ack = emit(
        &mut ws,
        11,
        json!(["live:signal", {"to": b_peer, "data": {"type": "offer", "sdp": "v=0"}}]),
    )
    .await
    .expect("ack");
    assert_eq!(
        error_code(&ack),
        "not_joined",
        "an outsider cannot relay into a room"
    );
    let ack = emit(&mut ws, 12, json!(["live:signal", "nonsense"]))
        .await
        .expect("ack");
    assert_eq!(ack["ok"], false, "{ack}");
    room.check("after bad payloads").await;

    // Protocol garbage: the server closes that connection, nothing else.
    for garbage in [
        "xyz",
        "4",
        "42[",
        "42{\"a\":1}",
        "49[\"live:join\"]",
        "4-1[\"live:join\",{}]",
        "451-[\"live:join\",{\"_placeholder\":true,\"num\":7}]",
        "42[\"live:join\",{\"code\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}]",
    ] {
        let mut ws = raw(&server, &outsider).await;
        ws.send(Message::Text(garbage.into())).await.expect("send");
        // Either closed, or still answering pings with no effect: both clean.
        let _ = tokio::time::timeout(Duration::from_millis(500), next_text(&mut ws)).await;
    }
    room.check("after garbage").await;

    // Oversized: 1 MB in one frame, above the 128 KiB limit: closed.
    let mut ws = raw(&server, &outsider).await;
    let huge = format!(
        "42[\"live:signal\",{{\"to\":\"x\",\"data\":\"{}\"}}]",
        "a".repeat(1 << 20)
    );
    let _ = ws.send(Message::Text(huge.into())).await;
    assert!(
        next_text(&mut ws).await.is_none(),
        "an oversized frame closes the connection"
    );
    // Binary junk where text is expected.
    let mut ws = raw(&server, &outsider).await;
    let _ = ws.send(Message::Binary(vec![0xff; 4096].into())).await;
    let _ = tokio::time::timeout(Duration::from_millis(500), next_text(&mut ws)).await;
    // No token at all.
    let url = format!(
        "{}/socket.io/?EIO=4&transport=websocket",
        server.url.replace("http://", "ws://")
    );
    let (mut anon, _) = tokio_tungstenite::connect_async(url).await.expect("ws");
    next_text(&mut anon).await.expect("open");
    anon.send(Message::Text("40{}".into())).await.expect("send");
    let refused = next_text(&mut anon).await.expect("CONNECT_ERROR");
    assert!(
        refused.starts_with("44") && refused.contains("unauthorized"),
        "{refused}"
    );

    room.check("after oversized and binary junk").await;
    // The server is still healthy for everyone.
    assert_eq!(
        http.get("/api/auth/me", Some(&demo.mentor)).await.status,
        200
    );
}

#[tokio::test]
async fn a_signal_flood_is_refused_per_socket_and_the_partner_still_hears_the_call() {
    let server = TestServer::start_default();
    let http = Http::new(&server);
    let (demo, code) = http.demo_code().await;
    let (partner, mut partner_events) =
        LiveClient::connect(&server.url, &demo.learner, ClientOptions::default())
            .await
            .expect("partner");
    let partner_peer = partner.join(&code).await.expect("partner joins").peer_id;
    let mut flooder = raw(&server, &demo.mentor).await;
    let joined = emit(&mut flooder, 1, json!(["live:join", {"code": code}]))
        .await
        .expect("join ack");
    assert_eq!(joined["ok"], true, "{joined}");

    // Big signals: 100 KiB each, as fast as the socket takes them.
    let big = "x".repeat(100 * 1024);
    let mut refused = 0;
    let mut passed = 0;
    for n in 0..40u32 {
        let ack = emit(
            &mut flooder,
            100 + n,
            json!(["live:signal", {"to": partner_peer, "data": {"type": "offer", "sdp": big}}]),
        )
        .await
        .expect("an ack");
        if ack["ok"] == true {
            passed += 1;
        } else {
            assert_eq!(error_code(&ack), "rate_limited", "{ack}");
            refused += 1;
        }
    }
    println!("100 KiB signals: {passed} relayed, {refused} refused");
    assert!(passed <= 8, "about 512 KiB at once: {passed} relayed");
    assert!(refused >= 30, "{refused} refused");

    // Many small ones: a burst of 200, then refused.
    let mut small_refused = 0;
    for n in 0..300u32 {
        let ack = emit(
            &mut flooder,
            1000 + n,
            json!(["live:signal", {"to": partner_peer, "data": {"type": "candidate", "n": n}}]),
        )
        .await
        .expect("an ack");
        if ack["ok"] != true {
            assert_eq!(error_code(&ack), "rate_limited", "{ack}");
            small_refused += 1;
        }
    }
    assert!(small_refused >= 80, "{small_refused} of 300 refused");

    // The partner's socket is alive and hears a signal sent after the flood.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let ack = emit(
        &mut flooder,
        5000,
        json!(["live:signal", {"to": partner_peer, "data": {"type": "candidate", "after": true}}]),
    )
    .await
    .expect("an ack");
    assert_eq!(ack["ok"], true, "the budget refills: {ack}");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let event = tokio::time::timeout_at(deadline.into(), partner_events.recv())
            .await
            .expect("the last signal arrives")
            .expect("open");
        if let LiveEvent::Signal(s) = event {
            if s.data["after"] == true {
                break;
            }
        }
    }
}
