//! Call analytics as a person meets them in the desktop app: Insights empty
//! at first and saying what will appear; then the figures the server holds
//! (seeded reports), read back from the page and drawn; a real call with
//! the CLI of over a minute, its report sent by the app with the rating the
//! person gives; the session's last call on the Sessions screen; and with
//! sharing switched off in Settings, nothing sent (checked at the server).
//! Screenshots go to `$CARGO_TARGET_DIR/test-output/app-insights/`.

use mentorlive_testkit::app::{
    assert_accessible, click_text, join_and_connect, output_dir, reach_prejoin, sign_in, wait_js,
    DesktopApp, WebDriver,
};
use mentorlive_testkit::reports::{
    a_peer_in_the_room, post_report, report, reports_of, wait_for_report,
};
use mentorlive_testkit::{Http, Joiner, TestServer};
use serde_json::json;
use std::time::Duration;

const DAY: Duration = Duration::from_secs(86_400);

async fn text_of(wd: &WebDriver, test_id: &str) -> String {
    let el = wd.wait(&format!("[data-testid={test_id}]"), 15).await;
    wd.text(&el).await
}

#[tokio::test(flavor = "multi_thread")]
async fn insights_show_the_figures_a_call_is_rated_and_sharing_off_sends_nothing() {
    let server = TestServer::start_default();
    let http = Http::new(&server);
    let (demo, code) = http.demo_code().await;
    let out = output_dir().join("../app-insights");
    let _ = std::fs::create_dir_all(&out);
    let recordings = tempfile::tempdir().expect("tmp");

    let desktop = DesktopApp::start(1400, &[("MENTORLIVE_MOCK_CAPTURE", "1")]);
    let wd = desktop.session().await;
    sign_in(&wd, &server.url, "learner@example.com").await;
    wd.wait("[data-testid=session]", 30).await;

    // No calls yet: the screen says what will appear.
    wd.click(&wd.wait("[data-testid=open-insights]", 5).await)
        .await;
    let empty = text_of(&wd, "insights-empty").await;
    assert!(
        empty.contains("No calls yet") && empty.contains("calls and minutes"),
        "{empty}"
    );
    desktop.screenshot(&out.join("1-empty.png"));
    assert_accessible(&wd, "Insights (no calls)").await;

    // Five calls of the learner's over three weeks: four connected (400,
    // 800, 600 and 500 ms to connect; one relayed), one that never did.
    let seeded = [
        (21 * DAY, 30, Some(400), "host", Some(4.4)),
        (14 * DAY, 45, Some(800), "relay", Some(4.0)),
        (7 * DAY, 20, Some(600), "host", Some(3.8)),
        (5 * DAY, 1, None, "", None),
        (3 * DAY, 42, Some(500), "host", Some(4.3)),
    ];
    for (ago, minutes, connect_ms, candidate, mos) in seeded {
        let peer = a_peer_in_the_room(&server, &demo.learner, &code).await;
        let mut body = report(&peer, ago, minutes, connect_ms);
        if connect_ms.is_some() {
            body["candidateType"] = json!(candidate);
        }
        body["mos"] = json!(mos);
        let reply = post_report(&http, &demo.learner, &demo.session_id, body).await;
        assert_eq!(reply.status, 201, "{}", reply.body);
    }

    // The figures, read back from the page.
    click_text(&wd, "button", "Sessions").await;
    wd.click(&wd.wait("[data-testid=open-insights]", 5).await)
        .await;
    let figures = [
        ("insights-calls", "5"),
        // 138 minutes.
        ("insights-minutes", "2.3 h"),
        ("insights-connected", "80 %"),
        ("insights-relayed", "25 %"),
        // The nearest-rank median of 400, 500, 600 and 800 ms.
        ("insights-connect", "0.5 s"),
        // The mean of 4.4, 4.0, 3.8 and 4.3.
        ("insights-quality", "4.1 · good"),
    ];
    for (id, expected) in figures {
        assert_eq!(text_of(&wd, id).await, expected, "{id}");
    }
    // The week table holds the same calls and minutes as the charts.
    let table = wd
        .execute(
            "return [...document.querySelectorAll('[data-testid=insights-table] tbody tr')].map(r => [...r.cells].map(c => c.textContent))",
            json!([]),
        )
        .await;
    let rows = table.as_array().expect("rows");
    let sum = |col: usize| -> f64 {
        rows.iter()
            .filter_map(|r| r[col].as_str()?.parse::<f64>().ok())
            .sum()
    };
    assert_eq!((sum(1), sum(2)), (5.0, 138.0), "{table}");
    assert!(rows.len() >= 13, "every week of 90 days: {}", rows.len());
    // Three charts drawn: each canvas has ink on it.
    let inked = wait_js(
        &wd,
        "charts drawn",
        "const cs = [...document.querySelectorAll('.week-chart canvas')]; if (cs.length < 3) return null; \
         return cs.map(c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0; \
         for (let i = 3; i < d.length; i += 4 * 7) if (d[i] > 0) n++; return n; });",
        15,
    )
    .await;
    assert!(
        inked
            .as_array()
            .is_some_and(|a| a.iter().all(|n| n.as_u64().unwrap_or(0) > 200)),
        "ink in each chart: {inked}"
    );
    desktop.screenshot(&out.join("2-insights.png"));
    assert_accessible(&wd, "Insights").await;

    // A real call with the CLI (the mentor) for over a minute.
    let mut cli = Joiner::start(
        &server,
        "mentor@example.com",
        &code,
        150.0,
        recordings.path(),
        "insights",
    );
    cli.wait_joined();
    click_text(&wd, "button", "Sessions").await;
    reach_prejoin(&wd, &code).await;
    join_and_connect(&wd, 30).await;
    tokio::time::sleep(Duration::from_secs(63)).await;
    wd.click(&wd.wait("[data-testid=hang-up]", 5).await).await;

    // Asked to rate it: four stars, the audio.
    wd.wait("[data-testid=rate-call]", 15).await;
    desktop.screenshot(&out.join("3-rating.png"));
    assert_accessible(&wd, "the rating after a call").await;
    wd.click(&wd.wait("[data-testid=star-4]", 5).await).await;
    wd.click(&wd.wait("[data-testid=problem-audio]", 5).await)
        .await;
    wd.click(&wd.wait("[data-testid=rate-send]", 5).await).await;
    cli.kill();

    // The app's report is at the server, with the rating and its figures.
    let ours = wait_for_report(&http, &demo.learner, &demo.session_id, "desktop").await;
    println!("the app's report: {ours}");
    assert_eq!(ours["rating"], json!({"stars": 4, "problems": ["audio"]}));
    assert_eq!(ours["candidateType"], "host", "loopback");
    assert_eq!(ours["endReason"], "hangup");
    let at = |field: &str| {
        time::OffsetDateTime::parse(
            ours[field].as_str().expect(field),
            &time::format_description::well_known::Rfc3339,
        )
        .expect(field)
    };
    let connect = (at("connectedAt") - at("joinedAt")).as_seconds_f64();
    let connected_for = (at("endedAt") - at("connectedAt")).as_seconds_f64();
    assert!(
        (0.0..15.0).contains(&connect),
        "time to connect {connect} s"
    );
    assert!(connected_for >= 60.0, "connected {connected_for} s");
    assert!(ours["video"]["framesReceived"].as_u64().unwrap_or(0) > 300);
    assert!(
        ours["mos"].as_f64().unwrap_or(0.0) >= 4.0,
        "a clean loopback"
    );

    // The session shows its last call (the line follows once the rated
    // report has gone).
    let last = wait_js(
        &wd,
        "the rated call as the session's last",
        "const t = document.querySelector('[data-testid=last-call]')?.textContent; return t && t.startsWith('Last call: 1 min') ? t : null;",
        15,
    )
    .await;
    assert!(
        last.as_str().is_some_and(|t| t.contains("connection")),
        "{last}"
    );
    desktop.screenshot(&out.join("4-sessions-last-call.png"));

    // Sharing off: a call's report never reaches the server.
    click_text(&wd, "button", "Settings").await;
    let share = wd.wait("[data-testid=share-reports-setting]", 5).await;
    wd.click(&share).await;
    wait_js(
        &wd,
        "sharing off",
        "return document.querySelector('[data-testid=share-reports-setting]').checked === false",
        5,
    )
    .await;
    desktop.screenshot(&out.join("5-settings.png"));
    let cli = Joiner::start(
        &server,
        "mentor@example.com",
        &code,
        20.0,
        recordings.path(),
        "insights-off",
    );
    click_text(&wd, "button", "Sessions").await;
    reach_prejoin(&wd, &code).await;
    join_and_connect(&wd, 30).await;
    // The CLI's own report arrives (reports do reach the server)…
    let lines = cli.finish();
    assert!(
        lines
            .iter()
            .any(|l| l.report_outcome().is_some_and(|r| r.id.is_some())),
        "the CLI's report was sent"
    );
    wd.click(&wd.wait("[data-testid=hang-up]", 10).await).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    // …and the app's does not: the learner still has the one rated report.
    let desktop_reports = reports_of(&http, &demo.learner, &demo.session_id, "desktop").await;
    assert_eq!(desktop_reports.len(), 1, "{desktop_reports:?}");
    assert!(
        !desktop
            .files()
            .iter()
            .any(|(path, _)| path.to_string_lossy().contains("call-reports")
                && path.extension().is_some_and(|e| e == "json")),
        "nothing kept to send later either"
    );
    assert!(
        wd.find("[data-testid=rate-call]").await.is_none(),
        "no rating asked"
    );
    wd.quit().await;
}
