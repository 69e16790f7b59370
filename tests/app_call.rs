//! A real call from the desktop app: the debug binary under Xvfb with
//! WebKitGTK's mock camera and microphone (switched on by the test-only
//! `MENTORLIVE_MOCK_CAPTURE=1`), WebCodecs in the webview, the media bridge,
//! the Rust engine; on the other side `mentorlive-cli join` with media
//! files, recording what the app sends. Screenshots of pre-join and the
//! call go to `$CARGO_TARGET_DIR/test-output/app-call/`.

#[path = "app_harness.rs"]
mod app_harness;
#[path = "cli_joiner.rs"]
mod cli_joiner;
#[path = "media.rs"]
mod media;
#[path = "webdriver.rs"]
mod webdriver;

use app_harness::{join_and_connect, reach_prejoin, sign_in, wait_js, DesktopApp, PROBE_CANVAS};
use cli_joiner::Joiner;
use mentorlive_e2e::{Http, Server};
use serde_json::json;
use std::time::{Duration, Instant};

/// Audio packets the CLI has received, from its next stats line (once a second).
fn audio_in(joiner: &mut Joiner) -> u64 {
    let stats = joiner.next("stats", Duration::from_secs(5), |v| v["event"] == "stats");
    stats["stats"]["audioFramesIn"].as_u64().unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_app_holds_a_call_with_the_cli_both_ways() {
    let server = Server::start_default();
    let http = Http::new(&server);
    let (_demo, code) = http.demo_code().await;
    let out = app_harness::output_dir().join("../app-call");
    let _ = std::fs::create_dir_all(&out);
    let recordings = tempfile::tempdir().expect("tmp");

    // The mentor is the CLI, already waiting in the room.
    let mut cli = Joiner::start(
        &server,
        "mentor@example.com",
        &code,
        120.0,
        recordings.path(),
        "from-app",
    );
    cli.wait_for("join", Duration::from_secs(20), |v| v["event"] == "joined");

    // The learner is the app.
    let desktop = DesktopApp::start(500, &[("MENTORLIVE_MOCK_CAPTURE", "1")]);
    let wd = desktop.session().await;
    sign_in(&wd, &server.url, "learner@example.com").await;
    wd.wait("[data-testid=session]", 30).await;
    reach_prejoin(&wd, &code).await;

    // Pre-join: the mock camera plays in the preview, the devices are listed.
    let cameras = wd
        .execute(
            "return document.querySelectorAll('[data-testid=camera-select] option').length",
            json!([]),
        )
        .await;
    assert!(
        cameras.as_u64().unwrap_or(0) >= 1,
        "cameras listed: {cameras}"
    );
    desktop.screenshot(&out.join("1-prejoin.png"));
    let cpu_at = |v: serde_json::Value| v["cpuSeconds"].as_f64().unwrap_or(0.0);
    let before = cpu_at(
        wd.execute("return window.mentorliveProcessFigures()", json!([]))
            .await,
    );
    tokio::time::sleep(Duration::from_secs(4)).await;
    let prejoin_cpu = cpu_at(
        wd.execute("return window.mentorliveProcessFigures()", json!([]))
            .await,
    ) - before;
    println!(
        "pre-join (camera preview and level meter): CPU {:.1} s/min",
        prejoin_cpu * 15.0
    );

    let joined_at = Instant::now();
    join_and_connect(&wd, 30).await;
    cli.wait_for("connected", Duration::from_secs(20), |v| {
        v["event"] == "state" && v["state"] == "connected"
    });

    // The CLI's video is painted: real pixels, not black, changing over time.
    let first = wait_js(&wd, "remote video", PROBE_CANVAS, 20).await;
    println!(
        "first remote frame {} ms after Join",
        joined_at.elapsed().as_millis()
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let later = wd.execute(PROBE_CANVAS, json!([])).await;
    println!("remote canvas: {first} then {later}");
    assert!(
        later["mean"].as_f64().unwrap_or(0.0) > 10.0,
        "not black: {later}"
    );
    assert_ne!(first["hash"], later["hash"], "the picture moves");
    let partner = wd
        .text(&wd.wait("[data-testid=partner-name]", 5).await)
        .await;
    assert!(partner.contains("Maya Mentor"), "partner named: {partner}");
    desktop.screenshot(&out.join("2-call.png"));

    let before = cpu_at(
        wd.execute("return window.mentorliveProcessFigures()", json!([]))
            .await,
    );
    tokio::time::sleep(Duration::from_secs(4)).await;
    let call_cpu = cpu_at(
        wd.execute("return window.mentorliveProcessFigures()", json!([]))
            .await,
    ) - before;
    println!("in the call: CPU {:.1} s/min", call_cpu * 15.0);

    // Chat crosses the data channel; the clock runs.
    let chat = wd.wait("input[name=chat]", 5).await;
    wd.type_text(&chat, "Hello from the app\u{E007}").await;
    cli.wait_for("chat", Duration::from_secs(10), |v| {
        v["event"] == "chat" && v["message"]["text"] == "Hello from the app"
    });
    tokio::time::sleep(Duration::from_secs(3)).await;
    let clock = wd.text(&wd.wait("[data-testid=elapsed]", 5).await).await;
    assert_ne!(clock, "00:00", "the elapsed time runs");

    // The app's audio reaches the CLI; muting stops it.
    let audio_before_mute = audio_in(&mut cli);
    println!("cli stats: {}", Joiner::last_stats(&cli.seen));
    println!("app media stats: {}", wd.execute("return [window.mentorliveCall, window.mentorliveCall.audioState(), window.mentorliveEngineStats]", json!([])).await);
    assert!(
        audio_before_mute > 50,
        "the app's audio arrived: {audio_before_mute} packets"
    );
    let mute = wd.wait("[data-testid=toggle-mute]", 5).await;
    wd.click(&mute).await;
    cli.wait_for("mute notice", Duration::from_secs(5), |v| {
        v["event"] == "partner_media" && v["state"]["audioMuted"] == true
    });
    tokio::time::sleep(Duration::from_secs(1)).await;
    let muted_from = audio_in(&mut cli);
    tokio::time::sleep(Duration::from_secs(3)).await;
    let muted_to = audio_in(&mut cli);
    println!("audio packets at the CLI: {audio_before_mute} before mute; {muted_from} → {muted_to} over 3 s muted");
    assert!(
        muted_to - muted_from <= 3,
        "muted, the app sends no audio ({muted_from} → {muted_to})"
    );
    desktop.screenshot(&out.join("3-muted.png"));

    // Hang up ends both sides.
    let stats = wd.execute("return window.mentorliveCall", json!([])).await;
    println!("app media stats: {stats}");
    let hang_up = wd.wait("[data-testid=hang-up]", 5).await;
    wd.click(&hang_up).await;
    wd.wait("[data-testid=session]", 15).await;
    cli.wait_for("partner left", Duration::from_secs(10), |v| {
        v["event"] == "peer_left" && v["reason"] == "left"
    });
    cli.interrupt();
    let events = cli.finish();
    let recorded = events
        .iter()
        .find(|v| v["event"] == "recorded")
        .cloned()
        .unwrap_or_default();
    let video = media::decoded_frames(&recordings.path().join("from-app.ivf"), "v");
    let audio = media::decoded_frames(&recordings.path().join("from-app.ogg"), "a");
    println!("the CLI recorded from the app: {recorded}; ffprobe decodes {video} video frames, {audio} audio packets");
    assert!(video >= 30, "the app's video decodes: {video} frames");
    assert!(audio >= 100, "the app's audio decodes: {audio} packets");
    wd.quit().await;

    // Nothing the app wrote (settings, logs) holds a secret in the clear:
    // no sign-in token (43 base64url characters), no bridge secret (64 hex),
    // no bearer header. A long unbroken run of such characters is one.
    // (WebKit's own storage under the same folders is not ours to check.)
    let files: Vec<_> = desktop
        .files()
        .into_iter()
        .filter(|(p, _)| {
            let p = p.to_string_lossy();
            p.contains("/logs/") || p.contains("settings")
        })
        .collect();
    assert!(
        files
            .iter()
            .any(|(p, _)| p.to_string_lossy().contains("log")),
        "the app wrote logs: {:?}",
        files.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>()
    );
    for (path, text) in &files {
        assert!(
            !text.contains("Bearer") && !text.contains("secret="),
            "{}",
            path.display()
        );
        let longest = text
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
            .map(str::len)
            .max()
            .unwrap_or(0);
        assert!(longest < 40, "a token-like string in {}", path.display());
    }
}
