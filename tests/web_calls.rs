//! Calls in the platform's web client, as a person makes them: Debian's
//! Chromium opens the server's own pages (the invitation `/join/CODE`,
//! sign-in, pre-join, the call) with a fake camera and microphone, and
//! meets the other web client or `mentorlive-cli`.

use mentorlive_engine::{CallEvent, CallState};
use mentorlive_protocol::signaling::LeaveReason;
use mentorlive_testkit::chromium::WebClient;
use mentorlive_testkit::cli_joiner::{in_state, peer_left};
use mentorlive_testkit::{Http, Joiner, ServerOptions, TestServer};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::time::Duration;

/// One browser call at a time: three Chromiums and a CLI at once on two
/// cores starve each other's media, and the test would measure that.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn shots() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../test-output/web");
    std::fs::create_dir_all(&dir).expect("test-output/web");
    dir
}

/// A line of `text` in the page's chat, from `who` ("me" or "partner").
fn chat_line_js(who: &str, text: &str) -> String {
    format!(
        "[...document.querySelectorAll('[data-testid=chat-lines] li.{who}')].some(l => l.textContent.includes({}))",
        json!(text)
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn two_web_clients_meet_through_the_invitation_and_hang_up() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let server = TestServer::start_default();
    let out = shots();

    // The mentor starts the live session on the web and copies the invitation.
    let mut mentor = WebClient::start("mentor", false);
    mentor.open(&format!("{}/", server.url));
    mentor.sign_in("mentor@example.com");
    mentor.wait_for(
        "the sessions",
        "!!document.querySelector('[data-testid=session]')",
        20,
    );
    mentor.assert_accessible("sessions");
    mentor.click("text=Start Live Session");
    mentor.click("[data-testid=confirm-start]");
    mentor.wait_for(
        "the code",
        "!!document.querySelector('[data-testid=live-code]')",
        20,
    );
    mentor.click("[data-testid=copy-link]");
    let invitation = mentor
        .eval("navigator.clipboard.readText()")
        .as_str()
        .expect("the invitation")
        .to_owned();
    let code = mentor.eval("document.querySelector('[data-testid=live-code]').dataset.code");
    assert_eq!(
        invitation,
        format!("{}/join/{}", server.url, code.as_str().expect("code")),
        "the invitation is the server's page for the code"
    );
    mentor.assert_accessible("live code");
    mentor.screenshot(&out.join("web-mentor-code.png"));
    mentor.click("[data-testid=join-now]");
    mentor.join_from_prejoin();

    // The learner opens the invitation: the page offers the app and the browser.
    let mut learner = WebClient::start("learner", false);
    learner.open(&invitation);
    learner.wait_for(
        "the invitation page",
        "!!document.querySelector('[data-testid=invitation]')",
        20,
    );
    let invitation_text = learner.eval("document.body.innerText");
    assert!(
        !invitation_text
            .as_str()
            .unwrap_or_default()
            .contains("Demo mentoring session"),
        "nothing about the session before a sign-in: {invitation_text}"
    );
    learner.assert_accessible("invitation");
    learner.screenshot(&out.join("web-invitation.png"));
    learner.join_from_invitation(&invitation, "learner@example.com");
    mentor.wait_connected(30);
    learner.wait_connected(30);

    // Each plays the other's camera.
    for (who, client) in [("mentor", &mut mentor), ("learner", &mut learner)] {
        client.wait_remote_video("the partner's video", 30, 20);
        let inbound = client.inbound();
        assert!(
            inbound["audio"]["packetsReceived"].as_u64().unwrap_or(0) > 50,
            "{who} hears the partner: {inbound}"
        );
    }

    // Chat both ways, and mute seen by the partner.
    learner.send_chat("Hello from the learner");
    mentor.wait_for(
        "the learner's line",
        &chat_line_js("partner", "Hello from the learner"),
        10,
    );
    mentor.send_chat("Hi, welcome");
    learner.wait_for(
        "the mentor's line",
        &chat_line_js("partner", "Hi, welcome"),
        10,
    );
    learner.click("[data-testid=toggle-mute]");
    mentor.wait_for(
        "the learner shown muted",
        "!!document.querySelector('[data-testid=partner-muted]')",
        10,
    );
    mentor.assert_accessible("call");
    mentor.screenshot(&out.join("web-call-mentor.png"));
    learner.screenshot(&out.join("web-call-learner.png"));

    // No request of either page carried a Referer (the code is in the address).
    for client in [&mut mentor, &mut learner] {
        let requests = client.run(json!({"do": "requests"}));
        let with_referer: Vec<&Value> = requests
            .as_array()
            .expect("requests")
            .iter()
            .filter(|r| !r["referer"].is_null())
            .collect();
        assert!(with_referer.is_empty(), "{with_referer:?}");
    }

    // The learner hangs up: the mentor is told.
    learner.click("[data-testid=hang-up]");
    mentor.wait_for(
        "the partner gone",
        "!!document.querySelector('[data-testid=partner-left]')",
        15,
    );
    let problems = mentor.run(json!({"do": "problems"}));
    assert_eq!(problems, json!([]), "the mentor's page had no errors");

    // The learner's page sent its call report, from the browser's getStats().
    let http = Http::new(&server);
    let demo = http.demo().await;
    let report =
        mentorlive_testkit::reports::wait_for_report(&http, &demo.learner, &demo.session_id, "web")
            .await;
    println!("the web client's report: {report}");
    assert!(report["connectedAt"].is_string(), "it connected: {report}");
    assert_eq!(report["candidateType"], "host", "loopback");
    assert_eq!(report["endReason"], "hangup");
    assert!(report["video"]["framesReceived"].as_u64().unwrap_or(0) > 0);
    assert!(
        report["mos"].as_f64().unwrap_or(0.0) >= 4.0,
        "a clean loopback"
    );
    mentor.close();
    learner.close();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_phone_browser_calls_the_cli_from_the_invitation() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let server = TestServer::start_default();
    let http = Http::new(&server);
    let (_demo, code) = http.demo_code().await;
    let out = shots();
    let recordings = tempfile::tempdir().expect("dir");

    let mut mentor = Joiner::start(
        &server,
        "mentor@example.com",
        &code,
        40.0,
        recordings.path(),
        "mentor-cli",
    );
    mentor.wait_joined();

    let mut phone = WebClient::start("phone", true);
    let invitation = format!("{}/join/{code}", server.url);
    phone.open(&invitation);
    phone.wait_for(
        "the invitation page",
        "!!document.querySelector('[data-testid=join-in-browser]')",
        20,
    );
    phone.screenshot(&out.join("phone-1-invitation.png"));
    phone.click("[data-testid=join-in-browser]");
    phone.wait_for(
        "the sign-in form",
        "!!document.querySelector('[data-testid=signin-form]')",
        20,
    );
    phone.assert_accessible("sign-in");
    phone.screenshot(&out.join("phone-2-sign-in.png"));
    phone.sign_in("learner@example.com");
    phone.wait_for(
        "the pre-join screen",
        "!!document.querySelector('[data-testid=prejoin-session]')",
        20,
    );
    phone.wait_for(
        "the camera preview",
        "(document.querySelector('[data-testid=prejoin-preview]')?.videoWidth ?? 0) > 0",
        20,
    );
    phone.assert_accessible("pre-join");
    phone.screenshot(&out.join("phone-3-prejoin.png"));
    phone.join_from_prejoin();
    phone.wait_connected(30);
    mentor.wait_for(
        "connected",
        Duration::from_secs(20),
        in_state(CallState::Connected),
    );
    phone.wait_remote_video("the CLI's video", 30, 20);
    phone.assert_accessible("call");
    phone.screenshot(&out.join("phone-4-call.png"));

    // Nothing on the phone is wider than the phone, and every control is
    // big enough for a finger.
    let layout = phone.eval(
        "(() => { const w = document.documentElement.clientWidth; \
          const wide = [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > w + 1).map(e => e.tagName + '.' + e.className); \
          const small = [...document.querySelectorAll('button, a, input, select')].filter(e => { const r = e.getBoundingClientRect(); return r.width > 0 && (r.height < 44 || r.width < 44); }).map(e => e.textContent || e.getAttribute('aria-label') || e.name); \
          return { width: w, wide, small }; })()",
    );
    assert_eq!(layout["wide"], json!([]), "nothing overflows: {layout}");
    assert_eq!(
        layout["small"],
        json!([]),
        "touch targets of 44 px: {layout}"
    );

    // The chat reaches the CLI.
    phone.send_chat("Hi from my phone");
    mentor.wait_for(
        "the phone's chat",
        Duration::from_secs(10),
        |e| matches!(e, CallEvent::Chat { message } if message.text == "Hi from my phone"),
    );
    // The phone's camera reaches the CLI: 60 frames of it. (A fixed sleep read
    // 58-63 frames by the last stats line, against 60 asked.)
    mentor.wait_for(
        "the phone's video",
        Duration::from_secs(20),
        |e| matches!(e, CallEvent::Stats { stats } if stats.video_frames_in >= 60),
    );
    phone.click("[data-testid=hang-up]");
    mentor.wait_for(
        "the phone left",
        Duration::from_secs(15),
        peer_left(LeaveReason::Left),
    );
    mentor.interrupt();
    mentor.finish();
    phone.close();
}

#[tokio::test(flavor = "multi_thread")]
async fn the_invitation_page_says_what_is_wrong_with_a_code() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let server = TestServer::start(ServerOptions {
        live_code_ttl: Some(2),
        ..Default::default()
    });
    let http = Http::new(&server);
    let (_demo, expired) = http.demo_code().await;
    let mut page = WebClient::start("stranger", false);

    // The downloads page, from the invitation: nothing published here.
    page.open(&format!("{}/join/{expired}", server.url));
    page.click("[data-testid=get-app]");
    page.wait_for(
        "the downloads page",
        "!!document.querySelector('[data-testid=no-downloads]')",
        20,
    );
    page.assert_accessible("downloads");

    // An outsider with their own account: the code is not theirs.
    page.open(&format!("{}/", server.url));
    page.wait_for(
        "the sign-in form",
        "!!document.querySelector('[data-testid=switch-account-mode]')",
        20,
    );
    page.click("[data-testid=switch-account-mode]");
    page.fill("input[name=name]", "Stranger");
    page.fill("input[name=email]", "stranger@example.com");
    page.fill("input[name=password]", "a long password");
    page.click("[data-testid=account-submit]");
    page.wait_for(
        "signed in",
        "document.body.innerText.includes('Sign out')",
        20,
    );
    let cases = [
        (format!("/join/{expired}"), "belongs to someone else"),
        ("/join/ABCD-EFG0".to_owned(), "not complete"),
        (
            "/join/ZZZZ-ZZZZ".to_owned(),
            "no live session with this code",
        ),
    ];
    for (path, words) in cases {
        page.open(&format!("{}{path}", server.url));
        // The invitation page, or the notice for a link that is not one.
        page.wait_for(
            "the page to settle",
            "!!document.querySelector('[data-testid=join-in-browser], [data-testid=link-notice]')",
            20,
        );
        if page.has("[data-testid=join-in-browser]") {
            page.click("[data-testid=join-in-browser]");
        }
        page.wait_for(
            words,
            &format!("document.body.innerText.includes({})", json!(words)),
            20,
        );
        assert!(
            !page.has("[data-testid=prejoin-session]"),
            "{path}: no session shown"
        );
    }

    // The code's own participant, after it expired.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let mut learner = WebClient::start("learner", false);
    learner.open(&format!("{}/join/{expired}", server.url));
    learner.click("[data-testid=join-in-browser]");
    learner.sign_in("learner@example.com");
    learner.wait_for(
        "the expiry in words",
        "document.body.innerText.includes('This code has expired')",
        20,
    );
    page.close();
    learner.close();
}

