//! Screen sharing between two `mentorlive-cli join` processes through the
//! reference server: a second video on its own transceiver, renegotiated
//! mid-call and announced by its mid, recorded by the partner and checked
//! with ffprobe and ffmpeg's SSIM against the page that was shared.

use mentorlive_engine::{CallEvent, CallState};
use mentorlive_testkit::cli_joiner::in_state;
use mentorlive_testkit::media::{decoded_frames, fixtures, ssim_of_last_frame, video_size};
use mentorlive_testkit::{CliLine, Http, Joiner, TestServer};
use std::ffi::OsStr;
use std::path::Path;
use std::time::Duration;

fn out_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("mentorlive-screen-")
        .tempdir()
        .expect("tmp")
}

/// The partner's screen shares as the joiner's events saw them: true for
/// each start, false for each stop.
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

fn join(
    server: &TestServer,
    email: &str,
    code: &str,
    secs: f64,
    out: &Path,
    name: &str,
    more: &[&OsStr],
) -> Joiner {
    let record = out.join(format!("{name}-screen.ivf"));
    let mut args: Vec<&OsStr> = vec![OsStr::new("--record-screen"), record.as_os_str()];
    args.extend_from_slice(more);
    // `args` borrows `record`, which lives only in here: the CLI copies them.
    Joiner::start_with(&server.url, email, code, secs, out, name, &args)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_share_stopped_and_started_again_reaches_the_partner_legibly_each_time() {
    let server = TestServer::start_default();
    let http = Http::new(&server);
    let (_demo, code) = http.demo_code().await;
    let out = out_dir();
    let screen = fixtures().screen.clone();
    // The mentor shares 2 s after the call connects, for 3 s, pauses 2 s,
    // shares again.
    let mut mentor = join(
        &server,
        "mentor@example.com",
        &code,
        13.0,
        out.path(),
        "mentor",
        &[
            OsStr::new("--screen"),
            screen.as_os_str(),
            OsStr::new("--screen-after"),
            OsStr::new("2s"),
            OsStr::new("--screen-for"),
            OsStr::new("3s"),
            OsStr::new("--screen-again-after"),
            OsStr::new("2s"),
        ],
    );
    mentor.wait_joined();
    let mut learner = join(
        &server,
        "learner@example.com",
        &code,
        12.0,
        out.path(),
        "learner",
        &[],
    );
    learner.wait_for(
        "connected",
        Duration::from_secs(20),
        in_state(CallState::Connected),
    );
    learner.wait_for(
        "the mentor's share",
        Duration::from_secs(20),
        |e| matches!(e, CallEvent::PartnerScreen { share } if share.active && share.mid.is_some()),
    );

    let learner_lines = learner.finish();
    let mentor_lines = mentor.finish();
    let shares = partner_screens(&learner_lines);
    assert!(
        shares.starts_with(&[true, false, true]),
        "start, stop and start again, each told: {shares:?}"
    );
    // The learner never shared: the mentor was told of no share.
    assert!(partner_screens(&mentor_lines).iter().all(|active| !active));

    let recording = out.path().join("learner-screen.ivf");
    let decoded = decoded_frames(&recording, "v");
    let recorded = learner_lines
        .iter()
        .find_map(CliLine::recorded)
        .expect("recorded");
    println!(
        "screen: {decoded} frames decoded, {} received",
        recorded.screen_frames
    );
    // Two shares of about 3 s at 10 frames/s, less the first moments of each.
    assert!(decoded >= 30, "both shares arrived: {decoded} frames");
    assert_eq!(video_size(&recording), (1280, 720));
    let ssim = ssim_of_last_frame(&recording, &fixtures().screen_png);
    println!("SSIM of the received screen against the page shared: {ssim:.4}");
    assert!(ssim >= 0.95, "small text stays legible: SSIM {ssim}");
    // The camera never froze: it kept coming while the share started,
    // stopped and started again.
    let camera = decoded_frames(&out.path().join("learner.ivf"), "v");
    let camera_sent = Joiner::last_stats(&mentor_lines).video_frames_out;
    assert!(
        camera as f64 >= 0.9 * camera_sent as f64,
        "the camera went on through the renegotiations: {camera} of {camera_sent}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn both_share_at_once_and_each_records_the_other() {
    let server = TestServer::start_default();
    let http = Http::new(&server);
    let (_demo, code) = http.demo_code().await;
    let out = out_dir();
    let screen = fixtures().screen.clone();
    let share: [&OsStr; 4] = [
        OsStr::new("--screen"),
        screen.as_os_str(),
        OsStr::new("--screen-after"),
        OsStr::new("1s"),
    ];
    let mut mentor = join(
        &server,
        "mentor@example.com",
        &code,
        9.0,
        out.path(),
        "mentor",
        &share,
    );
    mentor.wait_joined();
    let learner = join(
        &server,
        "learner@example.com",
        &code,
        8.0,
        out.path(),
        "learner",
        &share,
    );
    let learner_lines = learner.finish();
    let mentor_lines = mentor.finish();
    for (name, lines) in [("mentor", &mentor_lines), ("learner", &learner_lines)] {
        assert_eq!(
            partner_screens(lines).first(),
            Some(&true),
            "{name} saw the other's share"
        );
        let recording = out.path().join(format!("{name}-screen.ivf"));
        let decoded = decoded_frames(&recording, "v");
        println!("{name} received {decoded} screen frames");
        assert!(decoded >= 30, "{name}: {decoded} screen frames");
        let camera = decoded_frames(&out.path().join(format!("{name}.ivf")), "v");
        assert!(
            camera >= 150,
            "{name}'s camera picture went on: {camera} frames"
        );
    }
}
