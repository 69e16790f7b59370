//! Recording a call with the partner's consent, between two real
//! `mentorlive-cli join` processes through the reference server: what each
//! side is told, the file (every track, its frames, lip sync) read by
//! ffprobe and ffmpeg, and what survives a decline, a revoke, `kill -9` and
//! a full disk.

use mentorlive_engine::machine::{OurRecording, RecordingEnd, TheirRecording};
use mentorlive_engine::{CallEvent, CallState};
use mentorlive_testkit::cli_joiner::in_state;
use mentorlive_testkit::media::{beeps, fixtures, flashes, streams, StreamInfo};
use mentorlive_testkit::{workspace_binary, CliLine, Http, Joiner, TestServer};
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// The mentor's CLI records (sending the sync fixture); the learner's
/// answers as `learner_args` say.
struct Pair {
    _server: TestServer,
    recorder: Joiner,
    partner: Joiner,
    file: PathBuf,
    out: tempfile::TempDir,
}

async fn pair(
    seconds: f64,
    recorder_args: &[&OsStr],
    learner_args: &[&OsStr],
    folder: Option<&Path>,
) -> Pair {
    let server = TestServer::start_default();
    let http = Http::new(&server);
    let (_demo, code) = http.demo_code().await;
    let out = tempfile::Builder::new()
        .prefix("mentorlive-rec-")
        .tempdir()
        .expect("tmp");
    let file = folder.unwrap_or(out.path()).join("call.webm");
    let fx = fixtures();
    let mut args: Vec<&OsStr> = vec![OsStr::new("--record-call"), file.as_os_str()];
    args.extend_from_slice(recorder_args);
    let mut recorder = Joiner::start_with_media(
        &server.url,
        "mentor@example.com",
        &code,
        seconds,
        out.path(),
        "at-mentor",
        (&fx.sync_video, &fx.sync_audio),
        &args,
    );
    recorder.wait_joined();
    let partner = Joiner::start_with_media(
        &server.url,
        "learner@example.com",
        &code,
        seconds,
        out.path(),
        "at-learner",
        (&fx.sync_video, &fx.sync_audio),
        learner_args,
    );
    recorder.wait_for(
        "connected",
        Duration::from_secs(20),
        in_state(CallState::Connected),
    );
    Pair {
        _server: server,
        recorder,
        partner,
        file,
        out,
    }
}

fn ours(state: OurRecording) -> impl Fn(&CallEvent) -> bool {
    move |e| matches!(e, CallEvent::Recording { recording } if recording.ours == state)
}

fn theirs(state: TheirRecording) -> impl Fn(&CallEvent) -> bool {
    move |e| matches!(e, CallEvent::Recording { recording } if recording.theirs == state)
}

fn ended(lines: &[CliLine], why: RecordingEnd) -> bool {
    lines
        .iter()
        .filter_map(CliLine::event)
        .any(|e| matches!(e, CallEvent::Recording { recording } if recording.ended == Some(why)))
}

fn saved(lines: &[CliLine]) -> Option<mentorlive_engine::SavedRecording> {
    lines
        .iter()
        .filter_map(CliLine::event)
        .find_map(|e| match e {
            CallEvent::RecordingSaved { saved } => Some(saved.clone()),
            _ => None,
        })
}

fn track<'a>(streams: &'a [StreamInfo], title: &str) -> &'a StreamInfo {
    streams
        .iter()
        .find(|s| s.tags.get("title").map(String::as_str) == Some(title))
        .unwrap_or_else(|| panic!("a track named {title:?} in {streams:#?}"))
}

/// How far the video's flashes are from the audio's beeps (ms): each
/// flash against the nearest beep, the median of them.
fn lip_sync_ms(file: &Path, video: &StreamInfo, audio: &StreamInfo) -> f64 {
    let flashes = flashes(file, video.index);
    let beeps = beeps(file, audio.index);
    assert!(
        flashes.len() >= 3 && beeps.len() >= 3,
        "flashes {flashes:?}, beeps {beeps:?}"
    );
    let mut offsets: Vec<f64> = flashes
        .iter()
        .map(|f| {
            let nearest = beeps
                .iter()
                .copied()
                .min_by(|a, b| (a - f).abs().total_cmp(&(b - f).abs()))
                .unwrap_or(0.0);
            (f - nearest) * 1000.0
        })
        .collect();
    offsets.sort_by(f64::total_cmp);
    println!(
        "  {}: flashes {flashes:?}, beeps {beeps:?}",
        video.tags.get("title").cloned().unwrap_or_default()
    );
    offsets[offsets.len() / 2]
}

