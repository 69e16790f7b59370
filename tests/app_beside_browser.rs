//! A benchmark, not a CI test (`scripts/bench-all.sh` runs it): the desktop
//! app and the platform's web client in Debian's Chromium in one call, each
//! sending its camera and microphone and showing the other's, and what each
//! costs in that same call: CPU s/min and PSS of the app (its process and
//! WebKit's) beside those of the browser (all its processes).
//!
//! The call is made twice: once with Chromium headless (it paints to no
//! screen, the anchor of the earlier figures) and once with Chromium in a
//! window the app's size on an X display of its own, as a person's browser
//! paints, the way the app paints to its own. Neither has a GPU here.

use mentorlive_testkit::app::{
    join_and_connect, output_dir, signed_in_at_prejoin, wait_js, DesktopApp, PROBE_CANVAS,
};
use mentorlive_testkit::chromium::WebClient;
use mentorlive_testkit::threads::{busiest, cpu_by_thread, descendants};
use mentorlive_testkit::{Http, TestServer};
use serde_json::{json, Value};
use std::time::Duration;

/// The browser's own media figures: what it encodes and decodes.
const BROWSER_MEDIA_JS: &str = r#"(async () => {
  const pc = window.mentorliveWebCall?.peer();
  if (!pc) return null;
  const out = { framesDecoded: 0, framesEncoded: 0, width: 0, height: 0 };
  for (const s of (await pc.getStats()).values()) {
    if (s.type === "inbound-rtp" && s.kind === "video") out.framesDecoded = s.framesDecoded ?? 0;
    if (s.type === "outbound-rtp" && s.kind === "video") {
      out.framesEncoded = s.framesEncoded ?? 0;
      out.width = s.frameWidth ?? 0;
      out.height = s.frameHeight ?? 0;
    }
  }
  return out;
})()"#;

/// The app's own media figures, the same ones.
const APP_MEDIA_JS: &str = "const c = window.mentorliveCall; \
    return { framesDecoded: c?.receiver?.videoFramesDecoded ?? 0, framesEncoded: c?.sender?.videoFramesEncoded ?? 0 };";

fn per_minute(after: &Value, before: &Value, key: &str, seconds: u64) -> f64 {
    (after[key].as_f64().unwrap_or(0.0) - before[key].as_f64().unwrap_or(0.0)) * 60.0
        / seconds as f64
}

