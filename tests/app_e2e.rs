//! The real desktop app, end to end: the debug binary under Xvfb, driven by
//! tauri-driver and WebKitWebDriver, against the reference server, with the
//! OS keychain (scripts/test.sh runs the suite inside a session bus with an
//! unlocked Secret Service). Screenshots of each screen go to
//! `$CARGO_TARGET_DIR/test-output/app-e2e/`.

use mentorlive_testkit::app::{click_text, output_dir, sign_in, wait_js, DesktopApp, WebDriver};
use mentorlive_testkit::{Http, TestServer};
use serde_json::json;
use std::process::{Command, Stdio};
use std::time::Duration;

fn clipboard(display: &str) -> String {
    let out = Command::new("xclip")
        .args(["-o", "-selection", "clipboard"])
        .env("DISPLAY", display)
        .output()
        .expect("xclip");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn mentor_starts_a_live_session_and_the_learner_reaches_pre_join_by_code_and_by_link() {
    let server = TestServer::start_default();
    let http = Http::new(&server);
    let out = output_dir();
    let desktop = DesktopApp::start(90, &[]);
    let display = desktop.display.clone();
    let app = desktop.binary.clone();
    let env = desktop.env.clone();
    let wd = desktop.session().await;

    // Sign in as the demo mentor.
    sign_in(&wd, &server.url, "mentor@example.com").await;
    wd.wait("[data-testid=session]", 30).await;
    desktop.screenshot(&out.join("1-sessions.png"));

    // Start Live Session → confirm → the code appears, and it is the server's.
    click_text(&wd, "button", "Start Live Session").await;
    let confirm = wd.wait("[data-testid=confirm-start]", 10).await;
    desktop.screenshot(&out.join("2-confirm.png"));
    wd.click(&confirm).await;
    let code_el = wd.wait("[data-testid=live-code]", 15).await;
    let code = wd.attr(&code_el, "data-code").await.expect("data-code");
    assert_eq!(
        wd.text(&code_el).await,
        format!("{} {}", &code[..4], &code[4..]),
        "grouped for reading"
    );
    let demo = http.demo().await;
    let session = http
        .get(
            &format!("/api/sessions/{}", demo.session_id),
            Some(&demo.mentor),
        )
        .await;
    assert_eq!(
        session.body["liveSessionCode"],
        code.as_str(),
        "the code on screen is the server's"
    );
    desktop.screenshot(&out.join("3-code.png"));

    // Copy puts it on the X clipboard, and the button says so.
    let copy = wd.wait("[data-testid=copy-code]", 5).await;
    wd.click(&copy).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(wd.text(&copy).await, "Copied");
    assert_eq!(clipboard(&display).trim(), code);

    // Sign out; sign in as the learner; join with the code, typed forgivingly.
    click_text(&wd, "button", "Sign out").await;
    sign_in(&wd, &server.url, "learner@example.com").await;
    wd.wait("[data-testid=session]", 30).await;
    click_text(&wd, "button", "Join with a code").await;
    let input = wd.wait("[data-testid=code-input]", 10).await;
    wd.type_text(
        &input,
        &format!("{}-{}", code[..4].to_lowercase(), &code[4..]),
    )
    .await;
    let go = wd.wait("[data-testid=continue]", 15).await;
    desktop.screenshot(&out.join("4-join-with-code.png"));
    wd.click(&go).await;
    wd.wait("[data-testid=prejoin-session]", 15).await;
    desktop.screenshot(&out.join("5-prejoin.png"));

    // An expired code shows its message.
    let second = http
        .create_session(
            &demo.mentor,
            session.body["mentor"]["id"].as_str().expect("id"),
            session.body["learner"]["id"].as_str().expect("id"),
            "2031-01-01T10:00:00Z",
        )
        .await;
    let expired = http
        .generate(&demo.mentor, second["id"].as_str().expect("id"))
        .await
        .body["code"]
        .as_str()
        .expect("code")
        .to_owned();
    let db = sqlx::SqlitePool::connect(&format!("sqlite://{}", server.db_path.display()))
        .await
        .expect("db");
    sqlx::query("UPDATE sessions SET live_session_expires_at = 1 WHERE live_session_code = $1")
        .bind(&expired)
        .execute(&db)
        .await
        .expect("expire");
    click_text(&wd, "button", "Join with a code").await;
    let input = wd.wait("[data-testid=code-input]", 10).await;
    wd.clear(&input).await;
    wd.type_text(&input, &expired).await;
    let error = wd.wait("[data-testid=code-error]", 15).await;
    assert!(
        wd.text(&error).await.contains("expired"),
        "{}",
        wd.text(&error).await
    );
    desktop.screenshot(&out.join("6-expired.png"));

    // Every camera or microphone the page opens from here on is counted.
    wd.execute(
        // On the prototype: WebKit may drop and remake the `mediaDevices`
        // wrapper object, and a property set on it goes with it.
        "const proto = MediaDevices.prototype; const open = proto.getUserMedia;
         window.openedCapture = 0;
         proto.getUserMedia = function (c) { window.openedCapture += 1; return open.call(this, c); };",
        json!([]),
    )
    .await;
    let open_link = |link: String| {
        let status = Command::new(&app)
            .arg(link)
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("second launch");
        assert!(status.success(), "the second launch hands over and exits");
    };

    // A link to a code that does not validate turns on no camera: any web
    // page can fire one.
    open_link("mentorlive://join/ZZZZ2345".into());
    let refused = wd.wait("[data-testid=prejoin-error]", 15).await;
    assert!(!wd.text(&refused).await.is_empty());
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        wd.execute("return window.openedCapture", json!([])).await,
        json!(0),
        "no capture for a code that did not validate"
    );
    desktop.screenshot(&out.join("7-link-unknown-code.png"));

    // A link handed to a second launch reaches this instance's pre-join
    // screen, and the camera starts once the code is valid.
    open_link(format!("mentorlive://join/{code}"));
    // By its text: the unknown code's pre-join screen has the same element
    // until this one replaces it (found, then gone, it read "").
    wait_js(
        &wd,
        "the link's code on the pre-join screen",
        &format!(
            "return document.querySelector('[data-testid=prejoin-code]')?.textContent === '{} {}'",
            &code[..4],
            &code[4..]
        ),
        15,
    )
    .await;
    wd.wait("[data-testid=prejoin-session]", 15).await;
    wait_js(
        &wd,
        "camera started once the code is valid",
        "return window.openedCapture === 1",
        10,
    )
    .await;
    desktop.screenshot(&out.join("7-link-prejoin.png"));

    // Links in a loop cannot spend the person's checks at the server: after
    // a few, the screen asks before checking.
    open_link("mentorlive://join/YYYY2345".into());
    wd.wait("[data-testid=prejoin-error]", 15).await;
    open_link("mentorlive://join/XXXX2345".into());
    let ask = wd.wait("[data-testid=prejoin-check-first]", 15).await;
    assert!(wd
        .text(&ask)
        .await
        .contains("Check this code only if you meant"));
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert!(
        wd.find("[data-testid=prejoin-error]").await.is_none(),
        "not checked before the person asks"
    );
    desktop.screenshot(&out.join("7-link-check-first.png"));
    let check = wd.wait("[data-testid=prejoin-check]", 5).await;
    wd.click(&check).await;
    wd.wait("[data-testid=prejoin-error]", 15).await;

    // A malformed link is refused with a message, and nothing else happens.
    let _ = Command::new(&app)
        .arg("mentorlive://leave/everything")
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    let notice = wd.wait("[data-testid=link-notice]", 15).await;
    assert!(wd
        .text(&notice)
        .await
        .contains("not a mentorlive invitation"));
    assert!(
        wd.find("[data-testid=prejoin-code]").await.is_some(),
        "still on the same screen"
    );
    desktop.screenshot(&out.join("8-refused-link.png"));
    wd.quit().await;
    tokio::time::sleep(Duration::from_millis(500)).await;

    // A cold start from a link: the learner's sign-in comes back silently
    // from the keychain, and the link opens the pre-join screen.
    let link = format!("mentorlive://join/{code}");
    let wd = WebDriver::start_with_args(&desktop.driver_url, &app, &[link.as_str()]).await;
    let shown = wd.wait("[data-testid=prejoin-code]", 30).await;
    assert_eq!(
        wd.text(&shown).await,
        format!("{} {}", &code[..4], &code[4..])
    );
    wd.wait("[data-testid=prejoin-session]", 15).await;
    let who = wd
        .execute(
            "return document.querySelector('.who')?.textContent ?? ''",
            json!([]),
        )
        .await;
    assert!(
        who.as_str().unwrap_or_default().contains("Leo Learner"),
        "signed in silently: {who}"
    );
    desktop.screenshot(&out.join("9-cold-start-link.png"));
    wd.quit().await;
}

