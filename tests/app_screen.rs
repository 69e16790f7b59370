//! Screen sharing in the desktop app under Xvfb: the partner's share shown
//! large (fit, or at 100 % to read small text), and ours sent from
//! WebKitGTK's getDisplayMedia. The tests switch on WebKit's mock capture
//! devices (`MENTORLIVE_MOCK_CAPTURE=1`), which include a mock screen, so
//! the share needs no desktop portal; without them, the portal's absence is
//! what the person is told. Screenshots go to
//! `$CARGO_TARGET_DIR/test-output/app-screen/`.

use mentorlive_engine::CallEvent;
use mentorlive_testkit::app::{
    assert_accessible, join_and_connect, open_prejoin, output_dir, sign_in, signed_in_at_prejoin,
    wait_js, DesktopApp,
};
use mentorlive_testkit::chromium::WebClient;
use mentorlive_testkit::media::{decoded_frames, fixtures, video_size};
use mentorlive_testkit::{CliLine, Http, Joiner, TestServer};
use serde_json::json;
use std::ffi::OsStr;
use std::time::Duration;

fn screenshots() -> std::path::PathBuf {
    let out = output_dir().join("../app-screen");
    let _ = std::fs::create_dir_all(&out);
    out
}

/// The partner's screen shares as the CLI saw them.
fn partner_screens(lines: &[CliLine]) -> Vec<bool> {
    lines
        .iter()
        .filter_map(CliLine::event)
        .filter_map(|e| match e {
            CallEvent::PartnerScreen { share } => Some(share.active),
            _ => None,
        })
        .collect()
}

/// One app at a time: two apps and their partners at once are more than two
/// cores carry, and a call that cannot connect in time proves nothing.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

const SCREEN_FRAMES: &str = "return (window.mentorliveCall?.receiver?.screenFramesDecoded ?? 0)";

