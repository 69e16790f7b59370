//! Our Rust Socket.IO client against the official Node `socket.io` server.

use mentorlive_signaling::connection::CloseReason;
use mentorlive_signaling::packet::placeholder;
use mentorlive_signaling::{Backoff, ClientEvent, ClientOptions, ConnectionState, SocketClient};
use mentorlive_testkit::NodeScript;
use serde_json::{json, Value};
use std::time::Duration;
use tokio::sync::mpsc::Receiver;

fn options(token: &str) -> ClientOptions {
    ClientOptions {
        auth: json!({ "token": token }),
        backoff: Backoff {
            initial: Duration::from_millis(100),
            max: Duration::from_millis(500),
            ..Backoff::default()
        },
        ..ClientOptions::default()
    }
}

async fn next_event(events: &mut Receiver<ClientEvent>, name: &str) -> (Vec<Value>, Option<u64>) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let event = tokio::time::timeout_at(deadline, events.recv())
            .await
            .unwrap_or_else(|_| panic!("no {name} within 5 s"))
            .expect("open");
        if let ClientEvent::Event {
            name: got,
            args,
            ack_id,
            ..
        } = event
        {
            if got == name {
                return (args, ack_id);
            }
        }
    }
}

#[tokio::test]
async fn talks_to_the_official_server_events_acks_binary_and_server_acks() {
    let node = NodeScript::start("echo-server.js", &[], &[]);
    let url = format!("http://127.0.0.1:{}", node.port());
    let (client, mut events) = SocketClient::connect(&url, options("good")).expect("url");
    client.wait_connected().await.expect("connected");
    assert_eq!(
        next_event(&mut events, "hello").await.0,
        vec![json!({"recovered": false})]
    );

    let args = vec![json!(1), json!("two"), json!({"three": [3, null, true]})];
    let echoed = client
        .emit_with_ack("echo", args.clone(), Duration::from_secs(2))
        .await
        .expect("ack");
    assert_eq!(echoed, args);

    let (ack_args, ack_bins) = client
        .emit_binary_with_ack(
            "binary",
            vec![placeholder(0)],
            vec![vec![1, 2, 3]],
            Duration::from_secs(2),
        )
        .await
        .expect("binary ack");
    assert_eq!(ack_args, vec![placeholder(0)]);
    assert_eq!(ack_bins, vec![vec![1, 2, 3, 255]]);

    // The server asks us and waits for our ack.
    client.emit("ask-client", vec![]).await.expect("emit");
    let (question, ack_id) = next_event(&mut events, "question").await;
    assert_eq!(question, vec![json!(41)]);
    client.ack(ack_id.expect("the server wants an ack"), vec![json!(42)]);
    assert_eq!(next_event(&mut events, "answer").await.0, vec![json!(42)]);

    // 200 events in order, each with exactly its one argument: the recovery
    // offset the server appends is taken off.
    client.emit("push", vec![json!(200)]).await.expect("emit");
    for i in 0..200 {
        assert_eq!(next_event(&mut events, "pushed").await.0, vec![json!(i)]);
    }
    client.close();
}

#[tokio::test]
async fn a_refused_connect_fails_with_the_servers_message_and_does_not_retry() {
    let node = NodeScript::start("echo-server.js", &[], &[]);
    let (client, _events) =
        SocketClient::connect(&format!("http://127.0.0.1:{}", node.port()), options("bad"))
            .expect("url");
    assert_eq!(client.wait_connected().await, Err("unauthorized".into()));
    assert_eq!(
        *client.state().borrow(),
        ConnectionState::Failed {
            reason: "unauthorized".into()
        }
    );
}

#[tokio::test]
async fn a_silent_server_is_noticed_by_its_missing_pings_and_the_session_is_recovered() {
    let node = NodeScript::start("echo-server.js", &[], &[]);
    let (client, mut events) = SocketClient::connect(
        &format!("http://127.0.0.1:{}", node.port()),
        options("good"),
    )
    .expect("url");
    client.wait_connected().await.expect("connected");
    next_event(&mut events, "hello").await;

    // Freeze the server: its socket stays open, but the pings stop. With
    // pingInterval 300 + pingTimeout 200 the client must notice in ~0.5 s.
    node.pause();
    let started = std::time::Instant::now();
    let mut state = client.state();
    tokio::time::timeout(
        Duration::from_secs(3),
        state.wait_for(|s| matches!(s, ConnectionState::Reconnecting { .. })),
    )
    .await
    .expect("noticed within 3 s")
    .expect("state");
    let noticed = started.elapsed();
    assert!(
        noticed >= Duration::from_millis(150),
        "not before the ping window: {noticed:?}"
    );
    let disconnected = loop {
        match events.recv().await.expect("open") {
            ClientEvent::Disconnected { reason } => break reason,
            _ => continue,
        }
    };
    assert_eq!(disconnected, CloseReason::PingTimeout);

    // Thaw it: the client reconnects by itself, and the server recovers the
    // session from the pid and offset we kept.
    node.resume();
    tokio::time::timeout(
        Duration::from_secs(10),
        state.wait_for(|s| *s == ConnectionState::Connected),
    )
    .await
    .expect("reconnected within 10 s")
    .expect("state");
    assert_eq!(
        next_event(&mut events, "hello").await.0,
        vec![json!({"recovered": true})]
    );
    let echoed = client
        .emit_with_ack("echo", vec![json!("again")], Duration::from_secs(2))
        .await
        .expect("ack");
    assert_eq!(echoed, vec![json!("again")]);
}
