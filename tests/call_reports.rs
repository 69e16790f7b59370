//! Call reports and analytics (the contract's "Call reports and analytics
//! (REST)") against the real server on a real port: reports in, replaced by
//! peer, refused field by field, summed in the database (percentiles and
//! weeks included), a session's calls with both sides' reports, the server's
//! own events, and retention. The test command runs this file again with
//! every server two nodes on PostgreSQL and Redis (`MENTORLIVE_TEST_CLUSTER`),
//! so the aggregates are proved on both engines.

use mentorlive_testkit::reports::{a_peer_in_the_room, at, post_report, report};
use mentorlive_testkit::{Http, ServerOptions, TestServer};
use serde_json::{json, Value};
use std::time::Duration;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

const DAY: Duration = Duration::from_secs(86_400);

#[tokio::test]
async fn reports_are_stored_replaced_by_peer_and_summed_with_percentiles_and_weeks() {
    let server = TestServer::start_default();
    let http = Http::new(&server);
    let (demo, code) = http.demo_code().await;
    let session = &demo.session_id;

    // Six calls of the mentor's: five connected (100, 200, 300, 400 and
    // 1000 ms to connect, one relayed), one that never connected; four
    // yesterday, two eight days ago.
    let connects = [Some(100), Some(200), Some(300), Some(400), Some(1000), None];
    let mut peers = Vec::new();
    for _ in connects {
        peers.push(a_peer_in_the_room(&server, &demo.mentor, &code).await);
    }
    let mut ids = Vec::new();
    for (i, (peer, connect)) in peers.iter().zip(connects).enumerate() {
        // An hour apart: reports whose times overlap are one call.
        let hours = Duration::from_secs(3600 * (i as u64 % 4));
        let ago = if i < 4 { DAY + hours } else { 8 * DAY + hours };
        let mut body = report(peer, ago, 10, connect);
        if i == 3 {
            body["candidateType"] = json!("relay");
            body["screenShareSeconds"] = json!(90.0);
            body["recorded"] = json!(true);
            body["rating"] = json!({"stars": 4, "problems": ["audio"]});
        }
        let stored = post_report(&http, &demo.mentor, session, body).await;
        assert_eq!(stored.status, 201, "{:?}", stored.body);
        ids.push(stored.body["id"].as_str().expect("id").to_owned());
    }

    // The same peer again replaces its report: 200, the same id, new figures.
    let mut again = report(&peers[0], DAY, 20, Some(100));
    again["rating"] = json!({"stars": 2, "problems": ["video", "connection"]});
    let replaced = post_report(&http, &demo.mentor, session, again).await;
    assert_eq!(replaced.status, 200, "{:?}", replaced.body);
    assert_eq!(replaced.body["id"], ids[0]);

    let me = http.get("/api/analytics/me", Some(&demo.mentor)).await;
    assert_eq!(me.status, 200, "{:?}", me.body);
    let me = me.body;
    assert_eq!(me["calls"], 6, "{me}");
    // 20 (the replaced one) + 5 × 10 minutes.
    assert!(
        (me["minutes"].as_f64().expect("present") - 70.0).abs() < 0.01,
        "{me}"
    );
    assert!(
        (me["connectedShare"].as_f64().expect("present") - 5.0 / 6.0).abs() < 1e-9,
        "{me}"
    );
    // Nearest rank over 100, 200, 300, 400, 1000.
    assert_eq!(me["timeToConnectMs"]["p50"], 300.0, "{me}");
    assert_eq!(me["timeToConnectMs"]["p90"], 1000.0, "{me}");
    assert!(
        (me["relayedShare"].as_f64().expect("present") - 0.2).abs() < 1e-9,
        "{me}"
    );
    assert!(
        (me["quality"]["mos"].as_f64().expect("present") - 4.2).abs() < 1e-9,
        "{me}"
    );
    assert_eq!(me["quality"]["stars"], 3.0, "(4 + 2) / 2: {me}");
    assert_eq!(me["screenShareMinutes"], 1.5, "{me}");
    assert_eq!(me["callsWithScreenShare"], 1, "{me}");
    assert_eq!(me["recordedCalls"], 1, "{me}");
    let weeks = me["weeks"].as_array().expect("weeks");
    assert!(
        weeks.len() >= 13,
        "90 days of weeks, empty ones too: {}",
        weeks.len()
    );
    assert_eq!(
        weeks
            .iter()
            .map(|w| w["calls"].as_u64().expect("present"))
            .sum::<u64>(),
        6
    );
    let busy: Vec<&Value> = weeks
        .iter()
        .filter(|w| w["calls"].as_u64() > Some(0))
        .collect();
    assert!(!busy.is_empty() && busy.len() <= 3, "{busy:?}");
    for w in &weeks[..] {
        let start = OffsetDateTime::parse(w["weekStart"].as_str().expect("present"), &Rfc3339)
            .expect("present");
        assert_eq!(start.weekday(), time::Weekday::Monday, "{w}");
    }
    // A range that holds only yesterday's calls.
    let from = at(OffsetDateTime::now_utc() - 3 * DAY);
    let recent = http
        .get(
            &format!("/api/analytics/me?from={from}"),
            Some(&demo.mentor),
        )
        .await;
    assert_eq!(recent.body["calls"], 4, "{:?}", recent.body);
    // The learner has sent nothing: nothing is summed for them.
    let learner = http.get("/api/analytics/me", Some(&demo.learner)).await;
    assert_eq!(learner.body["calls"], 0, "{:?}", learner.body);
    assert_eq!(learner.body["connectedShare"], Value::Null);

    // The learner's side of the latest call: the session shows that call
    // with both reports, and the others alone.
    let learner_peer = a_peer_in_the_room(&server, &demo.learner, &code).await;
    let mut theirs = report(&learner_peer, DAY, 10, Some(150));
    theirs["client"] = json!("web");
    let stored = post_report(&http, &demo.learner, session, theirs).await;
    assert_eq!(stored.status, 201, "{:?}", stored.body);
    let calls = http
        .get(
            &format!("/api/sessions/{session}/analytics"),
            Some(&demo.learner),
        )
        .await;
    assert_eq!(calls.status, 200, "{:?}", calls.body);
    let calls = calls.body["calls"].as_array().expect("calls").clone();
    let both: Vec<&Value> = calls
        .iter()
        .filter(|c| c["reports"].as_array().is_some_and(|r| r.len() == 2))
        .collect();
    assert_eq!(both.len(), 1, "one call with both sides: {calls:?}");
    let names: Vec<&str> = both[0]["reports"]
        .as_array()
        .expect("present")
        .iter()
        .map(|r| r["name"].as_str().expect("present"))
        .collect();
    assert!(
        names.contains(&"Maya Mentor") && names.contains(&"Leo Learner"),
        "{names:?}"
    );
    assert!(
        both[0]["reports"]
            .as_array()
            .expect("present")
            .iter()
            .any(|r| r["report"]["client"] == "web"),
        "{both:?}"
    );

    // The server's own events: the code, each join and leave.
    let db = server_database(&server).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    let kinds = loop {
        // Written in the background: the last leave may still be on its way.
        let kinds: Vec<(String, i64)> = sqlx::query_as(
            "SELECT kind, COUNT(*) FROM call_events WHERE session_id = $1 GROUP BY kind ORDER BY kind",
        )
        .bind(session)
        .fetch_all(&db)
        .await
        .expect("events");
        let left = kinds
            .iter()
            .find(|(k, _)| k == "left")
            .map_or(0, |(_, n)| *n);
        if left >= 7 || std::time::Instant::now() > deadline {
            break kinds;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let count = |k: &str| {
        kinds
            .iter()
            .find(|(kind, _)| kind == k)
            .map_or(0, |(_, n)| *n)
    };
    assert!(count("code_generated") >= 1, "{kinds:?}");
    assert_eq!(count("joined"), 7, "{kinds:?}");
    assert_eq!(count("left"), 7, "{kinds:?}");
}

/// The server's own database (its SQLite file, or PostgreSQL on a cluster).
async fn server_database(server: &TestServer) -> sqlx::AnyPool {
    sqlx::any::install_default_drivers();
    sqlx::AnyPool::connect(&server.database_url())
        .await
        .expect("open the server's database")
}

#[tokio::test]
async fn bad_reports_are_refused_field_by_field_and_others_sessions_with_403() {
    let server = TestServer::start_default();
    let http = Http::new(&server);
    let (demo, code) = http.demo_code().await;
    let session = &demo.session_id;
    let path = format!("/api/sessions/{session}/call-reports");
    let peer = a_peer_in_the_room(&server, &demo.mentor, &code).await;
    let partner = a_peer_in_the_room(&server, &demo.learner, &code).await;
    // Wait until the join is on record, so refusals below are the report's.
    let ok = post_report(
        &http,
        &demo.mentor,
        session,
        report(&peer, DAY, 5, Some(300)),
    )
    .await;
    assert_eq!(ok.status, 201, "{:?}", ok.body);

    let message = |reply: &mentorlive_testkit::Reply| {
        reply.body["error"]["message"]
            .as_str()
            .unwrap_or("")
            .to_owned()
    };
    let mut bad = report(&peer, DAY, 5, Some(300));
    bad["rttMs"]["p95"] = json!(-1.0);
    bad["lossPercent"] = json!(250.0);
    bad["video"]["framesSent"] = json!(1_000_000_000u64);
    bad["mos"] = json!(7.5);
    bad["rating"] = json!({"stars": 9, "problems": []});
    let refused = http.post(&path, Some(&demo.mentor), bad).await;
    refused.expect(400, "invalid_input");
    for field in [
        "rttMs.p95",
        "lossPercent",
        "video.framesSent",
        "mos",
        "rating.stars",
    ] {
        assert!(
            message(&refused).contains(field),
            "{field}: {}",
            message(&refused)
        );
    }
    // Wrong types and missing fields are named too.
    let mut wrong = report(&peer, DAY, 5, Some(300));
    wrong["lossPercent"] = json!("a lot");
    let refused = http.post(&path, Some(&demo.mentor), wrong).await;
    refused.expect(400, "invalid_input");
    assert!(
        message(&refused).contains("lossPercent"),
        "{}",
        message(&refused)
    );
    let mut negative = report(&peer, DAY, 5, Some(300));
    negative["audio"]["packetsSent"] = json!(-5);
    let refused = http.post(&path, Some(&demo.mentor), negative).await;
    refused.expect(400, "invalid_input");
    assert!(
        message(&refused).contains("packetsSent"),
        "{}",
        message(&refused)
    );
    let mut missing = report(&peer, DAY, 5, Some(300));
    missing.as_object_mut().expect("present").remove("endedAt");
    http.post(&path, Some(&demo.mentor), missing)
        .await
        .expect(400, "invalid_input");
    // Times out of order, or in the future.
    let mut late = report(&peer, Duration::ZERO, 5, Some(300));
    late["joinedAt"] = json!(at(OffsetDateTime::now_utc() + time::Duration::hours(2)));
    late["endedAt"] = json!(at(OffsetDateTime::now_utc() + time::Duration::hours(3)));
    let refused = http.post(&path, Some(&demo.mentor), late).await;
    refused.expect(400, "invalid_input");
    assert!(
        message(&refused).contains("future"),
        "{}",
        message(&refused)
    );

    // A peer id never in the room, and the partner's: neither is the caller's.
    for other in ["0123456789abcdef", partner.as_str()] {
        let refused = http
            .post(&path, Some(&demo.mentor), report(other, DAY, 5, Some(300)))
            .await;
        refused.expect(400, "invalid_input");
        assert!(
            message(&refused).contains("peerId"),
            "{}",
            message(&refused)
        );
    }
    // Too large a body.
    let mut huge = report(&peer, DAY, 5, Some(300));
    huge["clientVersion"] = json!("x".repeat(20_000));
    http.post(&path, Some(&demo.mentor), huge)
        .await
        .expect(413, "payload_too_large");

    // Someone else's session: 403, whatever the body; no session: 404; no
    // token: 401.
    let (outsider, _) = http.register("outsider@example.com", "learner").await;
    http.post(&path, Some(&outsider), report(&peer, DAY, 5, Some(300)))
        .await
        .expect(403, "not_participant");
    http.post(&path, Some(&outsider), json!("nonsense"))
        .await
        .expect(403, "not_participant");
    http.get(
        &format!("/api/sessions/{session}/analytics"),
        Some(&outsider),
    )
    .await
    .expect(403, "not_participant");
    http.post(
        "/api/sessions/no-such-session/call-reports",
        Some(&demo.mentor),
        report(&peer, DAY, 5, Some(300)),
    )
    .await
    .expect(404, "not_found");
    http.post(&path, None, report(&peer, DAY, 5, Some(300)))
        .await
        .expect(401, "unauthorized");
    http.get("/api/analytics/me", None)
        .await
        .expect(401, "unauthorized");

    // A range that is not one.
    for query in [
        "from=yesterday",
        "to=2026-13-01T00:00:00Z",
        "from=2026-12-01T00:00:00Z&to=2026-11-01T00:00:00Z",
        "from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z",
        "to=0000-01-05T00:00:00Z",
    ] {
        http.get(&format!("/api/analytics/me?{query}"), Some(&demo.mentor))
            .await
            .expect(400, "invalid_input");
    }

    // Reports are rate limited per user.
    let limited = loop_until_limited(&http, &demo.mentor, &path, &peer).await;
    assert!(limited, "a burst of reports meets 429");
}

async fn loop_until_limited(http: &Http, token: &str, path: &str, peer: &str) -> bool {
    for _ in 0..40 {
        let reply = http
            .post(path, Some(token), report(peer, DAY, 5, Some(300)))
            .await;
        if reply.status == 429 {
            assert_eq!(reply.error_code(), "rate_limited");
            return true;
        }
    }
    false
}

#[tokio::test]
async fn analytics_past_their_retention_are_deleted() {
    let mut server = TestServer::start(ServerOptions {
        extra_args: vec!["--analytics-retention-days".into(), "30".into()],
        ..ServerOptions::default()
    });
    let http = Http::new(&server);
    let (demo, code) = http.demo_code().await;
    let session = &demo.session_id;
    let fresh = a_peer_in_the_room(&server, &demo.mentor, &code).await;
    let stale = a_peer_in_the_room(&server, &demo.mentor, &code).await;
    for peer in [&fresh, &stale] {
        let stored = post_report(
            &http,
            &demo.mentor,
            session,
            report(peer, DAY, 5, Some(200)),
        )
        .await;
        assert_eq!(stored.status, 201, "{:?}", stored.body);
    }
    // A report older than the server keeps is refused, not stored to go.
    let old = http
        .post(
            &format!("/api/sessions/{session}/call-reports"),
            Some(&demo.mentor),
            report(&fresh, 40 * DAY, 5, Some(200)),
        )
        .await;
    old.expect(400, "invalid_input");

    // Age one report and one event past 30 days, as time would.
    let db = server_database(&server).await;
    let long_ago = (OffsetDateTime::now_utc() - 31 * DAY).unix_timestamp() * 1000;
    sqlx::query("UPDATE call_reports SET joined_at_ms = $1 WHERE peer_id = $2")
        .bind(long_ago)
        .bind(&stale)
        .execute(&db)
        .await
        .expect("age a report");
    sqlx::query("UPDATE call_events SET at_ms = $1 WHERE peer_id = $2")
        .bind(long_ago)
        .bind(&stale)
        .execute(&db)
        .await
        .expect("age its events");
    db.close().await;
    // The pruning job runs as the server starts, then hourly.
    server.stop();
    server.restart();
    let db = server_database(&server).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let (reports,): (i64,) =
            sqlx::query_as("SELECT COUNT(*) FROM call_reports WHERE peer_id = $1")
                .bind(&stale)
                .fetch_one(&db)
                .await
                .expect("count");
        if reports == 0 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the stale report is still there"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (events,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM call_events WHERE peer_id = $1")
        .bind(&stale)
        .fetch_one(&db)
        .await
        .expect("count");
    assert_eq!(events, 0, "the stale events went too");
    let (kept,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM call_reports WHERE peer_id = $1")
        .bind(&fresh)
        .fetch_one(&db)
        .await
        .expect("count");
    assert_eq!(kept, 1, "the fresh report stays");
}

/// When the test saw this CLI's call connect, by the wall clock.
fn connected_seen(joiner: &mut mentorlive_testkit::Joiner) -> OffsetDateTime {
    joiner.wait_for(
        "connected",
        Duration::from_secs(20),
        mentorlive_testkit::cli_joiner::in_state(mentorlive_engine::CallState::Connected),
    );
    OffsetDateTime::now_utc()
}

fn report_of(lines: &[mentorlive_testkit::CliLine]) -> mentorlive_protocol::analytics::CallReport {
    lines
        .iter()
        .find_map(|l| match l.event() {
            Some(mentorlive_engine::CallEvent::Report { report }) => Some((**report).clone()),
            _ => None,
        })
        .unwrap_or_else(|| {
            panic!(
                "no report: {:?}",
                lines.iter().map(|l| l.name()).collect::<Vec<_>>()
            )
        })
}

#[tokio::test(flavor = "multi_thread")]
async fn two_cli_peers_report_their_call_and_the_server_sums_it() {
    use mentorlive_protocol::analytics::{CandidateType, EndReason};
    let server = TestServer::start_default();
    let http = Http::new(&server);
    let (demo, code) = http.demo_code().await;
    let out = tempfile::tempdir().expect("tmp");
    let before = OffsetDateTime::now_utc();
    let mut mentor = mentorlive_testkit::Joiner::start(
        &server,
        "mentor@example.com",
        &code,
        6.0,
        out.path(),
        "mentor",
    );
    let mut learner = mentorlive_testkit::Joiner::start(
        &server,
        "learner@example.com",
        &code,
        6.0,
        out.path(),
        "learner",
    );
    let seen = [connected_seen(&mut mentor), connected_seen(&mut learner)];
    let lines = [mentor.finish(), learner.finish()];
    let mut time_to_connect = Vec::new();
    for (lines, seen) in lines.iter().zip(seen) {
        let report = report_of(lines);
        let connected = report.connected_at.expect("connected");
        // Within what the test saw from outside: after it started the CLI,
        // before it read the CLI's own "connected".
        assert!(
            report.joined_at >= before - time::Duration::milliseconds(50),
            "{report:?}"
        );
        assert!(
            connected >= report.joined_at && connected <= seen + time::Duration::milliseconds(50),
            "{report:?}"
        );
        assert_eq!(
            report.candidate_type,
            Some(CandidateType::Host),
            "loopback: {report:?}"
        );
        assert!(
            matches!(
                report.end_reason,
                EndReason::Hangup | EndReason::PartnerLeft
            ),
            "{report:?}"
        );
        assert!(
            report.video.frames_received > 30 && report.audio.packets_received > 100,
            "{report:?}"
        );
        assert!(
            report.rtt_ms.p50 < 100.0 && report.loss_percent < 5.0,
            "{report:?}"
        );
        assert!(report.mos.is_some_and(|m| m > 4.0), "{report:?}");
        assert!(
            report.problems(OffsetDateTime::now_utc()).is_empty(),
            "{report:?}"
        );
        assert!(
            lines
                .iter()
                .any(|l| l.report_outcome().is_some_and(|o| o.id.is_some())),
            "the report reached the server"
        );
        time_to_connect.push((connected - report.joined_at).whole_milliseconds() as f64);
    }
    for (token, ttc) in [
        (&demo.mentor, time_to_connect[0]),
        (&demo.learner, time_to_connect[1]),
    ] {
        let me = http.get("/api/analytics/me", Some(token)).await.body;
        assert_eq!(me["calls"], 1, "{me}");
        assert_eq!(me["connectedShare"], 1.0, "{me}");
        assert_eq!(me["relayedShare"], 0.0, "{me}");
        let p50 = me["timeToConnectMs"]["p50"].as_f64().expect("p50");
        assert!((p50 - ttc).abs() <= 1.0, "{p50} against the report's {ttc}");
    }
    let calls = http
        .get(
            &format!("/api/sessions/{}/analytics", demo.session_id),
            Some(&demo.mentor),
        )
        .await
        .body;
    assert_eq!(calls["calls"].as_array().map(Vec::len), Some(1), "{calls}");
    assert_eq!(
        calls["calls"][0]["reports"].as_array().map(Vec::len),
        Some(2),
        "{calls}"
    );

    // With --no-report nothing reaches the server (it is still printed).
    let mut quiet = Vec::new();
    for email in ["mentor@example.com", "learner@example.com"] {
        quiet.push(mentorlive_testkit::Joiner::start_with(
            &server.url,
            email,
            &code,
            3.0,
            out.path(),
            email,
            &[std::ffi::OsStr::new("--no-report")],
        ));
    }
    for joiner in quiet {
        let lines = joiner.finish();
        report_of(&lines);
        assert!(
            lines.iter().all(|l| l.report_outcome().is_none()),
            "nothing sent"
        );
    }
    let calls = http
        .get(
            &format!("/api/sessions/{}/analytics", demo.session_id),
            Some(&demo.mentor),
        )
        .await
        .body;
    let reports: usize = calls["calls"]
        .as_array()
        .map(|c| {
            c.iter()
                .map(|c| c["reports"].as_array().map_or(0, Vec::len))
                .sum()
        })
        .unwrap_or(0);
    assert_eq!(
        reports, 2,
        "the server has only the first call's reports: {calls}"
    );
}
