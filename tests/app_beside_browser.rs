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
use mentorlive_testkit::proc_stats::{
    busiest, cpu_by_thread, descendants, process_figures, ThreadTimes,
};
use mentorlive_testkit::{Http, TestServer};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

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
const APP_MEDIA_JS: &str = "const c = window.mentorliveCall; const v = c?.videoState?.(); \
    return { framesDecoded: c?.receiver?.videoFramesDecoded ?? 0, framesEncoded: c?.sender?.videoFramesEncoded ?? 0, \
    width: v?.configured?.width ?? 0, height: v?.configured?.height ?? 0 };";

fn per_minute(after: &Value, before: &Value, key: &str, seconds: f64) -> f64 {
    (after[key].as_f64().unwrap_or(0.0) - before[key].as_f64().unwrap_or(0.0)) * 60.0 / seconds
}

fn per_second(after: &Value, before: &Value, key: &str, seconds: f64) -> f64 {
    per_minute(after, before, key, seconds) / 60.0
}

/// One side's figures at one moment: its processes' CPU and PSS, what its
/// media did so far, its threads' and its X server's CPU.
struct Reading {
    at: Instant,
    process: Value,
    media: Value,
    threads: ThreadTimes,
    x_server: f64,
}

/// One side's rates between two readings, over its own measured window.
fn side_figures(before: &Reading, after: &Reading) -> Value {
    let secs = (after.at - before.at).as_secs_f64();
    json!({
        "cpu_s_per_min": per_minute(&after.process, &before.process, "cpuSeconds", secs),
        "x_server_cpu_s_per_min": (after.x_server - before.x_server) * 60.0 / secs,
        "pss_mb": after.process["pssBytes"].as_f64().unwrap_or(0.0) / 1e6,
        "processes": after.process["processes"],
        "frames_encoded_per_s": per_second(&after.media, &before.media, "framesEncoded", secs),
        "frames_decoded_per_s": per_second(&after.media, &before.media, "framesDecoded", secs),
        "sends": format!("{}x{}", after.media["width"], after.media["height"]),
    })
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
        tokio::time::sleep(Duration::from_secs(5)).await;

        let app_pids: Vec<u32> = ["mentorlive", "WebKitWebProces", "WebKitNetworkPr"]
            .iter()
            .flat_map(|comm| desktop.processes(comm))
            .collect();
        let browser_pids = descendants(browser.pid());
        // Each side's X server: what it costs to put the window on screen
        // (headless Chromium has none).
        let x_servers = [Some(desktop.x_server_pid()), browser.x_server_pid()];
        let x_cpu = |i: usize| x_servers[i].map_or(0.0, |pid| process_figures(&[pid]).cpu_seconds);
        // Chromium's processes, read as the app reads its own: CPU so far
        // and PSS, in the shape of `mentorliveProcessFigures`.
        let chromium_figures = || {
            let f = process_figures(&browser_pids);
            json!({"cpuSeconds": f.cpu_seconds, "pssBytes": f.pss_bytes, "processes": f.processes})
        };
        let figures = "return window.mentorliveProcessFigures()";
        let app_before = Reading {
            at: Instant::now(),
            process: wd.execute(figures, json!([])).await,
            media: wd.execute(APP_MEDIA_JS, json!([])).await,
            threads: cpu_by_thread(&app_pids),
            x_server: x_cpu(0),
        };
        let browser_before = Reading {
            at: Instant::now(),
            process: chromium_figures(),
            media: browser.eval(BROWSER_MEDIA_JS),
            threads: cpu_by_thread(&browser_pids),
            x_server: x_cpu(1),
        };
        tokio::time::sleep(Duration::from_secs(seconds)).await;
        let app_after = Reading {
            at: Instant::now(),
            process: wd.execute(figures, json!([])).await,
            media: wd.execute(APP_MEDIA_JS, json!([])).await,
            threads: cpu_by_thread(&app_pids),
            x_server: x_cpu(0),
        };
        let browser_after = Reading {
            at: Instant::now(),
            process: chromium_figures(),
            media: browser.eval(BROWSER_MEDIA_JS),
            threads: cpu_by_thread(&browser_pids),
            x_server: x_cpu(1),
        };
        desktop.screenshot(&out.join(format!("app-beside-{browser_kind}.png")));
        browser.screenshot(&out.join(format!("browser-{browser_kind}.png")));

        let row = json!({
            "browser": browser_kind,
            "seconds": seconds,
            "app": side_figures(&app_before, &app_after),
            "chromium": side_figures(&browser_before, &browser_after),
        });
        println!("BESIDE {row}");
        // Where each side's time goes, thread by thread, in the same call.
        for (side, before, after) in [
            ("app", &app_before, &app_after),
            ("chromium", &browser_before, &browser_after),
        ] {
            let secs = (after.at - before.at).as_secs_f64();
            for (thread, per_minute) in busiest(&before.threads, &after.threads, secs, 0.3) {
                println!("THREAD {browser_kind} {side} {per_minute:.1} s/min  {thread}");
            }
        }

        // Both held the same call both ways the whole time (640x480 at about
        // 30 frames a second), or the figures are of different work.
        for side in ["app", "chromium"] {
            for key in ["frames_encoded_per_s", "frames_decoded_per_s"] {
                assert!(
                    row[side][key].as_f64().unwrap_or(0.0) >= 25.0,
                    "{side} with a {browser_kind} browser: {key} {row}"
                );
            }
            assert_eq!(row[side]["sends"], "640x480", "{side}: {row}");
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
/// unscaled, then at a quarter of the area, then the partner's video hidden (decoded and drawn into its
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
            "the partner's video at 320x240 CSS px (a quarter of the area)",
            format!("{REMOTE}.width = '320px'; {REMOTE}.height = '240px'"),
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
        let figures = "return window.mentorliveProcessFigures()";
        let started = Instant::now();
        let app_before = wd.execute(figures, json!([])).await;
        let before = cpu_by_thread(app_pids);
        tokio::time::sleep(Duration::from_secs(seconds)).await;
        let elapsed = started.elapsed().as_secs_f64();
        let app_after = wd.execute(figures, json!([])).await;
        let after = cpu_by_thread(app_pids);
        let total = per_minute(&app_after, &app_before, "cpuSeconds", elapsed);
        println!("STAGE {stage}: the app {total:.1} CPU s/min");
        for (thread, thread_per_minute) in busiest(&before, &after, elapsed, 1.0) {
            println!("STAGE {stage}:   {thread_per_minute:.1} s/min  {thread}");
        }
    }
    desktop.screenshot(&output_dir().join("../app-beside-browser/app-nothing-painted.png"));
    wd.execute(
        &format!("{REMOTE}.cssText = ''; {LOCAL}.cssText = ''"),
        json!([]),
    )
    .await;
}