#[tokio::test(flavor = "multi_thread")]
async fn the_partners_screen_shows_large_and_at_100_percent_with_their_camera_small() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let server = TestServer::start_default();
    let http = Http::new(&server);
    let (_demo, code) = http.demo_code().await;
    let out = screenshots();
    let recordings = tempfile::tempdir().expect("tmp");
    let screen = fixtures().screen.clone();
    // The mentor is the CLI: it shares a page of small text for 12 s, from
    // 1 s after the call connects.
    let mut cli = Joiner::start_with(
        &server.url,
        "mentor@example.com",
        &code,
        90.0,
        recordings.path(),
        "from-app",
        &[
            OsStr::new("--screen"),
            screen.as_os_str(),
            OsStr::new("--screen-after"),
            OsStr::new("1s"),
            OsStr::new("--screen-for"),
            OsStr::new("12s"),
        ],
    );
    cli.wait_joined();
    let desktop = DesktopApp::start(560, &[("MENTORLIVE_MOCK_CAPTURE", "1")]);
    let wd = desktop.session().await;
    signed_in_at_prejoin(&wd, &server.url, "learner@example.com", &code).await;
    join_and_connect(&wd, 30).await;

    let caption = wd
        .text(&wd.wait("[data-testid=partner-sharing]", 30).await)
        .await;
    assert!(
        caption.contains("Maya Mentor is sharing"),
        "named: {caption}"
    );
    wait_js(&wd, "screen frames", &format!("{SCREEN_FRAMES} >= 10"), 20).await;
    let figures = wd
        .execute("return window.mentorliveCall.receiver", json!([]))
        .await;
    assert_eq!(figures["screenWidth"], 1280, "{figures}");
    assert_eq!(figures["screenHeight"], 720, "{figures}");
    // The screen's frames never reach the camera's decoder: the camera
    // picture keeps the camera's size.
    assert_eq!(
        figures["width"], 640,
        "the camera stays the camera: {figures}"
    );
    // Their camera goes on, small, beside the screen.
    let camera = wd
        .execute(
            "const c = document.querySelector('[data-testid=remote-video]'); \
             const s = document.querySelector('[data-testid=remote-screen]'); \
             return {tile: c.classList.contains('tile'), camera: c.getBoundingClientRect().width, screen: s.getBoundingClientRect().width}",
            json!([]),
        )
        .await;
    assert_eq!(camera["tile"], true, "{camera}");
    assert!(
        camera["camera"].as_f64().unwrap_or(0.0) * 2.0 < camera["screen"].as_f64().unwrap_or(0.0),
        "the screen large, the camera small: {camera}"
    );
    let decoded_before = wd.execute(SCREEN_FRAMES, json!([])).await;
    assert_accessible(&wd, "call with the partner's screen").await;
    desktop.screenshot(&out.join("1-partner-sharing-fit.png"));

    // 100 %: the page at its own size, scrolled to read the small text.
    wd.click(&wd.wait("[data-testid=screen-size]", 5).await)
        .await;
    let actual = wd
        .execute(
            "const v = document.querySelector('[data-testid=screen-view]'); \
             const s = document.querySelector('[data-testid=remote-screen]'); \
             return {size: v.dataset.size, width: s.getBoundingClientRect().width, scrolls: v.scrollWidth > v.clientWidth}",
            json!([]),
        )
        .await;
    assert_eq!(actual["size"], "actual", "{actual}");
    assert_eq!(
        actual["width"].as_f64().map(f64::round),
        Some(1280.0),
        "1:1: {actual}"
    );
    assert_eq!(
        actual["scrolls"], true,
        "larger than the stage, so it scrolls: {actual}"
    );
    desktop.screenshot(&out.join("2-partner-sharing-100.png"));
    wd.click(&wd.wait("[data-testid=screen-size]", 5).await)
        .await;

    // The share ends: the screen goes, the camera is large again.
    wait_js(
        &wd,
        "the share's end",
        "return !document.querySelector('[data-testid=partner-sharing]') && !document.querySelector('[data-testid=remote-video]').classList.contains('tile')",
        20,
    )
    .await;
    let decoded_after = wd.execute(SCREEN_FRAMES, json!([])).await;
    assert!(
        decoded_after.as_u64() > decoded_before.as_u64(),
        "frames kept coming: {decoded_before} then {decoded_after}"
    );
    desktop.screenshot(&out.join("3-share-ended.png"));

    // The partner leaves: their last picture does not stay behind "Waiting…".
    cli.interrupt();
    drop(cli.finish());
    wait_js(
        &wd,
        "waiting for the partner again",
        "return document.querySelector('[data-testid=call]')?.dataset.state === 'waiting_for_peer'",
        20,
    )
    .await;
    let painted = wd
        .execute(
            "const c = document.querySelector('[data-testid=remote-video]'); \
             const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; \
             let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] !== 0) n++; return n;",
            json!([]),
        )
        .await;
    assert_eq!(
        painted, 0,
        "no pixel of the partner's camera is left painted"
    );
    desktop.screenshot(&out.join("4-partner-left.png"));
    wd.click(&wd.wait("[data-testid=hang-up]", 5).await).await;
    wd.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_app_shares_its_screen_stops_and_shares_again() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let server = TestServer::start_default();
    let http = Http::new(&server);
    let (_demo, code) = http.demo_code().await;
    let out = screenshots();
    let recordings = tempfile::tempdir().expect("tmp");
    let record = recordings.path().join("app-screen.ivf");
    let mut cli = Joiner::start_with(
        &server.url,
        "mentor@example.com",
        &code,
        90.0,
        recordings.path(),
        "from-app",
        &[OsStr::new("--record-screen"), record.as_os_str()],
    );
    cli.wait_joined();
    let desktop = DesktopApp::start(580, &[("MENTORLIVE_MOCK_CAPTURE", "1")]);
    let wd = desktop.session().await;
    signed_in_at_prejoin(&wd, &server.url, "learner@example.com", &code).await;
    join_and_connect(&wd, 30).await;

    for round in 1..=2 {
        // getDisplayMedia needs a gesture: a click on the button is one.
        wd.click(&wd.wait("[data-testid=toggle-share]", 10).await)
            .await;
        wd.wait("[data-testid=sharing-bar]", 15).await;
        cli.wait_for("the app's share", Duration::from_secs(20), |e| {
            matches!(e, CallEvent::PartnerScreen { share } if share.active && share.mid.is_some())
        });
        wait_js(
            &wd,
            "screen frames encoded",
            "return (window.mentorliveCall?.screenSender?.framesEncoded ?? 0) >= 20",
            20,
        )
        .await;
        if round == 1 {
            let bar = wd
                .text(&wd.wait("[data-testid=sharing-bar]", 5).await)
                .await;
            assert!(bar.contains("You are sharing"), "{bar}");
            assert_accessible(&wd, "call while sharing").await;
            desktop.screenshot(&out.join("4-app-sharing.png"));
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
        wd.click(&wd.wait("[data-testid=stop-sharing]", 5).await)
            .await;
        cli.wait_for(
            "the share's end",
            Duration::from_secs(10),
            |e| matches!(e, CallEvent::PartnerScreen { share } if !share.active),
        );
        let gone = wd.find("[data-testid=sharing-bar]").await;
        assert!(gone.is_none(), "the bar goes with the share");
    }
    wd.click(&wd.wait("[data-testid=hang-up]", 5).await).await;
    let lines = cli.finish();
    let shares = partner_screens(&lines);
    assert!(
        shares.starts_with(&[true, false, true, false]),
        "{shares:?}"
    );
    let decoded = decoded_frames(&record, "v");
    println!("the CLI decoded {decoded} frames of the app's screen");
    assert!(decoded >= 30, "{decoded} frames");
    // At least 1280x720 for legible text, at most 1920x1080 by default.
    let (width, height) = video_size(&record);
    println!("the app's screen arrived at {width}x{height}");
    assert!(
        (1280..=1920).contains(&width) && (720..=1080).contains(&height),
        "{width}x{height}"
    );
    wd.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn without_a_desktop_portal_the_app_says_why_it_cannot_share() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let server = TestServer::start_default();
    let http = Http::new(&server);
    let (_demo, code) = http.demo_code().await;
    let recordings = tempfile::tempdir().expect("tmp");
    let mut cli = Joiner::start(
        &server,
        "mentor@example.com",
        &code,
        60.0,
        recordings.path(),
        "from-app",
    );
    cli.wait_joined();
    // No mock devices: the real capture path, and Xvfb has no portal.
    let desktop = DesktopApp::start_on_bus(620, &[], true);
    let wd = desktop.session().await;
    sign_in(&wd, &server.url, "learner@example.com").await;
    wd.wait("[data-testid=session]", 30).await;
    open_prejoin(&wd, &code).await;
    join_and_connect(&wd, 30).await;
    wd.click(&wd.wait("[data-testid=toggle-share]", 10).await)
        .await;
    let notice = wd
        .text(&wd.wait("[data-testid=share-notice]", 15).await)
        .await;
    assert!(notice.contains("desktop portal"), "said in words: {notice}");
    assert!(wd.find("[data-testid=sharing-bar]").await.is_none());
    desktop.screenshot(&screenshots().join("5-no-portal.png"));
    // The call goes on.
    let state = wd
        .execute(
            "return document.querySelector('[data-testid=call]').dataset.state",
            json!([]),
        )
        .await;
    assert_eq!(state, "connected");
    wd.click(&wd.wait("[data-testid=hang-up]", 5).await).await;
    drop(cli.finish());
    wd.quit().await;
}

