//! Call after call in one app, as a mentor with a day of sessions would:
//! the app (debug binary under Xvfb, mock capture) joins `mentorlive-cli`,
//! switches to the other camera mid-call, and hangs up, or is left by its
//! partner first, round after round. After every Hang up the page answers
//! and shows the sessions again.
//!
//! Why: WebKitGTK 2.50 without compositing deadlocked its web process when
//! a track ended under a `<video>` still playing it (`ui/src/media/release.ts`,
//! DEVELOPERS.md): the page froze after about one Hang up in ten, and about
//! one camera switch in ten. Eight rounds give a regression of that rate
//! more than a coin's chance of showing here; `MENTORLIVE_HANG_UP_ROUNDS=30` runs longer.

use mentorlive_testkit::app::{
    join_and_connect, open_prejoin, output_dir, signed_in_at_prejoin, wait_js, DesktopApp,
};
use mentorlive_testkit::{Http, Joiner, ServerOptions, TestServer};
use serde_json::json;
use std::process::Command;
use std::time::{Duration, Instant};

/// Switches the call to the mock camera not in use; returns its device id.
const SWITCH_CAMERA: &str = "
const s = document.querySelector('[data-testid=call-camera-select]');
const other = [...s.options].map(o => o.value).find(v => v && v !== s.value);
if (!other) return null;
s.value = other; s.dispatchEvent(new Event('change', {bubbles: true}));
return other;";

/// Where the page is after Hang up: the sessions, the rating card, or
/// still the call.
const WHERE: &str = "return document.querySelector('[data-testid=session]') ? 'sessions' \
     : document.querySelector('[data-testid=rate-call]') ? 'rate' : 'call'";

/// The threads of a frozen page, for whoever reads the failure: gdb's
/// backtraces of each web process go to `test-output/app-hang-up/`.
fn dump_web_process_stacks(desktop: &DesktopApp) -> String {
    let out = output_dir().join("../app-hang-up");
    let _ = std::fs::create_dir_all(&out);
    let mut written = Vec::new();
    for pid in desktop.processes("WebKitWebProces") {
        let Ok(gdb) = Command::new("gdb")
            .args([
                "-p",
                &pid.to_string(),
                "-batch",
                "-ex",
                "thread apply all bt 60",
            ])
            .output()
        else {
            return "not taken (no gdb)".into();
        };
        let file = out.join(format!("web-process-{pid}.txt"));
        std::fs::write(&file, &gdb.stdout).ok();
        written.push(file.display().to_string());
    }
    written.join(", ")
}

#[tokio::test(flavor = "multi_thread")]
async fn call_after_call_with_a_camera_switch_the_page_answers_after_each_hang_up() {
    let rounds: usize = std::env::var("MENTORLIVE_HANG_UP_ROUNDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(8);
    // Rate limits off: a person does not join eight calls a minute, and the
    // code's validation limit would refuse the ninth here.
    let server = TestServer::start(ServerOptions {
        rate_limit_factor: Some(0.0),
        ..ServerOptions::default()
    });
    let http = Http::new(&server);
    let (_demo, code) = http.demo_code().await;
    let recordings = tempfile::tempdir().expect("tmp");
    let desktop = DesktopApp::start(600, &[("MENTORLIVE_MOCK_CAPTURE", "1")]);
    let wd = desktop.session().await;
    signed_in_at_prejoin(&wd, &server.url, "learner@example.com", &code).await;

    for round in 0..rounds {
        // Three ways a call ends, in turn: Hang up seconds into the call,
        // Hang up after a camera switch, and Hang up once the partner left.
        let switch_camera = round % 3 == 1;
        let partner_leaves_first = round % 3 == 2;
        let mut cli = Joiner::start(
            &server,
            "mentor@example.com",
            &code,
            60.0,
            recordings.path(),
            &format!("round{round}"),
        );
        cli.wait_joined();
        if round > 0 {
            open_prejoin(&wd, &code).await;
        }
        join_and_connect(&wd, 30).await;
        // Sound both ways in every call, not only the first: the calls share
        // one AudioContext, suspended between them (ui/src/media/callAudio.ts).
        wait_js(
            &wd,
            "the call's sound running",
            "return window.mentorliveCall?.audioState() === 'running'",
            10,
        )
        .await;
        let connected = Instant::now();
        let mut heard_before = cli.next_stats(Duration::from_secs(5)).audio_frames_in;
        loop {
            let heard_now = cli.next_stats(Duration::from_secs(5)).audio_frames_in;
            if heard_now - heard_before >= 30 {
                break;
            }
            if connected.elapsed() > Duration::from_secs(5) {
                let sender = wd
                    .execute("return window.mentorliveCall.sender", json!([]))
                    .await;
                panic!("round {round}: the partner does not hear the app 5 s into the call ({} sound packets in the last second); the app's sender: {sender}", heard_now - heard_before);
            }
            heard_before = heard_now;
        }
        println!(
            "round {round}: the partner hears the app {} ms after the call connected",
            connected.elapsed().as_millis()
        );

        if switch_camera {
            // The other camera, mid-call: the partner's video goes on.
            wd.click(&wd.wait("[data-testid=toggle-devices]", 5).await)
                .await;
            let camera = wd.execute(SWITCH_CAMERA, json!([])).await;
            assert!(camera.is_string(), "a second mock camera to switch to");
            wait_js(
            &wd,
            "the camera switch",
            &format!("return document.querySelector('[data-testid=call-camera-select]').value === {camera}"),
            10,
        )
        .await;
            let before = cli.next_stats(Duration::from_secs(5)).video_frames_in;
            tokio::time::sleep(Duration::from_secs(2)).await;
            let after = cli.next_stats(Duration::from_secs(5)).video_frames_in;
            assert!(
            after - before >= 20,
            "round {round}: the app's video goes on after the camera switch ({before} → {after} frames at the partner)"
        );
        } else {
            // Video playing in the self-view, as in most calls' last second.
            tokio::time::sleep(Duration::from_millis(1500 + 400 * (round as u64 % 5))).await;
        }

        let mut partner = Some(cli);
        if let Some(cli) = partner.take_if(|_| partner_leaves_first) {
            cli.interrupt();
            let _ = cli.finish();
            wait_js(
                &wd,
                "the partner gone",
                "return document.querySelector('[data-testid=partner-left]') !== null",
                10,
            )
            .await;
        }
        let pressed = Instant::now();
        wd.click(&wd.wait("[data-testid=hang-up]", 10).await).await;
        // A frozen page answers no script: WebDriver's own limit then ends
        // each try, and the deadline passes.
        let deadline = pressed + Duration::from_secs(15);
        let shown = loop {
            let at = wd
                .execute_within(WHERE, json!([]), Duration::from_secs(5))
                .await;
            if let Some(at) = at.filter(|v| v == "sessions" || v == "rate") {
                break at;
            }
            if Instant::now() > deadline {
                let stacks = dump_web_process_stacks(&desktop);
                panic!(
                    "round {round} (camera switched: {switch_camera}, partner left first: {partner_leaves_first}): the page did not come back from the call within 15 s of Hang up; its web process's threads: {stacks}"
                );
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        };
        println!(
            "round {round} (partner left first: {partner_leaves_first}): {shown} {} ms after Hang up",
            pressed.elapsed().as_millis()
        );
        if shown == "rate" {
            wd.click(&wd.wait("[data-testid=rate-dismiss]", 5).await)
                .await;
            wd.wait("[data-testid=session]", 10).await;
        }
        if let Some(cli) = partner {
            cli.interrupt();
            let _ = cli.finish();
        }
    }
}
