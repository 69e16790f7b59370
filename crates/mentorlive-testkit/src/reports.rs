//! Call reports as a client sends them (the contract's `callReport`), and
//! the real room joins their peer ids come from.

use crate::{Http, TestServer};
use mentorlive_signaling::{Backoff, ClientOptions, LiveClient};
use serde_json::{json, Value};
use std::time::Duration;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Signaling that reconnects within a fraction of a second (tests wait on it).
pub fn options() -> ClientOptions {
    ClientOptions {
        backoff: Backoff {
            initial: Duration::from_millis(100),
            max: Duration::from_millis(400),
            ..Backoff::default()
        },
        ..ClientOptions::default()
    }
}

/// Joins the session's room as `token` and leaves: the peer id the room
/// gave, which a report must carry.
pub async fn a_peer_in_the_room(server: &TestServer, token: &str, code: &str) -> String {
    let (client, _events) = LiveClient::connect(&server.url, token, options())
        .await
        .expect("connect");
    let joined = client.join(code).await.expect("join");
    client.leave().await.expect("leave");
    joined.peer_id
}

pub fn at(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).expect("format")
}

/// A report of a call that started `ago` before now and lasted `minutes`,
/// connecting after `connect_ms` (or never).
pub fn report(peer_id: &str, ago: Duration, minutes: i64, connect_ms: Option<i64>) -> Value {
    let joined = OffsetDateTime::now_utc() - ago;
    let ended = joined + time::Duration::minutes(minutes);
    let mut body = json!({
        "peerId": peer_id,
        "client": "cli",
        "clientVersion": "0.3.0",
        "joinedAt": at(joined),
        "endedAt": at(ended),
        "endReason": "hangup",
        "candidateType": "host",
        "reconnects": 0,
        "rttMs": {"p50": 2.0, "p95": 5.0},
        "lossPercent": 0.5,
        "jitterMs": 3.0,
        "video": {"framesSent": 1000, "framesReceived": 990, "freezes": 2, "freezeSeconds": 0.5, "kbpsSent": 800.0, "kbpsReceived": 790.0},
        "audio": {"packetsSent": 3000, "packetsReceived": 2990, "concealedSeconds": 0.1},
        "mos": 4.2,
        "screenShareSeconds": 0.0,
        "recorded": false
    });
    match connect_ms {
        Some(ms) => body["connectedAt"] = json!(at(joined + time::Duration::milliseconds(ms))),
        None => body["candidateType"] = Value::Null,
    }
    body
}

/// Posts a report, waiting out the moment between a join and its event
/// being written (the server writes room events in the background).
pub async fn post_report(http: &Http, token: &str, session: &str, body: Value) -> crate::Reply {
    let path = format!("/api/sessions/{session}/call-reports");
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    loop {
        let reply = http.post(&path, Some(token), body.clone()).await;
        let not_yet = reply.status == 400
            && reply.body["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("peerId was never"));
        if !not_yet || std::time::Instant::now() > deadline {
            return reply;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The reports a `client` ("web", "desktop", "cli") of `token`'s user sent
/// for the session, as the server holds them.
pub async fn reports_of(http: &Http, token: &str, session: &str, client: &str) -> Vec<Value> {
    let me = http.get("/api/auth/me", Some(token)).await.body["id"].clone();
    let reply = http
        .get(&format!("/api/sessions/{session}/analytics"), Some(token))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.body["calls"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|c| c["reports"].as_array().cloned().unwrap_or_default())
        .filter(|r| r["userId"] == me && r["report"]["client"] == client)
        .map(|r| r["report"].clone())
        .collect()
}

/// The first such report, once the server has it (15 s at most).
pub async fn wait_for_report(http: &Http, token: &str, session: &str, client: &str) -> Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(found) = reports_of(http, token, session, client).await.pop() {
            return found;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no {client} report arrived"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}
