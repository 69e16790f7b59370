//! Benchmark, not a test (`bash scripts/bench-analytics.sh`): what call
//! analytics cost the server. The time and server CPU of a call report, and
//! `GET /api/analytics/me` for a user with 10,000 calls, on SQLite (and on
//! PostgreSQL when run with `MENTORLIVE_TEST_CLUSTER=1`). Figures, printed.

use mentorlive_testkit::{Http, ServerOptions, TestServer};
use serde_json::{json, Value};
use std::time::Instant;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(") ")
        .map(|(_, rest)| rest.split(' ').collect())
        .unwrap_or_default();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[(((p / 100.0) * sorted.len() as f64) as usize).min(sorted.len() - 1)]
}

fn report(peer: &str, joined: OffsetDateTime, connect_ms: i64) -> Value {
    let at = |t: OffsetDateTime| t.format(&Rfc3339).expect("format");
    json!({
        "peerId": peer, "client": "cli", "clientVersion": "0.3.0",
        "joinedAt": at(joined),
        "connectedAt": at(joined + time::Duration::milliseconds(connect_ms)),
        "endedAt": at(joined + time::Duration::minutes(30)),
        "endReason": "hangup", "candidateType": "host", "reconnects": 0,
        "rttMs": {"p50": 20.0, "p95": 40.0}, "lossPercent": 0.3, "jitterMs": 2.0,
        "video": {"framesSent": 54000, "framesReceived": 53900, "freezes": 1, "freezeSeconds": 0.3, "kbpsSent": 800.0, "kbpsReceived": 790.0},
        "audio": {"packetsSent": 90000, "packetsReceived": 89900, "concealedSeconds": 0.1},
        "mos": 4.3, "screenShareSeconds": 60.0, "recorded": false
    })
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "a benchmark: scripts/bench-analytics.sh"]
async fn bench_call_reports_and_analytics() {
    // On a cluster the server CPU is one node's of two (behind HAProxy).
    let engine = if std::env::var_os("MENTORLIVE_TEST_CLUSTER").is_some() {
        "PostgreSQL (two nodes; CPU of one)"
    } else {
        "SQLite"
    };
    let server = TestServer::start(ServerOptions {
        rate_limit_factor: Some(0.0),
        ..ServerOptions::default()
    });
    let http = Http::new(&server);
    let demo = http.demo().await;
    let session = demo.session_id.clone();
    sqlx::any::install_default_drivers();
    let db = sqlx::AnyPool::connect(&server.database_url())
        .await
        .expect("the server's database");
    let user: String =
        sqlx::query_scalar("SELECT id FROM users WHERE email = 'mentor@example.com'")
            .fetch_one(&db)
            .await
            .expect("mentor");

    // 10,000 calls over the last 80 days, as the server would have stored
    // them (each with its `joined` event), written straight to the database.
    let now = OffsetDateTime::now_utc();
    let calls = 10_000i64;
    let mut tx = db.begin().await.expect("tx");
    for i in 0..calls {
        let peer = format!("seed{i:05}");
        let joined = now - time::Duration::minutes(80 * 24 * 60 * i / calls + 60);
        let body = report(&peer, joined, 150 + (i * 37) % 900);
        let ms = (joined.unix_timestamp_nanos() / 1_000_000) as i64;
        sqlx::query(
            "INSERT INTO call_reports (id, session_id, user_id, peer_id, client, joined_at_ms, connected_at_ms, \
             ended_at_ms, end_reason, candidate_type, rtt_p50_ms, loss_percent, freezes, mos, \
             screen_share_seconds, recorded, stars, body, received_at_ms) \
             VALUES ($1, $2, $3, $4, 'cli', $5, $6, $7, 'hangup', 'host', 20.0, 0.3, 1, 4.3, 60.0, 0, NULL, $8, $9)",
        )
        .bind(format!("r{i}"))
        .bind(&session)
        .bind(&user)
        .bind(&peer)
        .bind(ms)
        .bind(ms + 150 + (i * 37) % 900)
        .bind(ms + 1_800_000)
        .bind(body.to_string())
        .bind(ms + 1_800_000)
        .execute(&mut *tx)
        .await
        .expect("seed a report");
    }
    for i in 0..200 {
        sqlx::query("INSERT INTO call_events (id, session_id, peer_id, user_id, kind, at_ms) VALUES ($1, $2, $3, $4, 'joined', 0)")
            .bind(format!("e{i}"))
            .bind(&session)
            .bind(format!("bench{i:03}"))
            .bind(&user)
            .execute(&mut *tx)
            .await
            .expect("seed an event");
    }
    tx.commit().await.expect("commit");

    let pid = server.pid().expect("pid");
    // GET /api/analytics/me over those 10,000 calls.
    let mut ms = Vec::new();
    for _ in 0..5 {
        http.get(
            "/api/analytics/me?from=2026-01-01T00:00:00Z",
            Some(&demo.mentor),
        )
        .await;
    }
    let cpu = cpu_seconds(pid);
    for _ in 0..50 {
        let started = Instant::now();
        let reply = http.get("/api/analytics/me", Some(&demo.mentor)).await;
        ms.push(started.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(reply.status, 200);
        assert!(
            reply.body["calls"].as_u64() > Some(9000),
            "{:?}",
            reply.body["calls"]
        );
    }
    let me_cpu = (cpu_seconds(pid) - cpu) / 50.0 * 1000.0;
    ms.sort_by(f64::total_cmp);
    println!(
        "analytics | {engine} | GET /api/analytics/me, 10,000 calls (90 days: {} of them) | p50 {:.1} ms, p95 {:.1} ms | server CPU {me_cpu:.1} ms a request",
        http.get("/api/analytics/me", Some(&demo.mentor)).await.body["calls"],
        percentile(&ms, 50.0),
        percentile(&ms, 95.0)
    );

    // A report: 200 new ones, then the same peer again (a replacement).
    let path = format!("/api/sessions/{session}/call-reports");
    let mut ms = Vec::new();
    let cpu = cpu_seconds(pid);
    for i in 0..200 {
        let body = report(&format!("bench{i:03}"), now - time::Duration::hours(2), 300);
        let started = Instant::now();
        let reply = http.post(&path, Some(&demo.mentor), body).await;
        ms.push(started.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(reply.status, 201, "{:?}", reply.body);
    }
    let report_cpu = (cpu_seconds(pid) - cpu) / 200.0 * 1000.0;
    ms.sort_by(f64::total_cmp);
    println!(
        "analytics | {engine} | POST a call report (new) | p50 {:.1} ms, p95 {:.1} ms | server CPU {report_cpu:.2} ms a report",
        percentile(&ms, 50.0),
        percentile(&ms, 95.0)
    );
    let mut ms = Vec::new();
    for _ in 0..100 {
        let body = report("bench000", now - time::Duration::hours(2), 300);
        let started = Instant::now();
        let reply = http.post(&path, Some(&demo.mentor), body).await;
        ms.push(started.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(reply.status, 200, "{:?}", reply.body);
    }
    ms.sort_by(f64::total_cmp);
    println!(
        "analytics | {engine} | POST the same peer's report again (replaces) | p50 {:.1} ms, p95 {:.1} ms",
        percentile(&ms, 50.0),
        percentile(&ms, 95.0)
    );
}
