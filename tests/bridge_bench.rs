//! The media bridge measured alone in the real webview: the app under Xvfb
//! echoes call-sized chunks (30 fps VP8-sized video with a keyframe every
//! 2 s, 50 Opus-sized packets a second) over the loopback WebSocket and over
//! Tauri's raw IPC, and prints round-trip times and CPU for each. Figures,
//! not timed assertions; the test only requires every chunk to come back.
//! `scripts/bench-bridge.sh` runs it longer (`MENTORLIVE_BENCH_SECONDS`).

use mentorlive_testkit::app::{wait_js, DesktopApp};
use serde_json::json;

#[tokio::test(flavor = "multi_thread")]
async fn both_bridge_transports_carry_every_chunk_and_report_their_figures() {
    let seconds: u64 = std::env::var("MENTORLIVE_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let desktop = DesktopApp::start(900, &[]);
    let wd = desktop.session().await;
    wd.wait("input[name=server]", 30).await;
    // The hooks come with a test build, once the app has said so.
    wait_js(
        &wd,
        "the bench hook",
        "return typeof window.mentorliveBenchBridge === 'function'",
        20,
    )
    .await;
    wd.script_timeout(seconds * 2 + 60).await;
    let results = wd
        .execute(
            "return window.mentorliveBenchBridge(arguments[0])",
            json!([seconds]),
        )
        .await;
    let rows = results.as_array().expect("results");
    let transports: Vec<_> = rows.iter().map(|r| r["transport"].clone()).collect();
    assert!(
        rows.len() >= 2,
        "both transports (WebSocket and IPC) measured, got {transports:?}"
    );
    println!("bridge round trips over {seconds} s each (30 fps video + 50 packets/s audio):");
    println!(
        "{:<44} {:>6} {:>6} {:>8} {:>8} {:>8} {:>10} {:>6}",
        "transport", "sent", "back", "p50 ms", "p99 ms", "max ms", "CPU s/min", "MB/s"
    );
    for r in rows {
        println!(
            "{:<44} {:>6} {:>6} {:>8} {:>8} {:>8} {:>10} {:>6}",
            r["transport"].as_str().unwrap_or("?"),
            r["sent"].to_string(),
            r["received"].to_string(),
            r["p50Ms"].to_string(),
            r["p99Ms"].to_string(),
            r["maxMs"].to_string(),
            r["cpuSecondsPerMinute"].to_string(),
            r["megabytesPerSecond"].to_string()
        );
    }
    for r in rows {
        assert!(r["sent"].as_u64().unwrap_or(0) >= seconds * 80, "{r}");
        assert_eq!(r["received"], r["sent"], "every chunk came back: {r}");
    }
    wd.quit().await;
}
