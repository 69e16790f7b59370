//! The desktop app's Rust signaling client in live rooms on the reference
//! server: with another Rust client, with the official browser client, and
//! across a server crash.

use mentorlive_signaling::{ConnectionState, LiveClient, LiveEvent};
use mentorlive_testkit::{Http, NodeScript, ServerOptions, TestServer};
use serde_json::{json, Value};
use std::time::Duration;
use tokio::sync::mpsc::Receiver;

use mentorlive_testkit::reports::options;

async fn next<T>(
    events: &mut Receiver<LiveEvent>,
    what: &str,
    pick: impl Fn(LiveEvent) -> Option<T>,
) -> T {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let event = tokio::time::timeout_at(deadline, events.recv())
            .await
            .unwrap_or_else(|_| panic!("no {what} within 10 s"))
            .expect("events open");
        if let Some(found) = pick(event) {
            return found;
        }
    }
}

#[tokio::test]
async fn a_rust_peer_and_a_browser_client_meet_and_exchange_signals() {
    let server = TestServer::start_default();
    let http = Http::new(&server);
    let demo = http.demo().await;
    let code = http.generate(&demo.mentor, &demo.session_id).await.body["code"]
        .as_str()
        .expect("code")
        .to_owned();

    let (mentor, mut events) = LiveClient::connect(&server.url, &demo.mentor, options())
        .await
        .expect("connect");
    let joined = mentor.join(&code.to_lowercase()).await.expect("join");
    assert!(joined.peers.is_empty());
    assert!(joined.polite);

    // The learner is the web app: the official socket.io-client in Node.
    let browser = NodeScript::start(
        "contract-peer.js",
        &[&server.url, &demo.learner, &code],
        &[],
    );
    let first: Value = serde_json::from_str(&browser.first_line).expect("json line");
    assert_eq!(first["kind"], "joined");
    assert_eq!(first["payload"]["ok"], true);
    assert_eq!(
        first["payload"]["peers"][0]["peerId"],
        joined.peer_id.as_str()
    );
    let learner_peer = first["payload"]["peerId"]
        .as_str()
        .expect("peer id")
        .to_owned();

    let arrived = next(&mut events, "peer-joined", |e| match e {
        LiveEvent::PeerJoined(p) => Some(p),
        _ => None,
    })
    .await;
    assert_eq!(arrived.peer_id, learner_peer);
    assert_eq!(arrived.user.name, "Leo Learner");

    mentor
        .signal(&learner_peer, json!({"type": "offer", "sdp": "v=0 rust"}))
        .await
        .expect("relayed");
    let answer = next(&mut events, "answer", |e| match e {
        LiveEvent::Signal(s) => Some(s),
        _ => None,
    })
    .await;
    assert_eq!(answer.from, learner_peer);
    assert_eq!(
        answer.data,
        json!({"type": "answer", "sdp": "answer to v=0 rust"})
    );

    let unknown = mentor
        .signal("nobody", json!({"type": "offer", "sdp": ""}))
        .await
        .expect_err("unknown peer");
    assert_eq!(unknown.code(), "unknown_peer");
    drop(browser);
    // The browser's socket dropped without leaving: after the grace period
    // (15 s by default) the mentor would hear "disconnected"; leaving is ours.
    mentor.leave().await.expect("leave");
    assert_eq!(
        mentor
            .signal(&learner_peer, json!({"type": "offer", "sdp": ""}))
            .await
            .expect_err("left")
            .code(),
        "not_joined"
    );
}

#[tokio::test]
async fn errors_keep_the_contracts_codes() {
    let server = TestServer::start_default();
    let http = Http::new(&server);
    let demo = http.demo().await;
    let refused = LiveClient::connect(&server.url, "not-a-token", options())
        .await
        .err()
        .expect("refused");
    assert_eq!(refused.code(), "unauthorized");

    let (client, _events) = LiveClient::connect(&server.url, &demo.mentor, options())
        .await
        .expect("connect");
    assert_eq!(
        client.join("ABC").await.expect_err("malformed").code(),
        "malformed_code"
    );
    assert_eq!(
        client.join("ABCDEFGH").await.expect_err("unknown").code(),
        "unknown_code"
    );
    assert_eq!(
        client
            .signal("x", json!({}))
            .await
            .expect_err("not joined")
            .code(),
        "not_joined"
    );
}

