//! Recording in the desktop app under Xvfb, with a `mentorlive-cli`
//! partner: the app asks and records (the file in the user's Videos
//! folder, every track read back by ffprobe), and the app is asked, allows
//! and revokes. Screenshots go to `$CARGO_TARGET_DIR/test-output/app-recording/`.

use mentorlive_engine::machine::{OurRecording, RecordingEnd, TheirRecording};
use mentorlive_engine::CallEvent;
use mentorlive_testkit::app::WebDriver;
use mentorlive_testkit::app::{
    assert_accessible, join_and_connect, output_dir, sign_in, signed_in_at_prejoin, wait_js,
    DesktopApp,
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
    before_sign_in: impl FnOnce(&DesktopApp),
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
    cli.wait_joined();
    let desktop = DesktopApp::start(560, &[("MENTORLIVE_MOCK_CAPTURE", "1")]);
    before_sign_in(&desktop);
    let wd = desktop.session().await;
    signed_in_at_prejoin(&wd, &server.url, "learner@example.com", &code).await;
    join_and_connect(&wd, 30).await;
    (cli, desktop, wd)
}

/// A recording cut off mid-write, as the writer leaves it after `kill -9`.
fn write_cut_off_recording(path: &std::path::Path) {
    use mentorlive_recording::{Meta, TrackSpec, WebmWriter};
    let meta = Meta {
        title: "Earlier call".into(),
        started_at_ms: 1_767_603_600_000,
        recorded_by: "Leo Learner".into(),
        partner: "Maya Mentor".into(),
    };
    let file = std::fs::File::create(path).expect("a file");
    let mut writer =
        WebmWriter::create(file, meta, vec![TrackSpec::audio(2, "Leo Learner: voice")])
            .expect("a writer");
    for i in 0..250u64 {
        writer.write(2, i * 20, true, &[0xfc; 40]).expect("written");
    }
    writer.flush(true).expect("flushed");
    // Dropped without finishing: the process died here.
}

