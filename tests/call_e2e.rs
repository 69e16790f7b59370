//! Real calls between two `mentorlive-cli join` processes through the
//! reference server, media from files made by ffmpeg, recordings checked by
//! ffprobe.

use mentorlive_engine::{CallEvent, CallState};
use mentorlive_protocol::signaling::LeaveReason;
use mentorlive_testkit::chromium::WebClient;
use mentorlive_testkit::cli_joiner::{in_state, peer_left};
use mentorlive_testkit::media::decoded_frames;
use mentorlive_testkit::{
    workspace_binary, CliLine, Demo, Http, Joiner, ServerOptions, TestServer,
};
use serde_json::Value;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

async fn code_for_demo(http: &Http) -> (Demo, String) {
    http.demo_code().await
}

fn out_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("mentorlive-call-")
        .tempdir()
        .expect("tmp")
}

/// How long the CLI side of a browser call may last at most; the test hangs
/// it up once the browser has played 5 s, since Chromium can take many
/// seconds to start under CI load and a CLI that left first would end the
/// call early.
const CLI_STAYS_FOR: f64 = 90.0;

async fn call_with_browser(browser_first: bool) {
    let server = TestServer::start_default();
    let http = Http::new(&server);
    let (_demo, code) = code_for_demo(&http).await;
    let out = out_dir();
    let invitation = format!("{}/join/{code}", server.url);
    let start_cli = || {
        Joiner::start(
            &server,
            "mentor@example.com",
            &code,
            CLI_STAYS_FOR,
            out.path(),
            "from-browser",
        )
    };
    // The platform's web client in Chromium, as the learner.
    let mut browser = WebClient::start("learner", false);
    let mut cli = if browser_first {
        browser.join_from_invitation(&invitation, "learner@example.com");
        browser.wait_for(
            "the browser alone in the room",
            "!!document.querySelector('[data-testid=waiting]')?.textContent.includes('Waiting for')",
            20,
        );
        start_cli()
    } else {
        let mut cli = start_cli();
        cli.wait_joined();
        // The browser joins second, so it offers.
        browser.join_from_invitation(&invitation, "learner@example.com");
        cli
    };
    browser.wait_connected(30);
    cli.wait_for(
        "connected",
        Duration::from_secs(20),
        in_state(CallState::Connected),
    );
    // Five seconds of call once the browser plays the CLI's video.
    browser.wait_remote_video("the CLI's video in the browser", 0, 20);
    tokio::time::sleep(Duration::from_secs(5)).await;
    let stats = browser.inbound();
    let problems = browser.run(serde_json::json!({"do": "problems"}));
    cli.interrupt();
    let events = cli.finish();
    browser.close();

    // The browser decoded our video and received our audio...
    let video = &stats["video"];
    let audio = &stats["audio"];
    assert!(
        video["framesDecoded"].as_u64().unwrap_or(0) >= 100,
        "the browser decoded the CLI's video: {video}"
    );
    assert!(
        audio["packetsReceived"].as_u64().unwrap_or(0) >= 150,
        "the browser received the CLI's audio: {audio}"
    );
    assert_eq!(problems, serde_json::json!([]), "no errors in the page");
    // ...and the CLI's recording of the browser's camera decodes.
    let recorded = events.iter().find_map(CliLine::recorded).expect("recorded");
    let decoded = decoded_frames(&out.path().join("from-browser.ivf"), "v");
    let audio_packets = decoded_frames(&out.path().join("from-browser.ogg"), "a");
    println!("from the browser: {decoded} video frames decode of {} recorded; {audio_packets} audio packets", recorded.video_frames);
    assert!(
        decoded >= 30,
        "the browser's video reached the CLI: {decoded}"
    );
    assert!(decoded as f64 >= 0.9 * recorded.video_frames as f64);
    assert!(
        audio_packets >= 150,
        "the browser's audio reached the CLI: {audio_packets}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_browser_joining_second_offers_and_the_call_flows_both_ways() {
    call_with_browser(false).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_browser_joining_first_answers_and_the_call_flows_both_ways() {
    call_with_browser(true).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn two_clis_hold_a_call_and_both_recordings_decode() {
    let server = TestServer::start_default();
    let http = Http::new(&server);
    let (_demo, code) = code_for_demo(&http).await;
    let out = out_dir();

    let started = Instant::now();
    let mut mentor = Joiner::start(
        &server,
        "mentor@example.com",
        &code,
        7.0,
        out.path(),
        "mentor-received",
    );
    mentor.wait_joined();
    let mut learner = Joiner::start(
        &server,
        "learner@example.com",
        &code,
        6.0,
        out.path(),
        "learner-received",
    );
    learner.wait_for(
        "connected",
        Duration::from_secs(20),
        in_state(CallState::Connected),
    );
    mentor.wait_for(
        "connected",
        Duration::from_secs(20),
        in_state(CallState::Connected),
    );
    println!(
        "both connected {:?} after the first process started",
        started.elapsed()
    );

    let learner_events = learner.finish();
    let mentor_events = mentor.finish();
    // The mentor saw the learner leave with "left", not a drop.
    assert!(
        mentor_events
            .iter()
            .filter_map(CliLine::event)
            .any(peer_left(LeaveReason::Left)),
        "{mentor_events:?}"
    );

    let mut keyframes_asked = 0;
    for (receiver, sender_events, name) in [
        (&learner_events, &mentor_events, "learner-received"),
        (&mentor_events, &learner_events, "mentor-received"),
    ] {
        let sent = Joiner::last_stats(sender_events).video_frames_out;
        let audio_sent = Joiner::last_stats(sender_events).audio_frames_out;
        let decoded = decoded_frames(&out.path().join(format!("{name}.ivf")), "v");
        let audio = decoded_frames(&out.path().join(format!("{name}.ogg")), "a");
        let seen = Joiner::last_stats(receiver);
        println!(
            "{name}: {decoded}/{sent} video frames decoded, {audio}/{audio_sent} audio packets; \
             the receiver counted {} frames in, {} dropped, {} packets lost, {} keyframes asked",
            seen.video_frames_in,
            seen.frames_in_dropped,
            seen.packets_in_lost,
            seen.keyframes_requested_by_us
        );
        // A receiver that asks for keyframes (RTCP PLI) is heard by the
        // sender's encoder: with the same track id on both sides the
        // requests went to the sender's received track instead, and no
        // engine ever heard one.
        let heard = Joiner::last_stats(sender_events).keyframes_requested_of_us;
        println!("{name}: the sender heard {heard} keyframe requests");
        assert!(
            seen.keyframes_requested_by_us == 0 || heard >= 1,
            "{name}: {} keyframe requests sent, none heard by the sender",
            seen.keyframes_requested_by_us
        );
        keyframes_asked += seen.keyframes_requested_by_us;
        assert!(sent >= 100, "at least ~4 s of video were sent: {sent}");
        assert!(
            decoded as f64 >= 0.9 * sent as f64,
            "{name}: {decoded} of {sent} video frames decode"
        );
        assert!(
            audio as f64 >= 0.9 * audio_sent as f64,
            "{name}: {audio} of {audio_sent} audio packets"
        );
        let recorded = receiver
            .iter()
            .find_map(CliLine::recorded)
            .expect("recorded line");
        assert!(recorded.video_frames >= decoded);
    }
    // Each side asks at the start (its partner's first keyframe leaves
    // before the connection can carry it), so the case above is tested.
    assert!(keyframes_asked >= 1, "no keyframe was asked for");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_third_user_and_an_expired_code_are_refused() {
    let server = TestServer::start(ServerOptions {
        live_code_ttl: Some(2),
        ..Default::default()
    });
    let http = Http::new(&server);
    let (_demo, code) = code_for_demo(&http).await;
    http.register("third@example.com", "learner").await;
    let out = Command::new(workspace_binary("mentorlive-cli"))
        .args([
            "--server",
            &server.url,
            "--email",
            "third@example.com",
            "--json",
            "join",
            &code,
            "--duration",
            "1",
        ])
        .env("MENTORLIVE_PASSWORD", "password-123")
        .output()
        .expect("cli");
    assert!(!out.status.success());
    let error: Value = serde_json::from_slice(&out.stderr).expect("a JSON error on stderr");
    assert_eq!(error["error"]["code"], "not_participant");

    std::thread::sleep(Duration::from_millis(2_200));
    let out = Command::new(workspace_binary("mentorlive-cli"))
        .args([
            "--server",
            &server.url,
            "--email",
            "learner@example.com",
            "--json",
            "join",
            &code,
            "--duration",
            "1",
        ])
        .env("MENTORLIVE_PASSWORD", "mentorlive")
        .output()
        .expect("cli");
    assert!(!out.status.success());
    let error: Value = serde_json::from_slice(&out.stderr).expect("a JSON error on stderr");
    assert_eq!(error["error"]["code"], "expired_code");
    assert!(error["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .contains("expired at"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rejoin_by_the_same_user_replaces_the_old_peer_and_media_resumes() {
    let server = TestServer::start_default();
    let http = Http::new(&server);
    let (_demo, code) = code_for_demo(&http).await;
    let out = out_dir();

    let mut mentor = Joiner::start(
        &server,
        "mentor@example.com",
        &code,
        12.0,
        out.path(),
        "mentor-received",
    );
    mentor.wait_joined();
    let mut first = Joiner::start(
        &server,
        "learner@example.com",
        &code,
        30.0,
        out.path(),
        "first-learner",
    );
    first.wait_for(
        "connected",
        Duration::from_secs(20),
        in_state(CallState::Connected),
    );
    std::thread::sleep(Duration::from_secs(2));

    // The learner again, from "another device".
    let mut second = Joiner::start(
        &server,
        "learner@example.com",
        &code,
        5.0,
        out.path(),
        "second-learner",
    );
    first.wait_for("replaced", Duration::from_secs(10), |e| {
        matches!(e, CallEvent::Replaced)
    });
    let first_events = first.finish();
    assert!(first_events
        .iter()
        .filter_map(CliLine::event)
        .any(in_state(CallState::Ended)));
    second.wait_for(
        "connected",
        Duration::from_secs(20),
        in_state(CallState::Connected),
    );
    mentor.wait_for(
        "the old peer replaced",
        Duration::from_secs(10),
        peer_left(LeaveReason::Replaced),
    );
    let frames_before = Joiner::last_stats(&mentor.seen).video_frames_in;
    let second_events = second.finish();
    let mentor_events = mentor.finish();
    let frames_after = Joiner::last_stats(&mentor_events).video_frames_in;
    let second_sent = Joiner::last_stats(&second_events).video_frames_out;
    println!("mentor: {frames_before} frames before the rejoin settled, {frames_after} in all; the second device sent {second_sent}");
    assert!(
        second_sent >= 60,
        "the second device sent media: {second_sent}"
    );
    assert!(
        frames_after >= frames_before + (second_sent as f64 * 0.8) as u64,
        "the mentor received the second device's media"
    );
    let decoded = decoded_frames(&PathBuf::from(out.path()).join("mentor-received.ivf"), "v");
    assert!(
        decoded >= frames_after * 9 / 10,
        "{decoded} of {frames_after} decode"
    );
}

/// Where `secret` shows in `log`, with some context, if it does.
fn leak(log: &str, secret: &str) -> Option<String> {
    log.find(secret)
        .map(|at| log[at.saturating_sub(80)..(at + secret.len() + 20).min(log.len())].to_owned())
}

/// A TURN credential written out: the word, then (past quotes, a colon or
/// `Some(`) a base64 value.
fn credential_in(log: &str) -> Option<String> {
    log.match_indices("credential").find_map(|(at, word)| {
        let rest = &log[at + word.len()..];
        let value: String = rest
            .chars()
            .skip_while(|c| !c.is_ascii_alphanumeric())
            .take_while(|c| c.is_ascii_alphanumeric() || "+/=".contains(*c))
            .collect();
        let gap = rest.find(&value).unwrap_or(usize::MAX);
        (value.len() >= 16 && gap <= 12).then(|| log[at..(at + 60).min(log.len())].to_owned())
    })
}

#[tokio::test(flavor = "multi_thread")]
async fn a_call_at_trace_level_leaves_no_token_or_credential_in_any_log() {
    let turn_secret = "turn-shared-secret-that-must-not-be-logged";
    let server = TestServer::start(mentorlive_testkit::ServerOptions {
        extra_args: vec![
            "--turn".into(),
            "turn:127.0.0.1:3478?transport=udp".into(),
            "--turn-secret".into(),
            turn_secret.into(),
        ],
        log_filter: Some("trace".into()),
        ..Default::default()
    });
    let http = Http::new(&server);
    let (demo, code) = code_for_demo(&http).await;
    let fx = mentorlive_testkit::media::fixtures();
    let join = |token: &str| {
        Command::new(workspace_binary("mentorlive-cli"))
            .args([
                "--server",
                &server.url,
                "--json",
                "join",
                &code,
                "--duration",
                "5s",
            ])
            .arg("--video")
            .arg(&fx.video)
            .arg("--audio")
            .arg(&fx.audio)
            .args(["--bind", "127.0.0.1:0"])
            .env("MENTORLIVE_TOKEN", token)
            .env("RUST_LOG", "trace")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("cli")
    };
    let mentor = join(&demo.mentor);
    let learner = join(&demo.learner);
    let mut logs = Vec::new();
    for child in [mentor, learner] {
        let out = child.wait_with_output().expect("cli");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            stdout.contains("\"state\":\"connected\""),
            "the call connected: {stdout}"
        );
        logs.push(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    logs.push(server.log());
    let detailed: usize = logs
        .iter()
        .map(|l| l.matches("TRACE").count() + l.matches("DEBUG").count())
        .sum();
    // Our own crates' debug and trace lines (the libraries that print
    // payloads wrote 1,300 more before they were held at info).
    assert!(
        detailed > 10,
        "detailed logs were written ({detailed} lines)"
    );
    for log in &logs {
        for secret in [demo.mentor.as_str(), demo.learner.as_str(), turn_secret] {
            assert_eq!(leak(log, secret), None, "a secret in a log");
        }
        assert_eq!(credential_in(log), None, "a TURN credential in a log");
    }
}