/// Frames the web client's `<video>` for the partner's screen has shown.
const BROWSER_SCREEN_FRAMES: &str = "(document.querySelector('video[data-testid=remote-screen]')?.getVideoPlaybackQuality().totalVideoFrames ?? 0)";

#[tokio::test(flavor = "multi_thread")]
async fn the_app_and_a_browser_share_their_screens_to_each_other() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let server = TestServer::start_default();
    let http = Http::new(&server);
    let (_demo, code) = http.demo_code().await;
    let out = screenshots();

    // The mentor in the browser: the web client, Chromium's own
    // RTCPeerConnection and getDisplayMedia (a fake screen, accepted by
    // --use-fake-ui-for-media-stream).
    let mut browser = WebClient::start("mentor-browser", false);
    browser.join_from_invitation(&format!("{}/join/{code}", server.url), "mentor@example.com");
    browser.wait_for(
        "the browser waiting in the room",
        "document.querySelector('[data-testid=call]')?.dataset.state === 'waiting_for_peer'",
        30,
    );
    let desktop = DesktopApp::start(640, &[("MENTORLIVE_MOCK_CAPTURE", "1")]);
    let wd = desktop.session().await;
    signed_in_at_prejoin(&wd, &server.url, "learner@example.com", &code).await;
    join_and_connect(&wd, 30).await;
    browser.wait_connected(30);

    // The app shares: the browser shows the track with the announced mid as
    // the screen, and the camera goes on.
    wd.click(&wd.wait("[data-testid=toggle-share]", 10).await)
        .await;
    wd.wait("[data-testid=sharing-bar]", 15).await;
    browser.wait_for(
        "the app's share, named",
        "!!document.querySelector('[data-testid=partner-sharing]')",
        20,
    );
    browser.wait_for(
        "the app's screen playing",
        &format!("{BROWSER_SCREEN_FRAMES} > 20"),
        30,
    );
    let seen = browser.eval(
        "({mid: window.mentorliveWebCall.partnerScreenMid(), \
          width: document.querySelector('video[data-testid=remote-screen]').videoWidth, \
          camera: document.querySelector('video[data-testid=remote-video]').getVideoPlaybackQuality().totalVideoFrames})",
    );
    println!("the browser sees the app's screen: {seen}");
    assert!(
        seen["mid"].is_string(),
        "routed by the announced mid: {seen}"
    );
    assert!(seen["width"].as_u64().unwrap_or(0) >= 1280, "{seen}");
    browser.wait_remote_video(
        "the app's camera beside its screen",
        seen["camera"].as_u64().unwrap_or(0) + 20,
        20,
    );
    browser.assert_accessible("call with the partner's screen");
    browser.screenshot(&out.join("6-browser-sees-app-screen.png"));

    // The browser shares too: both at once.
    browser.click("[data-testid=toggle-share]");
    browser.wait_for(
        "the browser's sharing bar",
        "!!document.querySelector('[data-testid=sharing-bar]')",
        15,
    );
    wd.wait("[data-testid=partner-sharing]", 20).await;
    wait_js(
        &wd,
        "the browser's screen painted",
        &format!("{SCREEN_FRAMES} > 20"),
        30,
    )
    .await;
    let figures = wd
        .execute("return window.mentorliveCall.receiver", json!([]))
        .await;
    println!("the app sees the browser's screen: {figures}");
    assert!(
        figures["screenWidth"].as_u64().unwrap_or(0) >= 1280,
        "{figures}"
    );
    assert_accessible(&wd, "call, both sharing").await;
    desktop.screenshot(&out.join("7-app-sees-browser-screen.png"));

    // The browser stops; the app stops: each side's view follows.
    browser.click("[data-testid=stop-sharing]");
    wait_js(
        &wd,
        "the browser's share gone",
        "return !document.querySelector('[data-testid=partner-sharing]')",
        20,
    )
    .await;
    wd.click(&wd.wait("[data-testid=stop-sharing]", 5).await)
        .await;
    browser.wait_for(
        "the app's share gone",
        "!document.querySelector('[data-testid=partner-sharing]')",
        20,
    );
    let state = browser.eval("document.querySelector('[data-testid=call]').dataset.state");
    assert_eq!(state, "connected", "the call goes on");
    wd.click(&wd.wait("[data-testid=hang-up]", 5).await).await;
    browser.close();
    wd.quit().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_browser_and_the_cli_share_both_ways() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let server = TestServer::start_default();
    let http = Http::new(&server);
    let (_demo, code) = http.demo_code().await;
    let recordings = tempfile::tempdir().expect("tmp");
    let record = recordings.path().join("browser-screen.ivf");
    let screen = fixtures().screen.clone();
    // The browser waits first: the CLI offers first, and the browser's own
    // offer (its share) is answered later, the DTLS role kept.
    let mut browser = WebClient::start("mentor-browser", false);
    browser.join_from_invitation(&format!("{}/join/{code}", server.url), "mentor@example.com");
    browser.wait_for(
        "waiting",
        "document.querySelector('[data-testid=call]')?.dataset.state === 'waiting_for_peer'",
        30,
    );
    let mut cli = Joiner::start_with(
        &server.url,
        "learner@example.com",
        &code,
        60.0,
        recordings.path(),
        "from-browser",
        &[
            OsStr::new("--screen"),
            screen.as_os_str(),
            OsStr::new("--screen-after"),
            OsStr::new("1s"),
            OsStr::new("--record-screen"),
            record.as_os_str(),
        ],
    );
    cli.wait_joined();
    browser.wait_connected(30);
    browser.wait_for(
        "the CLI's screen playing",
        &format!("{BROWSER_SCREEN_FRAMES} > 20"),
        30,
    );
    let width =
        browser.eval("document.querySelector('video[data-testid=remote-screen]').videoWidth");
    assert_eq!(width, 1280, "the page shared, at its size");
    browser.click("[data-testid=toggle-share]");
    cli.wait_for(
        "the browser's share",
        Duration::from_secs(20),
        |e| matches!(e, CallEvent::PartnerScreen { share } if share.active && share.mid.is_some()),
    );
    tokio::time::sleep(Duration::from_secs(4)).await;
    // Each share on an m-line of its own, as the contract says.
    let mids = browser.eval(
        "[window.mentorliveWebCall.screenMid(), window.mentorliveWebCall.partnerScreenMid()]",
    );
    assert!(
        mids[0].is_string() && mids[1].is_string() && mids[0] != mids[1],
        "{mids}"
    );
    browser.click("[data-testid=stop-sharing]");
    cli.wait_for(
        "the browser's share ended",
        Duration::from_secs(10),
        |e| matches!(e, CallEvent::PartnerScreen { share } if !share.active),
    );
    browser.close();
    cli.interrupt();
    let _ = cli.finish();
    let decoded = decoded_frames(&record, "v");
    let (w, h) = video_size(&record);
    println!("the CLI decoded {decoded} frames of the browser's {w}x{h} screen");
    assert!(decoded >= 15, "{decoded} frames");
    assert!(w >= 1280 && h >= 720, "{w}x{h}");
}

