//! The desktop app and the platform's web client in one call, as two people
//! would make it: the learner starts the live session in the app and copies
//! the invitation; the mentor opens it in Debian's Chromium and joins in the
//! browser (the web client's own RTCPeerConnection, the official
//! socket.io-client, fake camera and microphone). Each sees and hears the
//! other, chat and mute go both ways, and hanging up ends it for both.

use mentorlive_testkit::app::{
    assert_accessible, click_text, output_dir, sign_in, wait_js, DesktopApp, PROBE_CANVAS,
};
use mentorlive_testkit::chromium::{WebClient, INBOUND_JS};
use mentorlive_testkit::TestServer;
use serde_json::json;
use std::process::Command;
use std::time::Duration;

/// What the app put on the clipboard (X11's CLIPBOARD selection).
fn clipboard(display: &str) -> String {
    let out = Command::new("xclip")
        .args(["-selection", "clipboard", "-o"])
        .env("DISPLAY", display)
        .output()
        .expect("xclip");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_app_invites_a_browser_and_they_see_and_hear_each_other() {
    let server = TestServer::start_default();
    let out = output_dir().join("../app-browser");
    let _ = std::fs::create_dir_all(&out);

    // The learner starts the session in the app and copies the invitation.
    let desktop = DesktopApp::start(1300, &[("MENTORLIVE_MOCK_CAPTURE", "1")]);
    let wd = desktop.session().await;
    wd.wait("[data-testid=signin-form]", 30).await;
    assert_accessible(&wd, "sign-in").await;
    sign_in(&wd, &server.url, "learner@example.com").await;
    wd.wait("[data-testid=session]", 30).await;
    assert_accessible(&wd, "sessions").await;
    click_text(&wd, "button", "Start Live Session").await;
    let confirm = wd.wait("[data-testid=confirm-start]", 10).await;
    wd.click(&confirm).await;
    let copy = wd.wait("[data-testid=copy-link]", 15).await;
    wd.click(&copy).await;
    let code = wd
        .execute(
            "return document.querySelector('[data-testid=live-code]').dataset.code",
            json!([]),
        )
        .await;
    let invitation = {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let text = clipboard(&desktop.display);
            if text.contains("/join/") || std::time::Instant::now() > deadline {
                break text;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    };
    assert_eq!(
        invitation,
        format!("{}/join/{}", server.url, code.as_str().expect("code")),
        "Copy invite link copies the server's invitation page"
    );
    assert_accessible(&wd, "live code").await;
    let join_now = wd.wait("[data-testid=join-now]", 5).await;
    wd.click(&join_now).await;
    wait_js(
        &wd,
        "the camera preview",
        "const v = document.querySelector('[data-testid=prejoin-preview]'); return v && v.videoWidth > 0;",
        20,
    )
    .await;
    assert_accessible(&wd, "pre-join").await;
    let join = wd.wait("[data-testid=join-call]", 10).await;
    wd.click(&join).await;

    // The mentor opens it in a browser, without the app.
    let mut browser = WebClient::start("mentor", false);
    browser.join_from_invitation(&invitation, "mentor@example.com");
    browser.wait_connected(40);
    wait_js(
        &wd,
        "a connected call in the app",
        "return document.querySelector('[data-testid=call]')?.dataset.state === 'connected'",
        30,
    )
    .await;

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
    // ...and the browser plays the app's, with its sound.
    browser.wait_remote_video("the app's video", 30, 20);
    browser.wait_for(
        "the app's sound (100 Opus packets)",
        &format!(
            "{}.then(s => (s?.audio?.packetsReceived ?? 0) >= 100)",
            INBOUND_JS
        ),
        20,
    );
    wait_js(
        &wd,
        "the browser's sound decoded in the app (100 Opus packets)",
        "return (window.mentorliveCall?.receiver?.audioPacketsDecoded ?? 0) >= 100",
        20,
    )
    .await;

    // Chat both ways.
    let input = wd.wait("input[name=chat]", 5).await;
    wd.type_text(&input, "Hello from the app\u{E007}").await; // U+E007: WebDriver's Enter
    browser.wait_for(
        "the app's line",
        "[...document.querySelectorAll('[data-testid=chat-lines] li.partner')].some(l => l.textContent.includes('Hello from the app'))",
        10,
    );
    browser.send_chat("Hello from the browser");
    wait_js(
        &wd,
        "the browser's line",
        "return [...document.querySelectorAll('[data-testid=chat-lines] li.partner')].some(l => l.textContent.includes('Hello from the browser'))",
        10,
    )
    .await;

    // Mute both ways.
    browser.click("[data-testid=toggle-mute]");
    wait_js(
        &wd,
        "the mentor shown muted",
        "return !!document.querySelector('[data-testid=partner-muted]')",
        10,
    )
    .await;
    let mute = wd.wait("[data-testid=toggle-mute]", 5).await;
    wd.click(&mute).await;
    browser.wait_for(
        "the learner shown muted",
        "!!document.querySelector('[data-testid=partner-muted]')",
        10,
    );
    assert_accessible(&wd, "call").await;
    desktop.screenshot(&out.join("app-with-browser.png"));
    browser.screenshot(&out.join("browser-with-app.png"));

    // The app hangs up: the browser is told the partner left.
    let hang_up = wd.wait("[data-testid=hang-up]", 5).await;
    wd.click(&hang_up).await;
    browser.wait_for(
        "the app gone",
        "!!document.querySelector('[data-testid=partner-left]')",
        15,
    );
    let problems = browser.run(json!({"do": "problems"}));
    assert_eq!(problems, json!([]), "no errors in the page");
    browser.close();
    wd.quit().await;
}