#[tokio::test]
async fn after_a_server_crash_both_clients_reconnect_and_rejoin_by_themselves() {
    let mut server = TestServer::start(ServerOptions::default());
    let http = Http::new(&server);
    let demo = http.demo().await;
    let code = http.generate(&demo.mentor, &demo.session_id).await.body["code"]
        .as_str()
        .expect("code")
        .to_owned();

    let (mentor, mut mentor_events) = LiveClient::connect(&server.url, &demo.mentor, options())
        .await
        .expect("connect");
    let (learner, mut learner_events) = LiveClient::connect(&server.url, &demo.learner, options())
        .await
        .expect("connect");
    mentor.join(&code).await.expect("join");
    learner.join(&code).await.expect("join");

    server.kill();
    let reconnecting = next(&mut mentor_events, "reconnecting", |e| match e {
        LiveEvent::Connection(state @ ConnectionState::Reconnecting { .. }) => Some(state),
        _ => None,
    })
    .await;
    assert!(matches!(
        reconnecting,
        ConnectionState::Reconnecting { attempt: 1, .. }
    ));
    server.restart();

    // Both come back into the room without anyone calling join again. The
    // rooms died with the process, so these are fresh joins with new ids.
    let mentor_back = next(&mut mentor_events, "rejoined", |e| match e {
        LiveEvent::Rejoined(j) => Some(j),
        LiveEvent::RejoinFailed(err) => panic!("mentor rejoin failed: {err:?}"),
        _ => None,
    })
    .await;
    let learner_back = next(&mut learner_events, "rejoined", |e| match e {
        LiveEvent::Rejoined(j) => Some(j),
        LiveEvent::RejoinFailed(err) => panic!("learner rejoin failed: {err:?}"),
        _ => None,
    })
    .await;
    // Whoever came back second sees the other and can signal it.
    let (second, first_peer, events_of_first) = if learner_back.peers.is_empty() {
        (&mentor, learner_back.peer_id.clone(), &mut learner_events)
    } else {
        (&learner, mentor_back.peer_id.clone(), &mut mentor_events)
    };
    second
        .signal(
            &first_peer,
            json!({"type": "offer", "sdp": "after restart"}),
        )
        .await
        .expect("relay");
    let got = next(events_of_first, "signal", |e| match e {
        LiveEvent::Signal(s) => Some(s),
        _ => None,
    })
    .await;
    assert_eq!(got.data["sdp"], "after restart");
}

#[tokio::test]
async fn signing_out_closes_the_tokens_sockets_and_they_join_nothing() {
    let server = TestServer::start_default();
    let http = Http::new(&server);
    let (demo, code) = http.demo_code().await;
    let (mentor, _mentor_events) = LiveClient::connect(&server.url, &demo.mentor, options())
        .await
        .expect("mentor");
    mentor.join(&code).await.expect("mentor joins");
    let (learner, mut learner_events) = LiveClient::connect(&server.url, &demo.learner, options())
        .await
        .expect("learner");

    // The learner signs out elsewhere (another tab, the app): the socket
    // their token opened is closed by the server, on whichever node.
    assert_eq!(
        http.post("/api/auth/logout", Some(&demo.learner), json!({}))
            .await
            .status,
        204
    );
    next(&mut learner_events, "the socket closed", |e| match e {
        LiveEvent::Connection(mentorlive_signaling::ConnectionState::Reconnecting { .. }) => {
            Some(())
        }
        _ => None,
    })
    .await;
    // It cannot come back with that token, nor join a room it knows.
    let refused = learner.join(&code).await.expect_err("signed out");
    assert!(
        ["unauthorized", "not_connected", "timeout"].contains(&refused.code()),
        "{refused:?}"
    );
    assert!(LiveClient::connect(&server.url, &demo.learner, options())
        .await
        .is_err());
}
