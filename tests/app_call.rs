//! A real call from the desktop app: the debug binary under Xvfb with
//! WebKitGTK's mock camera and microphone (switched on by the test-only
//! `MENTORLIVE_MOCK_CAPTURE=1`), WebCodecs in the webview, the media bridge,
//! the Rust engine; on the other side `mentorlive-cli join` with media
//! files, recording what the app sends. Screenshots of pre-join and the
//! call go to `$CARGO_TARGET_DIR/test-output/app-call/`.

use mentorlive_engine::{CallEvent, CallState};
use mentorlive_protocol::signaling::LeaveReason;
use mentorlive_testkit::app::{
    join_and_connect, open_prejoin, output_dir, sign_in, signed_in_at_prejoin, wait_js, DesktopApp,
    PROBE_CANVAS,
};
use mentorlive_testkit::cli_joiner::{in_state, peer_left};
use mentorlive_testkit::media::decoded_frames;
use mentorlive_testkit::{CliLine, Http, Joiner, TestServer};
use serde_json::json;
use std::time::{Duration, Instant};

/// One app at a time: three apps with their partners at once are more than
/// two cores carry (the web process stopped answering WebDriver under that
/// load), and a call that cannot keep up proves nothing.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Audio packets the CLI has received, from its next stats line (once a second).
fn audio_in(joiner: &mut Joiner) -> u64 {
    joiner.next_stats(Duration::from_secs(5)).audio_frames_in
}

#[tokio::test(flavor = "multi_thread")]
async fn the_app_holds_a_call_with_the_cli_both_ways() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let server = TestServer::start_default();
    let http = Http::new(&server);
    let (_demo, code) = http.demo_code().await;
    let out = output_dir().join("../app-call");
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
    cli.wait_joined();

    // The learner is the app.
    let desktop = DesktopApp::start(500, &[("MENTORLIVE_MOCK_CAPTURE", "1")]);
    let wd = desktop.session().await;
    signed_in_at_prejoin(&wd, &server.url, "learner@example.com", &code).await;

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
    cli.wait_for(
        "connected",
        Duration::from_secs(20),
        in_state(CallState::Connected),
    );

    // The CLI's video is painted: real pixels, not black, changing over time.
    let first = wait_js(&wd, "remote video", PROBE_CANVAS, 20).await;
    println!(
        "first remote frame {} ms after Join",
        joined_at.elapsed().as_millis()
    );
    // The page's own clock, from Join to each step (the poll above only
    // sees the picture every 200 ms).
    let timeline = wd
        .execute("return window.mentorliveCall?.joinTimeline", json!([]))
        .await;
    println!("the app's join timeline (ms): {timeline}");
    tokio::time::sleep(Duration::from_millis(1500)).await;
    // Where a slow first frame went: frames the engine dropped waiting for
    // a keyframe, and how often it had to ask.
    let engine = wd
        .execute("return window.mentorliveEngineStats", json!([]))
        .await;
    println!(
        "the app's engine: {} frames dropped, {} keyframes asked",
        engine["framesInDropped"], engine["keyframesRequestedByUs"]
    );
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
    cli.wait_for(
        "chat",
        Duration::from_secs(10),
        |e| matches!(e, CallEvent::Chat { message } if message.text == "Hello from the app"),
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    let clock = wd.text(&wd.wait("[data-testid=elapsed]", 5).await).await;
    assert_ne!(clock, "00:00", "the elapsed time runs");

    // Devices mid-call: the other mock microphone.
    // Only the local stream changes (no renegotiation): the CLI's call stays
    // connected and the app's video keeps arriving across the switch.
    let mark = cli.mark();
    wd.click(&wd.wait("[data-testid=toggle-devices]", 5).await)
        .await;
    wd.wait("[data-testid=call-devices]", 5).await;
    println!(
        "before the switch: {}",
        wd.execute("return window.mentorliveCall.videoState()", json!([]))
            .await
    );
    // The camera switch is in tests/app_hang_up.rs, call after call.
    for (select, what) in [("call-microphone-select", "microphone")] {
        let switched = wd
            .execute(
                &format!(
                    "const s = document.querySelector('[data-testid={select}]');
                     const other = [...s.options].map(o => o.value).find(v => v && v !== s.value);
                     if (!other) return null;
                     s.value = other; s.dispatchEvent(new Event('change', {{bubbles: true}}));
                     return other;"
                ),
                json!([]),
            )
            .await;
        assert!(switched.is_string(), "a second mock {what} to switch to");
        wait_js(
            &wd,
            "the switch",
            &format!(
                "return document.querySelector('[data-testid={select}]').value === {switched}"
            ),
            10,
        )
        .await;
        tokio::time::sleep(Duration::from_secs(1)).await;
        println!(
            "after the {what} switch: {}",
            wd.execute("return window.mentorliveCall.videoState()", json!([]))
                .await
        );
    }
    let before_switch = cli.next_stats(Duration::from_secs(5)).video_frames_in;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let after_switch = cli.next_stats(Duration::from_secs(5)).video_frames_in;
    println!("the app's video at the CLI across the device switch: {before_switch} → {after_switch} frames");
    println!(
        "the app's sender after the switch: {}",
        wd.execute(
            "const v = document.querySelector('video.local'); return [window.mentorliveCall.sender, window.mentorliveCall.videoState(), document.querySelector('[data-testid=toggle-camera]').textContent, v.videoWidth, v.paused,
             v.srcObject.getTracks().map(t => [t.kind, t.label, t.readyState, t.muted, t.enabled])]",
            json!([])
        )
        .await
    );
    assert!(
        after_switch - before_switch >= 30,
        "video goes on after the switch ({before_switch} → {after_switch}); the CLI: {:?}; the app's engine: {}",
        Joiner::last_stats(&cli.seen),
        wd.execute("return window.mentorliveEngineStats", json!([])).await
    );
    let reconnects: Vec<_> = cli.seen[mark..]
        .iter()
        .filter_map(CliLine::event)
        .filter(|e| matches!(e, CallEvent::State { state } if *state != CallState::Connected))
        .collect();
    assert!(
        reconnects.is_empty(),
        "no renegotiation or reconnect: {reconnects:?}"
    );
    desktop.screenshot(&out.join("2b-devices.png"));

    // The app's audio reaches the CLI; muting stops it.
    let audio_before_mute = audio_in(&mut cli);
    println!("cli stats: {:?}", Joiner::last_stats(&cli.seen));
    println!("app media stats: {}", wd.execute("return [window.mentorliveCall, window.mentorliveCall.audioState(), window.mentorliveEngineStats]", json!([])).await);
    assert!(
        audio_before_mute > 50,
        "the app's audio arrived: {audio_before_mute} packets"
    );
    let mute = wd.wait("[data-testid=toggle-mute]", 5).await;
    wd.click(&mute).await;
    cli.wait_for(
        "mute notice",
        Duration::from_secs(5),
        |e| matches!(e, CallEvent::PartnerMedia { state } if state.audio_muted),
    );
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
    cli.wait_for(
        "partner left",
        Duration::from_secs(10),
        peer_left(LeaveReason::Left),
    );
    cli.interrupt();
    let events = cli.finish();
    let recorded = events.iter().find_map(CliLine::recorded);
    let video = decoded_frames(&recordings.path().join("from-app.ivf"), "v");
    let audio = decoded_frames(&recordings.path().join("from-app.ogg"), "a");
    println!("the CLI recorded from the app: {recorded:?}; ffprobe decodes {video} video frames, {audio} audio packets");
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
        // The chosen devices' ids are WebKit's salted per-app hashes, long
        // but no secret: left out of the token check.
        let text = &match serde_json::from_str::<serde_json::Value>(text) {
            Ok(serde_json::Value::Object(mut settings)) => {
                for device in ["cameraId", "microphoneId", "speakerId"] {
                    settings.remove(device);
                }
                serde_json::Value::Object(settings).to_string()
            }
            _ => text.clone(),
        };
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