#[tokio::test(flavor = "multi_thread")]
async fn the_keyboard_alone_joins_from_the_invitation_and_sign_out_forgets_the_token() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let server = TestServer::start_default();
    let http = Http::new(&server);
    let (_demo, code) = http.demo_code().await;
    let mut page = WebClient::start("keyboard", false);
    page.open(&format!("{}/join/{code}", server.url));
    page.wait_for(
        "the invitation page",
        "!!document.querySelector('[data-testid=join-in-browser]')",
        20,
    );
    page.tab_to("join-in-browser", 10);
    page.press("Enter");
    // The sign-in form puts the focus on the email field.
    page.wait_for(
        "the email field focused",
        "document.activeElement?.name === 'email'",
        20,
    );
    page.type_text("learner@example.com");
    page.press("Tab");
    page.type_text("mentorlive");
    page.press("Enter");
    page.wait_for(
        "an enabled Join button",
        "(() => { const b = document.querySelector('[data-testid=join-call]'); return b && !b.disabled; })()",
        30,
    );
    page.tab_to("join-call", 25);
    page.press("Enter");
    page.wait_for(
        "the call screen",
        "!!document.querySelector('[data-testid=call]')",
        20,
    );
    // M mutes, from the keyboard.
    page.run(json!({"do": "eval", "js": "document.activeElement?.blur()"}));
    page.press("m");
    page.wait_for(
        "muted",
        "document.querySelector('[data-testid=toggle-mute]')?.getAttribute('aria-pressed') === 'true'",
        10,
    );
    page.tab_to("hang-up", 25);
    page.press("Enter");

    // Sign out: the token is gone from the tab and from the server.
    page.wait_for(
        "the sessions",
        "document.body.innerText.includes('Sign out')",
        20,
    );
    let token = page.eval("sessionStorage.getItem('mentorlive.token')");
    let token = token.as_str().expect("a token while signed in").to_owned();
    page.click("text=Sign out");
    page.wait_for(
        "the sign-in form",
        "!!document.querySelector('[data-testid=signin-form]')",
        20,
    );
    assert_eq!(
        page.eval("sessionStorage.getItem('mentorlive.token')"),
        Value::Null
    );
    let me = reqwest::Client::new()
        .get(format!("{}/api/auth/me", server.url))
        .bearer_auth(&token)
        .send()
        .await
        .expect("me");
    assert_eq!(me.status(), 401, "the server forgot the token too");
    page.close();
}