#[tokio::test(flavor = "multi_thread")]
async fn the_app_asks_records_and_saves_both_people_in_the_videos_folder() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let server = TestServer::start_default();
    let out = tempfile::tempdir().expect("tmp");
    let shots = screenshots();
    let (mut cli, desktop, wd) = call_with_cli(
        &server,
        out.path(),
        &[OsStr::new("--allow-recording")],
        |_| {},
    )
    .await;
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

    // An older recording the app was writing when it was killed: listed
    // complete, and said so.
    let cut = desktop
        .recordings_dir()
        .join("2026-01-05 09.00.00 Earlier call with Maya Mentor.webm");
    write_cut_off_recording(&cut);
    assert!(mentorlive_recording::is_incomplete(&cut).expect("readable"));
    wd.click(&wd.wait("[data-testid=open-recordings]", 10).await)
        .await;
    wait_js(
        &wd,
        "two recordings",
        "return document.querySelectorAll('[data-testid=recording]').length === 2",
        15,
    )
    .await;
    let repaired = wd
        .text(&wd.wait("[data-testid=recordings-repaired]", 5).await)
        .await;
    assert!(repaired.contains("repaired"), "{repaired}");
    assert!(
        !mentorlive_recording::is_incomplete(&cut).expect("readable"),
        "completed by the list"
    );
    let first = wd.text(&wd.wait("[data-testid=recording]", 5).await).await;
    assert!(
        first.contains("with Maya Mentor") && first.contains("MB"),
        "newest first, with partner and size: {first}"
    );
    desktop.screenshot(&shots.join("2b-recordings.png"));
    assert_accessible(&wd, "the recordings").await;
    // Deleting asks first.
    wd.execute(
        "document.querySelectorAll('[data-testid=delete-recording]')[1].click()",
        serde_json::json!([]),
    )
    .await;
    let question = wd
        .text(&wd.wait("[data-testid=confirm-delete]", 5).await)
        .await;
    assert!(question.contains("Earlier call"), "{question}");
    wd.click(&wd.wait("[data-testid=confirm-delete-yes]", 5).await)
        .await;
    wait_js(
        &wd,
        "one recording left",
        "return document.querySelectorAll('[data-testid=recording]').length === 1",
        10,
    )
    .await;
    assert!(!cut.exists(), "the file is gone");

    // Played in the app: both cameras, each on its own canvas, and the voices.
    wd.click(&wd.wait("[data-testid=play-recording]", 5).await)
        .await;
    wd.wait("[data-testid=player]", 10).await;
    let played = wait_js(
        &wd,
        "three seconds played",
        "const s = window.mentorlivePlayer?.stats; return s && s.time > 3 ? s : null",
        30,
    )
    .await;
    println!("played: {played}");
    desktop.screenshot(&shots.join("2b-playing.png"));
    let drawn: Vec<u64> = played["drawn"]
        .as_array()
        .map(|a| a.iter().filter_map(|v| v.as_u64()).collect())
        .unwrap_or_default();
    assert_eq!(drawn.len(), 2, "a canvas per camera: {played}");
    assert!(
        drawn.iter().all(|d| *d >= 30),
        "both cameras moving: {played}"
    );
    assert!(
        played["audioScheduled"].as_u64().unwrap_or(0) >= 50,
        "the voices play: {played}"
    );
    wd.click(&wd.wait("[data-testid=close-player]", 5).await)
        .await;

    // Export as one video: both people side by side, both voices.
    wd.click(&wd.wait("[data-testid=export-recording]", 5).await)
        .await;
    wd.wait("[data-testid=export-progress]", 10).await;
    desktop.screenshot(&shots.join("2c-exporting.png"));
    let exported = wait_js(
        &wd,
        "the export",
        "const n = document.querySelector('[data-testid=export-notice]')?.textContent ?? ''; return n ? n : null",
        120,
    )
    .await;
    println!("{exported}");
    assert!(
        exported
            .as_str()
            .is_some_and(|n| n.starts_with("Exported as one video")),
        "{exported}"
    );
    desktop.screenshot(&shots.join("2d-exported.png"));
    wd.quit().await;

    let (files, exports): (Vec<_>, Vec<_>) = std::fs::read_dir(desktop.recordings_dir())
        .expect("the recordings folder")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "webm"))
        .partition(|p| !p.to_string_lossy().ends_with(" (one video).webm"));
    assert_eq!(exports.len(), 1, "{exports:?}");
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

    // The export decodes to its end, lasts as long, and its middle frame
    // shows the app's camera on the left and the CLI's on the right.
    let (one, one_duration) = mentorlive_testkit::media::streams(&exports[0]);
    println!("export: {one_duration:?} s, {one:#?}");
    let one_duration = one_duration.expect("a duration");
    assert!(
        (one_duration - duration).abs() < 0.6,
        "{one_duration} s against {duration} s"
    );
    let picture = one
        .iter()
        .find(|s| s.codec_type == "video")
        .expect("a video stream");
    assert_eq!((picture.width, picture.height), (1280, 480));
    assert!(
        picture.nb_read_frames as f64 >= one_duration * 30.0 * 0.9,
        "{} frames",
        picture.nb_read_frames
    );
    assert!(
        one.iter()
            .any(|s| s.codec_type == "audio" && s.nb_read_frames > 100),
        "both voices, mixed"
    );
    mentorlive_testkit::media::frame_at(
        &exports[0],
        None,
        duration / 2.0,
        None,
        &screenshots().join("2e-export-middle-frame.png"),
    );
    let index_of = |title: &str| {
        streams
            .iter()
            .find(|s| s.tags.get("title").map(String::as_str) == Some(title))
            .map(|s| s.index)
    };
    let frames = tempfile::tempdir().expect("tmp");
    let mid = duration / 2.0;
    let mut similar = Vec::new();
    for (title, crop) in [
        ("Leo Learner: camera", "640:480:0:0"),
        ("Maya Mentor: camera", "640:480:640:0"),
    ] {
        let half = frames.path().join(format!("{title}-export.png"));
        let source = frames.path().join(format!("{title}-source.png"));
        mentorlive_testkit::media::frame_at(&exports[0], None, mid, Some(crop), &half);
        mentorlive_testkit::media::frame_at(&files[0], index_of(title), mid, None, &source);
        similar.push((title, mentorlive_testkit::media::ssim(&half, &source)));
    }
    // Chromium plays the export as the ordinary video it is.
    let mut chromium = mentorlive_testkit::chromium::WebClient::start("export", false);
    chromium.open(&format!("file://{}", exports[0].display()));
    let shown = chromium.wait_for(
        "the export's picture in Chromium",
        "(() => { const v = document.querySelector('video'); return v && v.videoWidth === 1280 && v.duration > 5 ? [v.videoWidth, v.videoHeight, v.duration] : null })()",
        30,
    );
    chromium.eval("(() => { const v = document.querySelector('video'); v.muted = true; return v.play().then(() => true); })()");
    let played = chromium.wait_for(
        "Chromium playing the export",
        "(() => { const v = document.querySelector('video'); return v.currentTime > 1 && v.getVideoPlaybackQuality().totalVideoFrames > 20 ? v.currentTime : null })()",
        30,
    );
    println!("Chromium shows the export at {shown} and played it to {played} s");
    chromium.close();
    println!("SSIM of each half against its source at {mid:.1} s: {similar:?}");
    for (title, ssim) in similar {
        assert!(
            ssim > 0.6,
            "{title}: the export's half is its camera (SSIM {ssim})"
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
    // The app was killed while recording last time: at the next start
    // the cut-off file is completed and the person told.
    let cut = std::cell::RefCell::new(None);
    let (mut cli, desktop, wd) = call_with_cli(
        &server,
        out.path(),
        &[OsStr::new("--record-call"), file.as_os_str()],
        |app| {
            std::fs::create_dir_all(app.recordings_dir()).expect("the recordings folder");
            let path = app
                .recordings_dir()
                .join("2026-01-05 09.00.00 Earlier call with Maya Mentor.webm");
            write_cut_off_recording(&path);
            *cut.borrow_mut() = Some(path);
        },
    )
    .await;
    let cut = cut.into_inner().expect("written");
    assert!(
        !mentorlive_recording::is_incomplete(&cut).expect("readable"),
        "repaired at the start"
    );
    let asked = wd
        .text(&wd.wait("[data-testid=record-request]", 20).await)
        .await;
    let repaired = wd
        .text(&wd.wait("[data-testid=repair-notice]", 5).await)
        .await;
    assert!(repaired.contains("has been repaired"), "{repaired}");
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

/// Benchmark, not a test: export speed of the recording named by
/// `MENTORLIVE_BENCH_RECORDING` (scripts/bench-recording.sh makes one),
/// as a multiple of real time. Figures, not assertions.
#[tokio::test(flavor = "multi_thread")]
#[ignore]
async fn bench_export() {
    let Some(source) = std::env::var_os("MENTORLIVE_BENCH_RECORDING").map(PathBuf::from) else {
        return println!("MENTORLIVE_BENCH_RECORDING names no recording: nothing measured");
    };
    let server = TestServer::start_default();
    let desktop = DesktopApp::start(560, &[]);
    std::fs::create_dir_all(desktop.recordings_dir()).expect("the recordings folder");
    let copy = desktop
        .recordings_dir()
        .join(source.file_name().unwrap_or_default());
    std::fs::copy(&source, &copy).expect("copied");
    let wd = desktop.session().await;
    sign_in(&wd, &server.url, "learner@example.com").await;
    wd.click(&wd.wait("[data-testid=open-recordings]", 30).await)
        .await;
    let started = std::time::Instant::now();
    wd.click(&wd.wait("[data-testid=export-recording]", 10).await)
        .await;
    wait_js(
        &wd,
        "the export",
        "const n = document.querySelector('[data-testid=export-notice]')?.textContent ?? ''; return n ? n : null",
        3600,
    )
    .await;
    let took = started.elapsed().as_secs_f64();
    let (_, duration) = streams(&copy);
    let duration = duration.unwrap_or(0.0);
    let exported = mentorlive_recording::describe(&copy)
        .map(|d| d.bytes)
        .unwrap_or(0);
    println!(
        "export: {duration:.0} s of call in {took:.0} s: {:.2}x real time ({} MB recording)",
        duration / took,
        exported / 1_000_000
    );
    wd.quit().await;
}