/// A desktop with no camera and no microphone (no mock devices): pre-join
/// says what the partner will and will not get, Join works, the app sees and
/// hears the partner and sends nothing, and the partner is told why.
#[tokio::test(flavor = "multi_thread")]
async fn an_app_without_camera_or_microphone_joins_to_watch_and_listen() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let server = TestServer::start_default();
    let http = Http::new(&server);
    let (_demo, code) = http.demo_code().await;
    let out = output_dir().join("../app-call");
    let _ = std::fs::create_dir_all(&out);
    let recordings = tempfile::tempdir().expect("tmp");
    let mut cli = Joiner::start(
        &server,
        "mentor@example.com",
        &code,
        60.0,
        recordings.path(),
        "from-deviceless-app",
    );
    cli.wait_joined();

    // A bus of its own: on the shared one, this second app would be handed
    // over to the first (single instance).
    let desktop = DesktopApp::start_on_bus(520, &[], true);
    let wd = desktop.session().await;
    sign_in(&wd, &server.url, "learner@example.com").await;
    wd.wait("[data-testid=session]", 30).await;
    open_prejoin(&wd, &code).await;
    let note = wd
        .text(&wd.wait("[data-testid=missing-devices]", 15).await)
        .await;
    assert!(
        note.contains("You can still join") && note.contains("Maya Mentor"),
        "pre-join says what the partner gets: {note}"
    );
    desktop.screenshot(&out.join("3-prejoin-without-devices.png"));
    join_and_connect(&wd, 30).await;

    // The partner is told: no microphone, no camera.
    let told = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        cli.wait_for("media state", Duration::from_secs(20), |e| {
            matches!(e, CallEvent::PartnerMedia { state } if state.audio_muted && state.video_off)
        })
    }));
    if told.is_err() {
        for (path, text) in desktop.files() {
            if path.to_string_lossy().contains("/logs/") {
                println!("{}:\n{text}", path.display());
            }
        }
        println!("app: {}", wd.execute("return [window.mentorliveEngineStats, document.querySelector('[data-testid=call]')?.dataset.state, document.querySelector('[data-testid=call-error]')?.textContent]", json!([])).await);
        panic!("the partner was not told the media state");
    }
    // The app paints the partner and hears them.
    let painted = wait_js(&wd, "remote video", PROBE_CANVAS, 20).await;
    assert!(
        painted["mean"].as_f64().unwrap_or(0.0) > 10.0,
        "not black: {painted}"
    );
    let heard = wait_js(
        &wd,
        "partner's audio",
        "const s = window.mentorliveEngineStats; return s && s.audioFramesIn > 50 ? s : null",
        15,
    )
    .await;
    println!("deviceless app's engine: {heard}");
    let partner = wd
        .text(&wd.wait("[data-testid=partner-name]", 5).await)
        .await;
    assert!(partner.contains("Maya Mentor"), "partner shown: {partner}");
    desktop.screenshot(&out.join("4-call-without-devices.png"));
    // Nothing comes from the app.
    let stats = cli.next_stats(Duration::from_secs(5));
    assert_eq!(stats.video_frames_in, 0, "no video sent: {stats:?}");
    assert_eq!(stats.audio_frames_in, 0, "no audio sent: {stats:?}");
}

