//! Operator metrics, scraped by Debian's real Prometheus server: a node with
//! `--metrics-addr` under a short load (sign-ins, refusals, a code, two
//! peers joining, a call report), and Prometheus's query API answering with
//! the series an operator's dashboard (deploy/grafana) asks for. And no
//! label names a user, a session, a code or an address.

use mentorlive_signaling::{ClientOptions, LiveClient};
use mentorlive_testkit::ports::free_port;
use mentorlive_testkit::{Http, ServerOptions, TestServer};
use serde_json::{json, Value};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

struct Prometheus {
    child: Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Debian's Prometheus, scraping `target` every second.
fn prometheus(target: &str) -> Prometheus {
    let dir = tempfile::tempdir().expect("tmp");
    let config = dir.path().join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n\
             scrape_configs:\n  - job_name: mentorlive\n    static_configs:\n      - targets: ['{target}']\n"
        ),
    )
    .expect("config");
    let port = free_port();
    let child = Command::new("/usr/bin/prometheus")
        .arg(format!("--config.file={}", config.display()))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.path().join("data").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("prometheus (the Debian package)");
    Prometheus {
        child,
        url: format!("http://127.0.0.1:{port}"),
        _dir: dir,
    }
}

/// The instant vector Prometheus answers for `query` (empty until scraped).
async fn query(prometheus: &Prometheus, query: &str) -> Vec<Value> {
    let reply = reqwest::Client::new()
        .get(format!("{}/api/v1/query", prometheus.url))
        .query(&[("query", query)])
        .send()
        .await;
    let Ok(reply) = reply else { return Vec::new() };
    let body: Value = reply.json().await.unwrap_or(Value::Null);
    body["data"]["result"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// Waits until `query` answers with a sample whose value passes `ok`.
async fn eventually(prometheus: &Prometheus, q: &str, ok: impl Fn(f64) -> bool) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let result = query(prometheus, q).await;
        let value = |s: &Value| s["value"][1].as_str().and_then(|v| v.parse::<f64>().ok());
        if result.iter().filter_map(value).any(&ok) {
            return result;
        }
        assert!(
            Instant::now() < deadline,
            "Prometheus never had {q}: {result:?}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

#[tokio::test]
async fn prometheus_scrapes_a_node_and_its_query_api_has_the_series() {
    if std::env::var_os("MENTORLIVE_TEST_CLUSTER").is_some() {
        return; // one node's own figures; the cluster run covers rooms and REST
    }
    let metrics_port = free_port();
    let server = TestServer::start(ServerOptions {
        extra_args: vec!["--metrics-addr".into(), format!("127.0.0.1:{metrics_port}")],
        ..ServerOptions::default()
    });
    let prometheus = prometheus(&format!("127.0.0.1:{metrics_port}"));
    let http = Http::new(&server);

    // A short load run.
    let (demo, code) = http.demo_code().await;
    for _ in 0..5 {
        assert_eq!(
            http.get("/api/sessions", Some(&demo.mentor)).await.status,
            200
        );
    }
    http.get("/api/sessions", None)
        .await
        .expect(401, "unauthorized");
    let mut limited = false;
    for _ in 0..15 {
        let reply = http
            .post(
                "/api/auth/login",
                None,
                json!({"email": "mentor@example.com", "password": "wrong password"}),
            )
            .await;
        limited |= reply.status == 429;
    }
    assert!(limited, "bad logins meet the limit");
    let (mentor, _m) = LiveClient::connect(&server.url, &demo.mentor, ClientOptions::default())
        .await
        .expect("connect");
    let (learner, _l) = LiveClient::connect(&server.url, &demo.learner, ClientOptions::default())
        .await
        .expect("connect");
    let joined = mentor.join(&code).await.expect("join");
    learner.join(&code).await.expect("join");
    let now = OffsetDateTime::now_utc();
    let at = |t: OffsetDateTime| t.format(&Rfc3339).expect("present");
    let report = json!({
        "peerId": joined.peer_id, "client": "cli", "clientVersion": "0.3.0",
        "joinedAt": at(now - time::Duration::minutes(3)),
        "connectedAt": at(now - time::Duration::minutes(3) + time::Duration::milliseconds(420)),
        "endedAt": at(now), "endReason": "hangup", "candidateType": "relay", "reconnects": 0,
        "rttMs": {"p50": 20.0, "p95": 40.0}, "lossPercent": 0.0, "jitterMs": 1.0,
        "video": {"framesSent": 5000, "framesReceived": 5000, "freezes": 0, "freezeSeconds": 0.0, "kbpsSent": 800.0, "kbpsReceived": 800.0},
        "audio": {"packetsSent": 9000, "packetsReceived": 9000, "concealedSeconds": 0.0},
        "mos": 4.3, "screenShareSeconds": 0.0, "recorded": false
    });
    let path = format!("/api/sessions/{}/call-reports", demo.session_id);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let reply = http.post(&path, Some(&demo.mentor), report.clone()).await;
        if reply.status == 201 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the report was refused: {:?}",
            reply.body
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // What Prometheus saw.
    eventually(
        &prometheus,
        r#"http_requests_total{route="/api/sessions",status="200"}"#,
        |v| v >= 5.0,
    )
    .await;
    eventually(
        &prometheus,
        r#"http_requests_total{route="/api/sessions",status="401"}"#,
        |v| v >= 1.0,
    )
    .await;
    eventually(
        &prometheus,
        r#"http_request_duration_seconds_count{route="/api/sessions/{id}/call-reports"}"#,
        |v| v >= 1.0,
    )
    .await;
    eventually(&prometheus, r#"live_joins_total{result="ok"}"#, |v| {
        v >= 2.0
    })
    .await;
    eventually(
        &prometheus,
        r#"rate_limited_total{limit="login_failures"}"#,
        |v| v >= 1.0,
    )
    .await;
    eventually(&prometheus, "signaling_sockets_connected", |v| v >= 2.0).await;
    eventually(&prometheus, "live_rooms", |v| v >= 1.0).await;
    eventually(
        &prometheus,
        r#"call_reports_total{candidate_type="relay"}"#,
        |v| v >= 1.0,
    )
    .await;
    eventually(
        &prometheus,
        r#"call_end_reasons_total{reason="hangup"}"#,
        |v| v >= 1.0,
    )
    .await;
    // 420 ms to connect lands in the 0.5 s bucket and not the 0.25 s one.
    eventually(
        &prometheus,
        r#"call_time_to_connect_seconds_bucket{le="0.5"}"#,
        |v| v >= 1.0,
    )
    .await;
    eventually(
        &prometheus,
        r#"call_time_to_connect_seconds_bucket{le="0.25"}"#,
        |v| v == 0.0,
    )
    .await;
    eventually(&prometheus, "call_duration_seconds_count", |v| v >= 1.0).await;

    // Nothing in the exposition names a person, a session, a code or an address.
    let text = reqwest::get(format!("http://127.0.0.1:{metrics_port}/metrics"))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    let me = http.get("/api/auth/me", Some(&demo.mentor)).await.body;
    for secret in [
        demo.session_id.as_str(),
        code.as_str(),
        joined.peer_id.as_str(),
        me["id"].as_str().expect("present"),
        "mentor@example.com",
        "127.0.0.1",
    ] {
        assert!(!text.contains(secret), "{secret} in the metrics:\n{text}");
    }
    mentor.leave().await.ok();
    learner.leave().await.ok();
}

/// The reconnect loop, short, in CI (`scripts/soak-reconnect.sh` runs
/// 10,000 against a release server and prints the memory): one client
/// connects, joins, leaves and closes 300 times, and the server keeps
/// nothing of it: no socket, no room, no peer in its own gauges. A socket
/// or a room the server forgot to drop would stay in them. Rate limits
/// off, as in the soak: a person does not reconnect 300 times a minute.
#[tokio::test]
async fn a_client_that_reconnects_300_times_leaves_nothing_behind_on_the_server() {
    if std::env::var_os("MENTORLIVE_TEST_CLUSTER").is_some() {
        return; // one node's own gauges
    }
    let metrics_port = free_port();
    let server = TestServer::start(ServerOptions {
        extra_args: vec!["--metrics-addr".into(), format!("127.0.0.1:{metrics_port}")],
        rate_limit_factor: Some(0.0),
        ..ServerOptions::default()
    });
    let http = Http::new(&server);
    let (demo, code) = http.demo_code().await;
    let gauges = || async {
        let text = reqwest::get(format!("http://127.0.0.1:{metrics_port}/metrics"))
            .await
            .expect("metrics")
            .text()
            .await
            .expect("text");
        let read = |name: &str| {
            text.lines().find_map(|l| {
                l.strip_prefix(name)?
                    .strip_prefix(' ')?
                    .trim()
                    .parse::<f64>()
                    .ok()
            })
        };
        [
            read("signaling_sockets_connected"),
            read("live_rooms"),
            read("live_peers"),
        ]
    };
    let started = Instant::now();
    let mut peak = [0.0f64; 3];
    for round in 0..300 {
        let (client, events) =
            LiveClient::connect(&server.url, &demo.mentor, ClientOptions::default())
                .await
                .unwrap_or_else(|e| panic!("connect, round {round}: {e}"));
        client
            .join(&code)
            .await
            .unwrap_or_else(|e| panic!("join, round {round}: {e:?}"));
        if round % 100 == 0 {
            // In the room: the gauges see this client (else they prove nothing).
            for (p, g) in peak.iter_mut().zip(gauges().await) {
                *p = p.max(g.unwrap_or_default());
            }
        }
        client.leave().await.ok();
        client.close();
        drop(events);
    }
    println!(
        "300 reconnects in {:.1} s; in the room the gauges read {peak:?}",
        started.elapsed().as_secs_f64()
    );
    assert!(
        peak.iter().all(|g| *g >= 1.0),
        "a client in a room shows in the gauges: {peak:?}"
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let now = gauges().await;
        if now == [Some(0.0); 3] {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "sockets, rooms and peers all gone 10 s after the last close: {now:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