#[tokio::test(flavor = "multi_thread")]
async fn a_consented_recording_holds_both_people_in_sync() {
    let mut p = pair(14.0, &[], &[OsStr::new("--allow-recording")], None).await;
    p.partner.wait_for(
        "asked",
        Duration::from_secs(10),
        theirs(TheirRecording::Asking),
    );
    p.recorder.wait_for(
        "recording",
        Duration::from_secs(10),
        ours(OurRecording::Recording),
    );
    p.partner.wait_for(
        "told it records",
        Duration::from_secs(10),
        theirs(TheirRecording::Recording),
    );
    let recorder = p.recorder.finish();
    let partner = p.partner.finish();
    let saved = saved(&recorder).expect("the recording was saved");
    println!("saved: {saved:?}");
    assert!(!saved.disk_full);
    let (streams, duration) = streams(&p.file);
    let duration = duration.expect("a complete file says its duration");
    println!("{duration:.2} s: {streams:#?}");
    assert_eq!(
        streams.len(),
        4,
        "two cameras and two voices, no screen: {streams:#?}"
    );
    let my_camera = track(&streams, "Maya Mentor: camera");
    let my_voice = track(&streams, "Maya Mentor: voice");
    let their_camera = track(&streams, "Leo Learner: camera");
    let their_voice = track(&streams, "Leo Learner: voice");
    // About the call's length less the wait for the partner's answer.
    assert!((8.0..=14.5).contains(&duration), "{duration} s");
    for (s, per_second) in [
        (my_camera, 30.0),
        (their_camera, 30.0),
        (my_voice, 50.0),
        (their_voice, 50.0),
    ] {
        let expected = duration * per_second;
        assert!(
            s.nb_read_frames as f64 >= expected * 0.8 && s.nb_read_frames as f64 <= expected * 1.05,
            "{:?}: {} frames in {duration:.1} s (about {expected:.0})",
            s.tags.get("title"),
            s.nb_read_frames
        );
    }
    assert_eq!((my_camera.width, my_camera.height), (640, 480));
    let mine = lip_sync_ms(&p.file, my_camera, my_voice);
    let theirs = lip_sync_ms(&p.file, their_camera, their_voice);
    println!("lip sync: ours {mine:.0} ms, the partner's {theirs:.0} ms (video after audio when positive)");
    // ITU-R BT.1359's acceptability window: sound at most 90 ms ahead of
    // the picture, at most 185 ms behind it. Alone this test measures under
    // 40 ms; under the whole suite's load on two cores the partner's track
    // has measured +88 ms and -62 ms, for a cause not found yet: a figure
    // for issue 19 to explain and bring down.
    for (whose, sync) in [("our", mine), ("the partner's", theirs)] {
        assert!(
            (-185.0..=90.0).contains(&sync),
            "{whose} audio and video {sync:.0} ms apart (video after audio when positive)"
        );
    }
    assert!(
        ended(&partner, RecordingEnd::Stopped) || ended(&partner, RecordingEnd::PartnerLeft),
        "the partner saw it end"
    );
    drop(p.out);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_decline_writes_nothing() {
    // The learner's CLI declines by default.
    let mut p = pair(8.0, &[], &[], None).await;
    p.recorder.wait_for("declined", Duration::from_secs(10), |e| {
        matches!(e, CallEvent::Recording { recording } if recording.ended == Some(RecordingEnd::Declined))
    });
    let recorder = p.recorder.finish();
    p.partner.finish();
    assert!(!p.file.exists(), "no file after a decline");
    assert!(saved(&recorder).is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_partner_that_never_answers_is_a_decline_after_30_s() {
    let mut p = pair(
        40.0,
        &[],
        &[OsStr::new("--ignore-recording-requests")],
        None,
    )
    .await;
    p.partner.wait_for(
        "asked",
        Duration::from_secs(10),
        theirs(TheirRecording::Asking),
    );
    p.recorder.wait_for("no answer", Duration::from_secs(40), |e| {
        matches!(e, CallEvent::Recording { recording } if recording.ended == Some(RecordingEnd::NoAnswer))
    });
    p.recorder.interrupt();
    p.partner.interrupt();
    let recorder = p.recorder.finish();
    p.partner.finish();
    assert!(!p.file.exists(), "nothing written without an answer");
    assert!(saved(&recorder).is_none());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_revoke_stops_the_recording_at_once_and_the_file_ends_there() {
    let mut p = pair(
        16.0,
        &[],
        &[
            OsStr::new("--allow-recording"),
            OsStr::new("--revoke-recording-after"),
            OsStr::new("4s"),
        ],
        None,
    )
    .await;
    p.recorder.wait_for(
        "recording",
        Duration::from_secs(10),
        ours(OurRecording::Recording),
    );
    p.recorder.wait_for("revoked", Duration::from_secs(10), |e| {
        matches!(e, CallEvent::Recording { recording } if recording.ended == Some(RecordingEnd::Revoked))
    });
    let saved = p.recorder.wait_for("saved", Duration::from_secs(5), |e| {
        matches!(e, CallEvent::RecordingSaved { .. })
    });
    println!("{saved:?}");
    p.recorder.interrupt();
    p.partner.interrupt();
    p.recorder.finish();
    p.partner.finish();
    let (_, duration) = streams(&p.file);
    let duration = duration.expect("complete");
    assert!(
        (3.0..=5.5).contains(&duration),
        "the file ends at the revoke: {duration} s"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_recorder_killed_mid_call_leaves_a_file_that_plays_and_is_repaired() {
    let mut p = pair(60.0, &[], &[OsStr::new("--allow-recording")], None).await;
    p.recorder.wait_for(
        "recording",
        Duration::from_secs(10),
        ours(OurRecording::Recording),
    );
    tokio::time::sleep(Duration::from_secs(10)).await;
    p.recorder.kill();
    p.partner.interrupt();
    p.partner.finish();
    // As cut off: it plays, up to within 5 s of the kill.
    let (cut, _) = streams(&p.file);
    let camera = track(&cut, "Maya Mentor: camera");
    println!("as killed: {} camera frames", camera.nb_read_frames);
    assert!(
        camera.nb_read_frames >= 5 * 30,
        "at least 5 of the 10 s play: {cut:#?}"
    );
    let repair = Command::new(workspace_binary("mentorlive-cli"))
        .args(["--json", "repair-recording"])
        .arg(&p.file)
        .output()
        .expect("mentorlive-cli");
    let report = String::from_utf8_lossy(&repair.stdout);
    println!("{report}");
    assert!(
        repair.status.success(),
        "{}",
        String::from_utf8_lossy(&repair.stderr)
    );
    let report: serde_json::Value = serde_json::from_str(report.trim()).expect("JSON");
    assert_eq!(report["wasComplete"], false);
    let (repaired, duration) = streams(&p.file);
    let duration = duration.expect("the repaired file says its duration");
    assert!(
        (5.0..=11.0).contains(&duration),
        "{duration} s of the 10 s before the kill"
    );
    assert_eq!(
        track(&repaired, "Maya Mentor: camera").nb_read_frames,
        camera.nb_read_frames,
        "every frame that played before plays after"
    );
}

/// A small disk of its own (tmpfs), unmounted at the end.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(megabytes: u32) -> SmallDisk {
        let dir = tempfile::tempdir().expect("tmp");
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={megabytes}m"), "tmpfs"])
            .arg(dir.path())
            .status()
            .expect("mount");
        assert!(status.success(), "mounting a tmpfs (the tests run as root)");
        SmallDisk { dir }
    }

    fn free(&self) -> u64 {
        let out = Command::new("df")
            .args(["--output=avail", "-B1"])
            .arg(self.dir.path())
            .output()
            .expect("df");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .nth(1)
            .and_then(|l| l.trim().parse().ok())
            .unwrap_or(0)
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_disk_that_fills_stops_the_recording_cleanly_and_it_plays() {
    let disk = SmallDisk::mount(24);
    // Stops below 4 MB free (8 MB needed to start).
    let mut p = pair(
        60.0,
        &[OsStr::new("--record-min-free-mb"), OsStr::new("4")],
        &[OsStr::new("--allow-recording")],
        Some(disk.dir.path()),
    )
    .await;
    p.recorder.wait_for(
        "recording",
        Duration::from_secs(10),
        ours(OurRecording::Recording),
    );
    // The recorder starts before it says so, and stops at its next disk
    // check after the fill: the file holds at least these 4 s.
    tokio::time::sleep(Duration::from_secs(4)).await;
    // Something else takes the disk until less than the floor is left.
    let filler = disk.dir.path().join("other-program.bin");
    let take = disk.free().saturating_sub(3_500_000);
    std::fs::write(&filler, vec![7u8; take as usize]).expect("filler");
    let failed = p
        .recorder
        .wait_for("stopped for the disk", Duration::from_secs(30), |e| {
            matches!(e, CallEvent::RecordingFailed { .. })
        });
    println!("{failed:?}");
    let saved = p.recorder.wait_for("saved", Duration::from_secs(10), |e| {
        matches!(e, CallEvent::RecordingSaved { .. })
    });
    assert!(
        matches!(&saved, CallEvent::RecordingSaved { saved } if saved.disk_full),
        "{saved:?}"
    );
    p.recorder.interrupt();
    p.partner.interrupt();
    p.recorder.finish();
    p.partner.finish();
    let (streams, duration) = streams(&p.file);
    println!("{duration:?} s, {streams:#?}");
    // Up to the stop, less the last frame's arrival: before the recorder
    // wrote out what it held for reordering, every such file ended a
    // quarter second early (and 2.8 s of 3 when the check came at once).
    assert!(
        duration.is_some_and(|d| d >= 3.9),
        "complete up to the moment it stopped, and playable: {duration:?}"
    );
    assert!(track(&streams, "Maya Mentor: camera").nb_read_frames >= 60);
}

/// The platform's web client in Chromium is the recorded side: it shows
/// the request in words, answers through the contract, shows the flag.
#[tokio::test(flavor = "multi_thread")]
async fn a_browser_partner_is_asked_in_words_and_its_consent_records_it() {
    use mentorlive_testkit::chromium::WebClient;
    let server = TestServer::start_default();
    let http = Http::new(&server);
    let (_demo, code) = http.demo_code().await;
    let out = tempfile::Builder::new()
        .prefix("mentorlive-rec-")
        .tempdir()
        .expect("tmp");
    let file = out.path().join("call.webm");
    let mut recorder = Joiner::start_with(
        &server.url,
        "mentor@example.com",
        &code,
        90.0,
        out.path(),
        "at-mentor",
        &[OsStr::new("--record-call"), file.as_os_str()],
    );
    recorder.wait_joined();
    let mut browser = WebClient::start("learner", false);
    browser.join_from_invitation(
        &format!("{}/join/{code}", server.url),
        "learner@example.com",
    );
    browser.wait_connected(30);
    let asked = browser.wait_for(
        "the request to record",
        "document.querySelector('[data-testid=record-request]')?.textContent",
        20,
    );
    assert!(
        asked
            .as_str()
            .is_some_and(|t| t.contains("Maya Mentor wants to record this call.")),
        "{asked}"
    );
    let shots = mentorlive_testkit::app::output_dir().join("../web-recording");
    let _ = std::fs::create_dir_all(&shots);
    browser.screenshot(&shots.join("1-asked.png"));
    browser.assert_accessible("the request to record");
    browser.click("[data-testid=allow-recording]");
    recorder.wait_for(
        "recording",
        Duration::from_secs(10),
        ours(OurRecording::Recording),
    );
    browser.wait_for(
        "the recording flag",
        "document.querySelector('[data-testid=partner-recording]')?.textContent.includes('Maya Mentor is recording')",
        10,
    );
    browser.wait_remote_video("the CLI's video", 30, 20);
    tokio::time::sleep(Duration::from_secs(6)).await;
    browser.screenshot(&shots.join("2-recorded.png"));
    recorder.interrupt();
    let lines = recorder.finish();
    browser.wait_for(
        "the flag gone",
        "!document.querySelector('[data-testid=partner-recording]')",
        15,
    );
    browser.close();
    assert!(saved(&lines).is_some());
    let (streams, duration) = streams(&file);
    println!("{duration:?} s: {streams:#?}");
    let camera = track(&streams, "Leo Learner: camera");
    let voice = track(&streams, "Leo Learner: voice");
    assert!(
        camera.nb_read_frames >= 60,
        "the browser's camera: {} frames",
        camera.nb_read_frames
    );
    assert!(
        voice.nb_read_frames >= 150,
        "the browser's voice: {} packets",
        voice.nb_read_frames
    );
}

/// Both share a screen while one records: each share is a track of its own.
#[tokio::test(flavor = "multi_thread")]
async fn screen_shares_are_recorded_each_on_its_own_track() {
    let screen = fixtures().screen.clone();
    let share = [
        OsStr::new("--screen"),
        screen.as_os_str(),
        OsStr::new("--screen-after"),
        OsStr::new("1s"),
    ];
    let mut learner_args = vec![OsStr::new("--allow-recording")];
    learner_args.extend_from_slice(&share);
    let mut p = pair(14.0, &share, &learner_args, None).await;
    p.recorder.wait_for(
        "recording",
        Duration::from_secs(10),
        ours(OurRecording::Recording),
    );
    let lines = p.recorder.finish();
    p.partner.finish();
    assert!(saved(&lines).is_some());
    let (streams, duration) = streams(&p.file);
    println!("{duration:?} s: {streams:#?}");
    for title in ["Maya Mentor: screen", "Leo Learner: screen"] {
        let s = track(&streams, title);
        assert_eq!((s.width, s.height), (1280, 720), "{title}");
        assert!(
            s.nb_read_frames >= 40,
            "{title}: {} frames",
            s.nb_read_frames
        );
    }
    assert_eq!(streams.len(), 6, "two cameras, two voices, two screens");
}