fn per_second(after: &Value, before: &Value, key: &str, seconds: u64) -> f64 {
    per_minute(after, before, key, seconds) / 60.0
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "a benchmark: bash scripts/bench-all.sh"]
async fn the_app_and_a_browser_in_one_call_side_by_side() {
    let seconds: u64 = std::env::var("MENTORLIVE_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let server = TestServer::start_default();
    let (_demo, code) = Http::new(&server).demo_code().await;
    let invitation = format!("{}/join/{code}", server.url);
    let out = output_dir().join("../app-beside-browser");
    let _ = std::fs::create_dir_all(&out);

    for headed in [false, true] {
        let browser_kind = if headed { "headed" } else { "headless" };
        let desktop = DesktopApp::start(1500, &[("MENTORLIVE_MOCK_CAPTURE", "1")]);
        let wd = desktop.session().await;
        signed_in_at_prejoin(&wd, &server.url, "learner@example.com", &code).await;
        let mut browser = WebClient::start_for_figures("mentor", headed, 1900);
        browser.join_from_invitation(&invitation, "mentor@example.com");
        join_and_connect(&wd, 40).await;
        wait_js(&wd, "the browser's video in the app", PROBE_CANVAS, 20).await;
        browser.wait_connected(40);
        browser.wait_remote_video("the app's video", 30, 30);
        // Past the start's keyframes and the bitrate's ramp.
        tokio::time::sleep(Duration::from_secs(3)).await;

        let app_pids: Vec<u32> = ["mentorlive", "WebKitWebProces", "WebKitNetworkPr"]
            .iter()
            .flat_map(|comm| desktop.processes(comm))
            .collect();
        let browser_pids = descendants(browser.pid());
        let threads_before = [cpu_by_thread(&app_pids), cpu_by_thread(&browser_pids)];
        let figures = "return window.mentorliveProcessFigures()";
        let app_before = wd.execute(figures, json!([])).await;
        let app_media_before = wd.execute(APP_MEDIA_JS, json!([])).await;
        let browser_before = browser.figures();
        let browser_media_before = browser.eval(BROWSER_MEDIA_JS);
        tokio::time::sleep(Duration::from_secs(seconds)).await;
        let app_after = wd.execute(figures, json!([])).await;
        let app_media_after = wd.execute(APP_MEDIA_JS, json!([])).await;
        let browser_after = browser.figures();
        let browser_media_after = browser.eval(BROWSER_MEDIA_JS);
        let threads_after = [cpu_by_thread(&app_pids), cpu_by_thread(&browser_pids)];
        desktop.screenshot(&out.join(format!("app-beside-{browser_kind}.png")));
        browser.screenshot(&out.join(format!("browser-{browser_kind}.png")));

        let row = json!({
            "browser": browser_kind,
            "seconds": seconds,
            "app": {
                "cpu_s_per_min": per_minute(&app_after, &app_before, "cpuSeconds", seconds),
                "pss_mb": app_after["pssBytes"].as_f64().unwrap_or(0.0) / 1e6,
                "processes": app_after["processes"],
                "frames_encoded_per_s": per_second(&app_media_after, &app_media_before, "framesEncoded", seconds),
                "frames_decoded_per_s": per_second(&app_media_after, &app_media_before, "framesDecoded", seconds),
            },
            "chromium": {
                "cpu_s_per_min": per_minute(&browser_after, &browser_before, "cpuSeconds", seconds),
                "pss_mb": browser_after["pssBytes"].as_f64().unwrap_or(0.0) / 1e6,
                "processes": browser_after["processes"],
                "frames_encoded_per_s": per_second(&browser_media_after, &browser_media_before, "framesEncoded", seconds),
                "frames_decoded_per_s": per_second(&browser_media_after, &browser_media_before, "framesDecoded", seconds),
                "sends": format!("{}x{}", browser_media_after["width"], browser_media_after["height"]),
            },
        });
        println!("BESIDE {row}");
        // Where each side's time goes, thread by thread, in the same call.
        for (i, side) in ["app", "chromium"].iter().enumerate() {
            for (thread, per_minute) in
                busiest(&threads_before[i], &threads_after[i], seconds as f64, 0.3)
            {
                println!("THREAD {browser_kind} {side} {per_minute:.1} s/min  {thread}");
            }
        }

        // Both held the call both ways the whole time, or the figures are
        // of something else.
        for side in ["app", "chromium"] {
            for key in ["frames_encoded_per_s", "frames_decoded_per_s"] {
                assert!(
                    row[side][key].as_f64().unwrap_or(0.0) >= 10.0,
                    "{side} with a {browser_kind} browser: {key} {row}"
                );
            }
        }
        assert!(
            row["chromium"]["processes"].as_u64().unwrap_or(0) > 0
                && row["app"]["processes"].as_u64().unwrap_or(0) > 0,
            "both measured: {row}"
        );

        if headed {
            paint_stages(&wd, &desktop, &app_pids, seconds).await;
        }

        let hang_up = wd.wait("[data-testid=hang-up]", 5).await;
        wd.click(&hang_up).await;
        browser.wait_for(
            "the app gone",
            "!!document.querySelector('[data-testid=partner-left]')",
            15,
        );
        browser.close();
        wd.quit().await;
    }
}

/// What painting costs the app, by changing it a piece at a time in the same
/// call: both videos painted with the cheapest scaling, the partner's video
/// unscaled, then the partner's video hidden (decoded and drawn into its
/// canvas, not painted on screen), then the self-view hidden too (still
/// captured). Prints the app's CPU and its busiest threads for each stage.
async fn paint_stages(
    wd: &mentorlive_testkit::app::WebDriver,
    desktop: &DesktopApp,
    app_pids: &[u32],
    seconds: u64,
) {
    const REMOTE: &str = "document.querySelector('[data-testid=remote-video]').style";
    const LOCAL: &str = "document.querySelector('video.local').style";
    let stages = [
        (
            "both with image-rendering: optimizeSpeed",
            format!("{REMOTE}.imageRendering = 'optimizeSpeed'; {LOCAL}.imageRendering = 'optimizeSpeed'"),
        ),
        (
            "the partner's video at 1:1 (640x480 CSS px)",
            format!("{REMOTE}.width = '640px'; {REMOTE}.height = '480px'"),
        ),
        (
            "the partner's video hidden",
            format!("{REMOTE}.visibility = 'hidden'"),
        ),
        (
            "and the self-view hidden",
            format!("{REMOTE}.visibility = 'hidden'; {LOCAL}.visibility = 'hidden'"),
        ),
    ];
    for (stage, js) in stages {
        wd.execute(
            &format!("{REMOTE}.cssText = ''; {LOCAL}.cssText = ''; {js}"),
            json!([]),
        )
        .await;
        tokio::time::sleep(Duration::from_secs(2)).await;
        let before = cpu_by_thread(app_pids);
        tokio::time::sleep(Duration::from_secs(seconds)).await;
        let after = cpu_by_thread(app_pids);
        let total: f64 = busiest(&before, &after, seconds as f64, 0.0)
            .iter()
            .map(|(_, v)| v)
            .sum();
        println!("STAGE {stage}: the app {total:.1} CPU s/min");
        for (thread, per_minute) in busiest(&before, &after, seconds as f64, 1.0) {
            println!("STAGE {stage}:   {per_minute:.1} s/min  {thread}");
        }
    }
    desktop.screenshot(&output_dir().join("../app-beside-browser/app-nothing-painted.png"));
    wd.execute(
        &format!("{REMOTE}.cssText = ''; {LOCAL}.cssText = ''"),
        json!([]),
    )
    .await;
}