/// `scripts/run.sh` hands its server to the app (`MENTORLIVE_SERVER`): the
/// sign-in screen offers that server, not the default one, and signing in
/// with the offered server works.
#[tokio::test(flavor = "multi_thread")]
async fn the_server_named_at_launch_is_the_one_offered() {
    let server = TestServer::start_default();
    let out = output_dir();
    // Buses of their own: the suite's apps run side by side.
    let desktop = DesktopApp::start_on_bus(200, &[("MENTORLIVE_SERVER", &server.url)], true);
    let wd = desktop.session().await;
    wd.wait("input[name=server]", 30).await;
    let offered = wd
        .execute(
            "return document.querySelector('input[name=server]').value",
            json!([]),
        )
        .await;
    assert_eq!(offered, json!(server.url), "the launch server is offered");
    desktop.screenshot(&out.join("launch-server-sign-in.png"));
    let email = wd.wait("input[name=email]", 5).await;
    wd.type_text(&email, "mentor@example.com").await;
    let password = wd.wait("input[name=password]", 5).await;
    wd.type_text(&password, "mentorlive").await;
    wd.click(&wd.wait("button[type=submit]", 5).await).await;
    wd.wait("[data-testid=session]", 30).await;
}

/// A newcomer without an account creates one from the sign-in screen: the
/// server's refusals are shown in words, and a good form signs them in.
#[tokio::test(flavor = "multi_thread")]
async fn a_new_user_creates_an_account_from_the_app() {
    let server = TestServer::start_default();
    let http = Http::new(&server);
    let out = output_dir();
    let desktop = DesktopApp::start_on_bus(210, &[], true);
    let wd = desktop.session().await;
    let field = wd.wait("input[name=server]", 30).await;
    wd.clear(&field).await;
    wd.type_text(&field, &server.url).await;
    wd.click(&wd.wait("[data-testid=switch-account-mode]", 5).await)
        .await;
    wd.wait("[data-testid=register-form]", 5).await;

    let fill = |name: &'static str, email: &'static str, password: &'static str| {
        let wd = &wd;
        async move {
            for (css, value) in [
                ("input[name=name]", name),
                ("input[name=email]", email),
                ("input[name=password]", password),
            ] {
                let el = wd.wait(css, 5).await;
                wd.clear(&el).await;
                wd.type_text(&el, value).await;
            }
            wd.click(&wd.wait("[data-testid=account-submit]", 5).await)
                .await;
        }
    };
    let error_text = || async {
        let shown = wait_js(
            &wd,
            "an error in words",
            "const e = document.querySelector('[data-testid=signin-error]'); return e ? e.textContent : null",
            15,
        )
        .await;
        shown.as_str().unwrap_or_default().to_owned()
    };

    // An email that already has an account (409 email_taken).
    fill("Nia New", "mentor@example.com", "a-long-password").await;
    let taken = error_text().await;
    assert_eq!(
        taken,
        "There is already an account with this email. Sign in instead."
    );
    desktop.screenshot(&out.join("register-email-taken.png"));
    // A name of spaces only: the server's own words (400 invalid_input).
    fill("   ", "nia@example.com", "a-long-password").await;
    let invalid = wait_js(
        &wd,
        "the server's words",
        "const e = document.querySelector('[data-testid=signin-error]'); return e && !e.textContent.startsWith('There is already') ? e.textContent : null",
        15,
    )
    .await;
    let invalid = invalid.as_str().unwrap_or_default().to_owned();
    assert!(
        invalid.to_lowercase().contains("name"),
        "the server says which field: {invalid}"
    );

    // A good form: the account exists and the newcomer is in.
    fill("Nia New", "nia@example.com", "a-long-password").await;
    wait_js(
        &wd,
        "signed in",
        "return !!document.querySelector('#sessions-title')",
        20,
    )
    .await;
    desktop.screenshot(&out.join("register-signed-in.png"));
    let token = http.login("nia@example.com", "a-long-password").await;
    assert!(!token.is_empty(), "the account works on the server");
}
