//! A long call between the app (debug binary under Xvfb, mock capture) and
//! `mentorlive-cli`: media must keep flowing both ways through every stretch
//! of it, and the app's memory (its own PSS and its WebKit processes') is
//! sampled to show whether it grows. CI holds it for 2 minutes;
//! `scripts/soak-app.sh` runs it for 30 (`MENTORLIVE_SOAK_MINUTES`) and the
//! slopes go in docs/performance.md.

use mentorlive_testkit::app::{join_and_connect, signed_in_at_prejoin, DesktopApp};
use mentorlive_testkit::{Http, Joiner, TestServer};
use serde_json::json;
use std::time::{Duration, Instant};

/// PSS in KiB summed over this app's processes whose name starts with
/// `comm`, and how many there are.
fn pss_kib(desktop: &DesktopApp, comm: &str) -> (usize, u64) {
    let pids = desktop.processes(comm);
    let pss = pids
        .iter()
        .filter_map(|pid| std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).ok())
        .filter_map(|rollup| {
            let line = rollup.lines().find(|l| l.starts_with("Pss:"))?;
            line.split_whitespace().nth(1)?.parse::<u64>().ok()
        })
        .sum();
    (pids.len(), pss)
}

/// Least-squares slope of (minute, KiB) points, in KiB per minute.
fn slope(points: &[(f64, f64)]) -> f64 {
    let n = points.len() as f64;
    let (mx, my) = (
        points.iter().map(|p| p.0).sum::<f64>() / n,
        points.iter().map(|p| p.1).sum::<f64>() / n,
    );
    let den: f64 = points.iter().map(|p| (p.0 - mx).powi(2)).sum();
    points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum::<f64>() / den
}

#[tokio::test(flavor = "multi_thread")]
async fn a_long_call_keeps_flowing_both_ways_and_its_memory_is_measured() {
    let minutes: f64 = std::env::var("MENTORLIVE_SOAK_MINUTES")
        .ok()
        .and_then(|m| m.parse().ok())
        .unwrap_or(2.0);
    let samples = ((minutes * 6.0).round() as usize).clamp(6, 60);
    let every = Duration::from_secs_f64(minutes * 60.0 / samples as f64);
    let server = TestServer::start_default();
    let http = Http::new(&server);
    let (_demo, code) = http.demo_code().await;
    let recordings = tempfile::tempdir().expect("tmp");
    let mut cli = Joiner::start(
        &server,
        "mentor@example.com",
        &code,
        minutes * 60.0 + 120.0,
        recordings.path(),
        "soak",
    );
    cli.wait_joined();
    let desktop = DesktopApp::start(560, &[("MENTORLIVE_MOCK_CAPTURE", "1")]);
    let wd = desktop.session().await;
    signed_in_at_prejoin(&wd, &server.url, "learner@example.com", &code).await;
    join_and_connect(&wd, 40).await;

    let app_in = || async {
        let stats = wd
            .execute("return window.mentorliveEngineStats", json!([]))
            .await;
        (
            stats["videoFramesIn"].as_u64().unwrap_or(0),
            stats["audioFramesIn"].as_u64().unwrap_or(0),
        )
    };
    let started = Instant::now();
    let mut app_series = Vec::new();
    let mut web_series = Vec::new();
    let (mut last_cli, mut last_app) = (cli.next_stats(Duration::from_secs(5)), app_in().await);
    for sample in 1..=samples {
        tokio::time::sleep(every).await;
        let now_cli = cli.next_stats(Duration::from_secs(5));
        let now_app = app_in().await;
        let minute = started.elapsed().as_secs_f64() / 60.0;
        let (_, app_pss) = pss_kib(&desktop, "mentorlive");
        let (web_count, web_pss) = pss_kib(&desktop, "WebKit");
        println!(
            "{}",
            json!({"minute": (minute * 100.0).round() / 100.0,
                   "videoToCli": now_cli.video_frames_in - last_cli.video_frames_in,
                   "audioToCli": now_cli.audio_frames_in - last_cli.audio_frames_in,
                   "videoToApp": now_app.0 - last_app.0, "audioToApp": now_app.1 - last_app.1,
                   "appPssKiB": app_pss, "webkitPssKiB": web_pss, "webkitProcesses": web_count})
        );
        // Every stretch carried media both ways: nothing stalled for long.
        let secs = every.as_secs_f64();
        assert!(
            (now_cli.video_frames_in - last_cli.video_frames_in) as f64 > secs * 10.0,
            "stretch {sample}: the app's video reached the partner"
        );
        assert!(
            (now_cli.audio_frames_in - last_cli.audio_frames_in) as f64 > secs * 25.0,
            "stretch {sample}: the app's sound reached the partner"
        );
        assert!(
            (now_app.0 - last_app.0) as f64 > secs * 10.0,
            "stretch {sample}: the partner's video reached the app"
        );
        assert!(
            (now_app.1 - last_app.1) as f64 > secs * 25.0,
            "stretch {sample}: the partner's sound reached the app"
        );
        if sample > 1 {
            // The first stretch holds the call's start-up allocations.
            app_series.push((minute, app_pss as f64));
            web_series.push((minute, web_pss as f64));
        }
        (last_cli, last_app) = (now_cli, now_app);
    }
    println!(
        "SOAK app {minutes} min: app PSS {:.0} → {:.0} MiB, slope {:.0} KiB/min; WebKit PSS {:.0} → {:.0} MiB, slope {:.0} KiB/min",
        app_series[0].1 / 1024.0,
        app_series[app_series.len() - 1].1 / 1024.0,
        slope(&app_series),
        web_series[0].1 / 1024.0,
        web_series[web_series.len() - 1].1 / 1024.0,
        slope(&web_series),
    );
}