/// The app's CPU seconds per minute (its process and WebKit's) over `seconds`.
async fn cpu_per_minute(wd: &mentorlive_testkit::app::WebDriver, seconds: u64) -> f64 {
    let cpu = |v: serde_json::Value| v["cpuSeconds"].as_f64().unwrap_or(0.0);
    let before = cpu(wd
        .execute("return window.mentorliveProcessFigures()", json!([]))
        .await);
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    let after = cpu(wd
        .execute("return window.mentorliveProcessFigures()", json!([]))
        .await);
    (after - before) * 60.0 / seconds as f64
}

/// Benchmark, not a test (`bash scripts/bench-screen.sh`): the app's CPU in
/// a call without and with a screen share of WebKit's mock 1920x1080 screen
/// at 5 and 15 frames/s, and the share's bitrate as the partner received it.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "a benchmark: scripts/bench-screen.sh"]
async fn bench_screen_share() {
    let seconds: u64 = std::env::var("MENTORLIVE_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let server = TestServer::start_default();
    let http = Http::new(&server);
    let (_demo, code) = http.demo_code().await;
    let recordings = tempfile::tempdir().expect("tmp");
    let record = recordings.path().join("app-screen.ivf");
    let mut cli = Joiner::start_with(
        &server.url,
        "mentor@example.com",
        &code,
        600.0,
        recordings.path(),
        "from-app",
        &[OsStr::new("--record-screen"), record.as_os_str()],
    );
    cli.wait_joined();
    let desktop = DesktopApp::start(660, &[("MENTORLIVE_MOCK_CAPTURE", "1")]);
    let wd = desktop.session().await;
    signed_in_at_prejoin(&wd, &server.url, "learner@example.com", &code).await;
    join_and_connect(&wd, 30).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let in_call = cpu_per_minute(&wd, seconds).await;
    println!("screen share | app | in the call, not sharing | {in_call:.1} CPU s/min");
    for fps in [5, 15] {
        wd.execute(&format!("window.mentorliveSetScreenRate({fps})"), json!([]))
            .await;
        wd.click(&wd.wait("[data-testid=toggle-share]", 10).await)
            .await;
        wd.wait("[data-testid=sharing-bar]", 15).await;
        tokio::time::sleep(Duration::from_secs(3)).await;
        let started = std::time::Instant::now();
        let bytes_at = std::fs::metadata(&record).map(|m| m.len()).unwrap_or(0);
        let sharing = cpu_per_minute(&wd, seconds).await;
        let bytes = std::fs::metadata(&record).map(|m| m.len()).unwrap_or(0) - bytes_at;
        let kbps = bytes as f64 * 8.0 / 1000.0 / started.elapsed().as_secs_f64();
        let sender = wd
            .execute("return window.mentorliveCall.screenSender", json!([]))
            .await;
        println!(
            "screen share | app | sharing 1920x1080 at {fps} frames/s | {sharing:.1} CPU s/min (+{:.1}) | {kbps:.0} kbit/s received | sender {sender}",
            sharing - in_call
        );
        wd.click(&wd.wait("[data-testid=stop-sharing]", 5).await)
            .await;
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    wd.click(&wd.wait("[data-testid=hang-up]", 5).await).await;
    cli.interrupt();
    drop(cli.finish());
    wd.quit().await;
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[(((p / 100.0) * sorted.len() as f64) as usize).min(sorted.len() - 1)]
}

/// Benchmark, not a test (`bash scripts/bench-screen.sh`): a mostly still
/// screen shared from one app to another. The sharer keeps the first
/// picture of WebKit's mock screen and changes a strip of it about once a
/// second (the wall clock, painted as cells: ui/src/media/stamp.ts); the
/// partner's app reads the strip where it paints. Change-to-paint delay
/// (the capture timer's wait included) and the bitrate the still screen
/// takes, at 5, 10 (the app's default) and 15 frames/s.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "a benchmark: scripts/bench-screen.sh"]
async fn bench_still_screen_change_to_paint() {
    let seconds: u64 = std::env::var("MENTORLIVE_BENCH_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20);
    let server = TestServer::start_default();
    let http = Http::new(&server);
    let (_demo, code) = http.demo_code().await;
    let mock = [("MENTORLIVE_MOCK_CAPTURE", "1")];
    let viewer_app = DesktopApp::start_on_bus(700, &mock, true);
    let sharer_app = DesktopApp::start_on_bus(1200, &mock, true);
    let mut apps = Vec::new();
    for (app, email) in [
        (&viewer_app, "mentor@example.com"),
        (&sharer_app, "learner@example.com"),
    ] {
        let wd = app.session().await;
        signed_in_at_prejoin(&wd, &server.url, email, &code).await;
        wd.execute(
            "window.mentorliveStampFrames = true; window.mentorliveSetStillScreen(true)",
            json!([]),
        )
        .await;
        wd.click(&wd.wait("[data-testid=join-call]", 10).await)
            .await;
        apps.push(wd);
    }
    let (viewer, sharer) = (&apps[0], &apps[1]);
    for wd in [viewer, sharer] {
        wait_js(
            wd,
            "connected call",
            "return document.querySelector('[data-testid=call]')?.dataset.state === 'connected'",
            40,
        )
        .await;
    }
    let delays = "return window.mentorliveCall.screenChangeToPaintMs.length";
    let out = screenshots();
    for fps in [5, 10, 15] {
        let frames = viewer.execute(SCREEN_FRAMES, json!([])).await;
        let frames = frames.as_u64().unwrap_or(0);
        sharer
            .execute(&format!("window.mentorliveSetScreenRate({fps})"), json!([]))
            .await;
        sharer
            .click(&sharer.wait("[data-testid=toggle-share]", 10).await)
            .await;
        sharer.wait("[data-testid=sharing-bar]", 15).await;
        wait_js(
            viewer,
            "the partner's screen",
            &format!("{SCREEN_FRAMES} > {frames} + 5"),
            20,
        )
        .await;
        tokio::time::sleep(Duration::from_secs(3)).await;
        let from = viewer
            .execute(delays, json!([]))
            .await
            .as_u64()
            .unwrap_or(0);
        let bytes = "return window.mentorliveCall.screenSender.bytesEncoded";
        let bytes_at = sharer
            .execute(bytes, json!([]))
            .await
            .as_f64()
            .unwrap_or(0.0);
        let started = std::time::Instant::now();
        tokio::time::sleep(Duration::from_secs(seconds)).await;
        let sent = sharer
            .execute(bytes, json!([]))
            .await
            .as_f64()
            .unwrap_or(0.0)
            - bytes_at;
        let kbps = sent * 8.0 / 1000.0 / started.elapsed().as_secs_f64();
        let mut ms: Vec<f64> = viewer
            .execute(
                &format!("return window.mentorliveCall.screenChangeToPaintMs.slice({from})"),
                json!([]),
            )
            .await
            .as_array()
            .map(|a| a.iter().filter_map(|v| v.as_f64()).collect())
            .unwrap_or_default();
        ms.sort_by(f64::total_cmp);
        let sender = sharer
            .execute("return window.mentorliveCall.screenSender", json!([]))
            .await;
        println!(
            "still screen | app to app | {fps} frames/s | change to paint p50 {:.0} ms, p95 {:.0} ms over {} changes | {kbps:.0} kbit/s encoded | sender {sender}",
            percentile(&ms, 50.0),
            percentile(&ms, 95.0),
            ms.len()
        );
        viewer_app.screenshot(&out.join(format!("bench-still-viewer-{fps}.png")));
        sharer
            .click(&sharer.wait("[data-testid=stop-sharing]", 5).await)
            .await;
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    for wd in apps {
        wd.quit().await;
    }
}
