//! Two desktop apps in one call, the way two people use it: each under its
//! own Xvfb display and D-Bus session, mock camera and microphone, WebCodecs
//! both ways through the media bridge and the engine. Each sees the other's
//! camera and hears the other's microphone. The run also prints
//! glass-to-glass delay (the sender paints its clock into each frame; the
//! receiver reads it where it paints), CPU and memory (PSS) of each app with
//! its WebKit processes. `scripts/bench-app-call.sh` holds the call longer.

use mentorlive_testkit::app::{
    output_dir, signed_in_at_prejoin, wait_js, DesktopApp, WebDriver, PROBE_CANVAS,
};
use mentorlive_testkit::{Http, TestServer};
use serde_json::{json, Value};
use std::time::Duration;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((p / 100.0) * sorted.len() as f64) as usize % sorted.len()]
}

async fn figures(wd: &WebDriver) -> Value {
    wd.execute("return window.mentorliveProcessFigures()", json!([]))
        .await
}

async fn open_app(desktop: &DesktopApp, server: &TestServer, email: &str, code: &str) -> WebDriver {
    let wd = desktop.session().await;
    signed_in_at_prejoin(&wd, &server.url, email, code).await;
    // Benchmark stamps in the video (see ui/src/media/stamp.ts).
    wd.execute("window.mentorliveStampFrames = true", json!([]))
        .await;
    wd
}

#[tokio::test(flavor = "multi_thread")]
async fn two_apps_see_and_hear_each_other() {
    let seconds: u64 = std::env::var("MENTORLIVE_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(8);
    let server = TestServer::start_default();
    let http = Http::new(&server);
    let (_demo, code) = http.demo_code().await;
    let out = output_dir().join("../app-pair");
    let _ = std::fs::create_dir_all(&out);
    let mock = [("MENTORLIVE_MOCK_CAPTURE", "1")];
    let mentor_app = DesktopApp::start_on_bus(600, &mock, true);
    let learner_app = DesktopApp::start_on_bus(1100, &mock, true);
    let mentor = open_app(&mentor_app, &server, "mentor@example.com", &code).await;
    let learner = open_app(&learner_app, &server, "learner@example.com", &code).await;

    for wd in [&mentor, &learner] {
        let join = wd.wait("[data-testid=join-call]", 10).await;
        wd.click(&join).await;
    }
    for wd in [&mentor, &learner] {
        wait_js(
            wd,
            "connected call",
            "return document.querySelector('[data-testid=call]')?.dataset.state === 'connected'",
            40,
        )
        .await;
        wait_js(wd, "remote video", PROBE_CANVAS, 20).await;
    }
    let before = [figures(&mentor).await, figures(&learner).await];
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    let after = [figures(&mentor).await, figures(&learner).await];
    mentor_app.screenshot(&out.join("mentor.png"));
    learner_app.screenshot(&out.join("learner.png"));

    println!(
        "two apps, one 640x480 call held {seconds} s (mock devices, one machine; app {}):",
        mentorlive_testkit::binaries::workspace_binary("mentorlive").display()
    );
    for (i, (name, wd)) in [("mentor", &mentor), ("learner", &learner)]
        .into_iter()
        .enumerate()
    {
        let probe = wd.execute(PROBE_CANVAS, json!([])).await;
        let call = wd.execute("return window.mentorliveCall", json!([])).await;
        let mut g2g: Vec<f64> = call["glassToGlassMs"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_f64).collect())
            .unwrap_or_default();
        g2g.sort_by(f64::total_cmp);
        let cpu = after[i]["cpuSeconds"].as_f64().unwrap_or(0.0)
            - before[i]["cpuSeconds"].as_f64().unwrap_or(0.0);
        println!(
            "  {name} sees the partner: glass-to-glass p50 {:.0} ms, p99 {:.0} ms over {} frames; \
             CPU {:.1} s/min; PSS {:.0} MB in {} processes; received {}; sent {}",
            percentile(&g2g, 50.0),
            percentile(&g2g, 99.0),
            g2g.len(),
            cpu * 60.0 / seconds as f64,
            after[i]["pssBytes"].as_f64().unwrap_or(0.0) / 1e6,
            after[i]["processes"],
            call["receiver"],
            call["sender"]
        );
        assert!(
            probe["mean"].as_f64().unwrap_or(0.0) > 10.0,
            "{name}: not black: {probe}"
        );
        let receiver = &call["receiver"];
        assert!(
            receiver["videoFramesDecoded"].as_u64().unwrap_or(0) >= 2 * seconds,
            "{name} sees the partner's camera: {receiver}"
        );
        assert!(
            // 50 a second when the machine keeps up; two apps on two cores
            // in CI lose some to the load.
            receiver["audioPacketsDecoded"].as_u64().unwrap_or(0) >= 10 * seconds,
            "{name} hears the partner's microphone: {receiver}"
        );
        assert!(
            !g2g.is_empty(),
            "{name}: the partner's stamped frames arrived intact"
        );
    }

    // The mentor hangs up; the learner is told and may wait or leave.
    let hang_up = mentor.wait("[data-testid=hang-up]", 5).await;
    mentor.click(&hang_up).await;
    learner.wait("[data-testid=partner-left]", 15).await;
    learner_app.screenshot(&out.join("learner-partner-left.png"));
    mentor.quit().await;
    learner.quit().await;
}