/// The app waits alone in the call with its window hidden; when the partner
/// joins, the desktop's notification daemon (dunst, on the app's own
/// session bus) shows "… joined", and a click on it shows the call again.
#[tokio::test(flavor = "multi_thread")]
async fn the_partner_arriving_is_announced_by_a_notification() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let server = TestServer::start_default();
    let http = Http::new(&server);
    let (_demo, code) = http.demo_code().await;
    let recordings = tempfile::tempdir().expect("tmp");
    let desktop = DesktopApp::start_on_bus(540, &[("MENTORLIVE_MOCK_CAPTURE", "1")], true);

    // dunst runs a script for every notification it shows: that is our record.
    let seen = recordings.path().join("notifications.txt");
    let script = recordings.path().join("record.sh");
    std::fs::write(
        &script,
        format!("#!/bin/sh\necho \"$2|$3\" >> {}\n", seen.display()),
    )
    .expect("script");
    std::process::Command::new("chmod")
        .args(["+x"])
        .arg(&script)
        .status()
        .expect("chmod");
    let config = recordings.path().join("dunstrc");
    std::fs::write(
        &config,
        format!(
            "[global]\n    timeout = 30\n[record]\n    summary = \"*\"\n    script = {}\n",
            script.display()
        ),
    )
    .expect("dunstrc");
    let mut dunst = std::process::Command::new("dunst")
        .arg("-config")
        .arg(&config)
        .envs(desktop.env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("dunst (Debian's package) is installed");

    let wd = desktop.session().await;
    signed_in_at_prejoin(&wd, &server.url, "learner@example.com", &code).await;
    wd.click(&wd.wait("[data-testid=join-call]", 10).await)
        .await;
    wait_js(
        &wd,
        "waiting alone",
        "return document.querySelector('[data-testid=call]')?.dataset.state === 'waiting_for_peer'",
        20,
    )
    .await;
    // The person puts mentorlive away: its window is hidden (unmapped).
    let hidden = std::process::Command::new("xdotool")
        .args([
            "search",
            "--sync",
            "--onlyvisible",
            "--name",
            "mentorlive",
            "windowunmap",
            "%@",
        ])
        .envs(desktop.env.iter().map(|(k, v)| (*k, v.as_str())))
        .status()
        .expect("xdotool (Debian's package) is installed");
    assert!(hidden.success(), "the window could be hidden");
    let mut cli = Joiner::start(
        &server,
        "mentor@example.com",
        &code,
        30.0,
        recordings.path(),
        "announced",
    );
    cli.wait_for(
        "connected",
        Duration::from_secs(30),
        in_state(CallState::Connected),
    );
    let deadline = Instant::now() + Duration::from_secs(15);
    let shown = loop {
        let text = std::fs::read_to_string(&seen).unwrap_or_default();
        if !text.is_empty() || Instant::now() > deadline {
            break text;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    println!("notifications: {shown:?}");
    assert!(
        shown.contains("Maya Mentor joined") && shown.contains("Your live session has started."),
        "the desktop showed the arrival: {shown:?}"
    );
    // A click on it (dunst's default action) brings the call to the front.
    let clicked = std::process::Command::new("dunstctl")
        .arg("action")
        .envs(desktop.env.iter().map(|(k, v)| (*k, v.as_str())))
        .status()
        .expect("dunstctl");
    assert!(clicked.success(), "dunst took the click");
    let shown_again = std::process::Command::new("timeout")
        .args([
            "10",
            "xdotool",
            "search",
            "--sync",
            "--onlyvisible",
            "--name",
            "mentorlive",
        ])
        .envs(desktop.env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdout(std::process::Stdio::null())
        .status()
        .expect("xdotool");
    assert!(shown_again.success(), "the call's window is shown again");
    let _ = dunst.kill();
    let _ = dunst.wait();
}
