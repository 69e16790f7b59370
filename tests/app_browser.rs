//! The desktop app and a browser user of the platform's web app in one call:
//! Debian's Chromium (the contract peer page: its own RTCPeerConnection, the
//! official socket.io-client, fake camera and microphone) as the mentor, the
//! real app (WebKitGTK, WebCodecs, the Rust engine) as the learner. Each
//! decodes the other's video and audio.

#[path = "app_harness.rs"]
mod app_harness;
#[path = "browser_peer.rs"]
mod browser_peer;
#[path = "webdriver.rs"]
mod webdriver;

use app_harness::{
    join_and_connect, output_dir, reach_prejoin, sign_in, wait_js, DesktopApp, PROBE_CANVAS,
};
use browser_peer::{browser_event, start_browser};
use mentorlive_e2e::{Http, Server};
use serde_json::json;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread")]
async fn the_app_and_a_browser_see_and_hear_each_other() {
    let server = Server::start_default();
    let http = Http::new(&server);
    let (demo, code) = http.demo_code().await;
    let out = output_dir().join("../app-browser");
    let _ = std::fs::create_dir_all(&out);

    // The mentor in Chromium, waiting in the room; it reports its inbound
    // stats 6 s after it first decodes the app's video.
    let (mut browser, rx) = start_browser(&server, &demo.mentor, &code, 6);
    let ready = browser_event(&rx, "ready");
    assert_eq!(ready["peers"], 0);

    // The learner in the app.
    let desktop = DesktopApp::start(1300, &[("MENTORLIVE_MOCK_CAPTURE", "1")]);
    let wd = desktop.session().await;
    sign_in(&wd, &server.url, "learner@example.com").await;
    wd.wait("[data-testid=session]", 30).await;
    reach_prejoin(&wd, &code).await;
    join_and_connect(&wd, 40).await;

    // The app paints the browser's camera...
    let first = wait_js(&wd, "remote video", PROBE_CANVAS, 20).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let later = wd.execute(PROBE_CANVAS, json!([])).await;
    assert!(
        later["mean"].as_f64().unwrap_or(0.0) > 10.0,
        "not black: {later}"
    );
    assert_ne!(
        first["hash"], later["hash"],
        "the browser's picture moves in the app"
    );
    desktop.screenshot(&out.join("app-with-browser.png"));

    // ...and the browser decodes the app's.
    browser_event(&rx, "first-frame");
    let stats = browser_event(&rx, "stats");
    let call = wd.execute("return window.mentorliveCall", json!([])).await;
    println!("the app received: {}", call["receiver"]);
    let video = &stats["stats"]["video"];
    let audio = &stats["stats"]["audio"];
    assert!(
        video["framesDecoded"].as_u64().unwrap_or(0) >= 30,
        "the browser decoded the app's video: {video}"
    );
    assert!(
        audio["packetsReceived"].as_u64().unwrap_or(0) >= 100,
        "the browser received the app's audio: {audio}"
    );
    assert_eq!(
        stats["errors"],
        json!([]),
        "no negotiation errors in the page"
    );
    assert!(
        call["receiver"]["audioPacketsDecoded"]
            .as_u64()
            .unwrap_or(0)
            >= 100,
        "the app decoded the browser's audio: {}",
        call["receiver"]
    );
    assert!(browser.wait().expect("node").success());
    let hang_up = wd.wait("[data-testid=hang-up]", 5).await;
    wd.click(&hang_up).await;
    wd.quit().await;
}
