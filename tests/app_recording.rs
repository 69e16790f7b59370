//! Recording in the desktop app under Xvfb, with a `mentorlive-cli`
//! partner: the app asks and records (the file in the user's Videos
//! folder, every track read back by ffprobe), and the app is asked, allows
//! and revokes. Screenshots go to `$CARGO_TARGET_DIR/test-output/app-recording/`.

use mentorlive_engine::machine::{OurRecording, RecordingEnd, TheirRecording};
use mentorlive_engine::CallEvent;
use mentorlive_testkit::app::WebDriver;
use mentorlive_testkit::app::{
    assert_accessible, join_and_connect, output_dir, reach_prejoin, sign_in, wait_js, DesktopApp,
};
use mentorlive_testkit::media::streams;
use mentorlive_testkit::{Http, Joiner, TestServer};
use std::ffi::OsStr;
use std::path::PathBuf;
use std::time::Duration;

fn screenshots() -> PathBuf {
    let out = output_dir().join("../app-recording");
    let _ = std::fs::create_dir_all(&out);
    out
}

/// One app at a time (two cores).
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The CLI as the mentor (with `more` arguments), the app as the learner,
/// in a connected call.
async fn call_with_cli(
    server: &TestServer,
    out: &std::path::Path,
    more: &[&OsStr],
) -> (Joiner, DesktopApp, WebDriver) {
    let http = Http::new(server);
    let (_demo, code) = http.demo_code().await;
    let mut cli = Joiner::start_with(
        &server.url,
        "mentor@example.com",
        &code,
        90.0,
        out,
        "from-app",
        more,
    );
    cli.wait_for("join", Duration::from_secs(20), |e| {
        matches!(e, CallEvent::Joined { .. })
    });
    let desktop = DesktopApp::start(560, &[("MENTORLIVE_MOCK_CAPTURE", "1")]);
    let wd = desktop.session().await;
    sign_in(&wd, &server.url, "learner@example.com").await;
    wd.wait("[data-testid=session]", 30).await;
    reach_prejoin(&wd, &code).await;
    join_and_connect(&wd, 30).await;
    (cli, desktop, wd)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_app_asks_records_and_saves_both_people_in_the_videos_folder() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let server = TestServer::start_default();
    let out = tempfile::tempdir().expect("tmp");
    let shots = screenshots();
    let (mut cli, desktop, wd) =
        call_with_cli(&server, out.path(), &[OsStr::new("--allow-recording")]).await;
    wd.click(&wd.wait("[data-testid=toggle-record]", 10).await)
        .await;
    cli.wait_for("asked", Duration::from_secs(10), |e| {
        matches!(e, CallEvent::Recording { recording } if recording.theirs == TheirRecording::Asking)
    });
    let flag = wd
        .text(&wd.wait("[data-testid=recording-indicator]", 15).await)
        .await;
    assert!(flag.contains("Recording"), "{flag}");
    cli.wait_for("told it records", Duration::from_secs(10), |e| {
        matches!(e, CallEvent::Recording { recording } if recording.theirs == TheirRecording::Recording)
    });
    tokio::time::sleep(Duration::from_secs(6)).await;
    desktop.screenshot(&shots.join("1-recording.png"));
    assert_accessible(&wd, "a call being recorded").await;
    let stop = wd.wait("[data-testid=toggle-record]", 5).await;
    assert_eq!(wd.text(&stop).await, "Stop recording");
    wd.click(&stop).await;
    let notice = wait_js(
        &wd,
        "the recording saved",
        "const n = document.querySelector('[data-testid=recording-notice]')?.textContent ?? ''; return n.startsWith('Recording saved:') ? n : null",
        15,
    )
    .await;
    println!("{notice}");
    cli.wait_for("told it stopped", Duration::from_secs(10), |e| {
        matches!(e, CallEvent::Recording { recording } if recording.ended == Some(RecordingEnd::Stopped))
    });
    desktop.screenshot(&shots.join("2-saved.png"));
    wd.click(&wd.wait("[data-testid=hang-up]", 5).await).await;
    cli.interrupt();
    drop(cli.finish());
    wd.quit().await;

    let files: Vec<_> = std::fs::read_dir(desktop.recordings_dir())
        .expect("the recordings folder")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "webm"))
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let name = files[0]
        .file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned();
    assert!(
        name.ends_with("with Maya Mentor.webm"),
        "named for the partner: {name}"
    );
    let (streams, duration) = streams(&files[0]);
    println!("{name}: {duration:?} s, {streams:#?}");
    let duration = duration.expect("complete");
    assert!((5.0..=12.0).contains(&duration), "{duration} s");
    for (title, at_least) in [
        ("Leo Learner: camera", 60),
        ("Leo Learner: voice", 150),
        ("Maya Mentor: camera", 60),
        ("Maya Mentor: voice", 150),
    ] {
        let s = streams
            .iter()
            .find(|s| s.tags.get("title").map(String::as_str) == Some(title))
            .unwrap_or_else(|| panic!("no {title} track"));
        assert!(
            s.nb_read_frames >= at_least,
            "{title}: {} frames",
            s.nb_read_frames
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_app_is_asked_in_words_allows_and_revokes() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let server = TestServer::start_default();
    let out = tempfile::tempdir().expect("tmp");
    let file = out.path().join("by-the-cli.webm");
    let shots = screenshots();
    let (mut cli, desktop, wd) = call_with_cli(
        &server,
        out.path(),
        &[OsStr::new("--record-call"), file.as_os_str()],
    )
    .await;
    let asked = wd
        .text(&wd.wait("[data-testid=record-request]", 20).await)
        .await;
    assert!(
        asked.contains("Maya Mentor wants to record this call."),
        "{asked}"
    );
    desktop.screenshot(&shots.join("3-asked.png"));
    assert_accessible(&wd, "the request to record").await;
    wd.click(&wd.wait("[data-testid=allow-recording]", 5).await)
        .await;
    cli.wait_for("recording", Duration::from_secs(10), |e| {
        matches!(e, CallEvent::Recording { recording } if recording.ours == OurRecording::Recording)
    });
    let flag = wd
        .text(&wd.wait("[data-testid=partner-recording]", 10).await)
        .await;
    assert!(flag.contains("Maya Mentor is recording"), "{flag}");
    tokio::time::sleep(Duration::from_secs(4)).await;
    desktop.screenshot(&shots.join("4-partner-recording.png"));
    wd.click(&wd.wait("[data-testid=revoke-recording]", 5).await)
        .await;
    cli.wait_for("revoked", Duration::from_secs(10), |e| {
        matches!(e, CallEvent::Recording { recording } if recording.ended == Some(RecordingEnd::Revoked))
    });
    let notice = wd
        .text(&wd.wait("[data-testid=recording-notice]", 10).await)
        .await;
    assert!(notice.contains("You withdrew your consent"), "{notice}");
    desktop.screenshot(&shots.join("5-revoked.png"));
    wd.click(&wd.wait("[data-testid=hang-up]", 5).await).await;
    cli.interrupt();
    drop(cli.finish());
    wd.quit().await;
    let (_, duration) = streams(&file);
    let duration = duration.expect("complete");
    assert!(
        (3.0..=8.0).contains(&duration),
        "the file ends at the revoke: {duration} s"
    );
}
