//! Calls under delay, jitter, loss and a narrow link, made in user space by
//! `mentorlive-impair` in front of coturn (the kernel here has no netem):
//! see `mentorlive_testkit::impaired`. Each case holds a relay-only call of
//! two `mentorlive-cli` peers, prints its figures as one `IMPAIRED` line and
//! writes them to test-output/impaired/<case>.json (for the docs and the
//! plot: scripts/bench-impaired.sh runs the same cases longer).
//!
//! The figures are the ones a person in the call would feel: how long a
//! frame takes from one engine to the other, freezes, sound made up for lost
//! packets, how fast the sender's bitrate follows the link.

use mentorlive_testkit::impaired::{frame_delays, impaired_call, quantile, ImpairedRun, Side};
use serde_json::{json, Value};

/// The call's length: short in CI, longer from the script.
fn seconds(ci: u32) -> u32 {
    std::env::var("MENTORLIVE_IMPAIRED_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(ci)
}

/// The figures of one direction of the call (`from` sends, `to` receives).
fn direction(from: &Side, to: &Side) -> Value {
    let connected = to.connected_at().unwrap_or(f64::NAN);
    let delays: Vec<f64> = frame_delays(from, to)
        .into_iter()
        .filter(|(t, _)| *t > connected + 2000.0)
        .map(|(_, d)| d)
        .collect();
    let gaps = to.gaps();
    let longest = gaps.iter().map(|g| g.1).fold(0.0, f64::max);
    // A recovery: a gap after which the video went on from a keyframe (the
    // frames between were lost or undecodable).
    let recoveries: Vec<f64> = gaps
        .iter()
        .filter(|(at, len, key)| *key && *len > 150.0 && *at > connected)
        .map(|g| g.1)
        .collect();
    let report = to.report().expect("the receiver's call report");
    let minutes = {
        let frames = to.frames.iter().filter(|f| !f.sent);
        let (first, last) = frames.fold((f64::MAX, 0.0f64), |(a, b), f| (a.min(f.t), b.max(f.t)));
        ((last - first) / 60_000.0).max(1e-9)
    };
    let call_seconds = minutes * 60.0;
    // A stall the gaps between arrivals cannot show: the wait for the first
    // frame, and the video stopping before the call did (while both sides
    // still ran: the earlier of the sender's last frame sent and the
    // receiver's own).
    let received: Vec<f64> = to.frames.iter().filter(|f| !f.sent).map(|f| f.t).collect();
    let last_sent = |side: &Side| {
        side.frames
            .iter()
            .filter(|f| f.sent)
            .map(|f| f.t)
            .fold(f64::NAN, f64::max)
    };
    let first_frame = received.first().map_or(f64::NAN, |t| t - connected);
    let stalled_at_end = received.last().map_or(f64::NAN, |last| {
        (last_sent(from).min(last_sent(to)) - last).max(0.0)
    });
    json!({
        "framesReceived": to.frames.iter().filter(|f| !f.sent).count(),
        "frameDelayMs": {"p50": quantile(&delays, 0.5), "p95": quantile(&delays, 0.95), "p99": quantile(&delays, 0.99)},
        "rttMs": {"p50": report.rtt_ms.p50, "p95": report.rtt_ms.p95},
        "freezesPerMinute": report.video.freezes as f64 / minutes,
        "freezeSeconds": report.video.freeze_seconds,
        "longestGapMs": longest,
        "recoveriesMs": recoveries,
        "concealedAudioPercent": 100.0 * report.audio.concealed_seconds / call_seconds,
        "audioPacketsReceived": report.audio.packets_received,
        "firstFrameAfterConnectingMs": first_frame,
        "stalledAtEndMs": stalled_at_end,
        "framesPerSecond": received.len() as f64 / call_seconds,
        "audioPacketsPerSecond": report.audio.packets_received as f64 / call_seconds,
        "lossPercent": report.loss_percent,
    })
}

/// The sender's target and actual bitrate, second by second from when the
/// call connected, with the queueing delay of the fuller of the two uplinks
/// (the proxy knows its clients only by address).
fn bitrate_series(run: &ImpairedRun, from: &Side) -> Vec<Value> {
    let connected = from.connected_at().unwrap_or(f64::NAN);
    from.stats()
        .into_iter()
        .filter(|(t, _)| *t >= connected)
        .map(|(t, s)| {
            let queue: Vec<f64> = run
                .path
                .iter()
                .filter(|(pt, _)| (pt - t).abs() < 500.0)
                .filter_map(|(_, v)| v["out"]["queueingMs"].as_f64())
                .collect();
            json!({
                "t": ((t - connected) / 1000.0 * 10.0).round() / 10.0,
                "targetKbps": s.target_bitrate_kbps,
                "sentKbps": s.bitrate_out_kbps,
                "queueingMs": queue.iter().copied().fold(0.0, f64::max),
                // Counts so far: frames sent, kept out of a long pacer
                // queue, dropped (no path), and keyframes asked of us.
                "videoFramesOut": s.video_frames_out,
                "framesOutShed": s.frames_out_shed,
                "framesOutDropped": s.frames_out_dropped,
                "keyframesAskedOfUs": s.keyframes_requested_of_us,
                // And of what comes in: frames, and keyframes we asked for.
                "videoFramesIn": s.video_frames_in,
                "keyframesAskedByUs": s.keyframes_requested_by_us,
            })
        })
        .collect()
}

/// Prints and saves the case's figures; returns them.
fn figures(case: &str, impairment: &str, run: &ImpairedRun) -> Value {
    let figures = json!({
        "case": case,
        "impairment": impairment,
        "allocations": run.allocations,
        "mentorToLearner": direction(&run.mentor, &run.learner),
        "learnerToMentor": direction(&run.learner, &run.mentor),
        "mentorBitrate": bitrate_series(run, &run.mentor),
        "learnerBitrate": bitrate_series(run, &run.learner),
        // The relay's own counts each second, client by client.
        "path": run.path.iter().map(|(_, v)| v.clone()).collect::<Vec<_>>(),
    });
    println!("IMPAIRED {case} | {impairment} | {figures}");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../test-output/impaired");
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(
        dir.join(format!("{case}.json")),
        serde_json::to_string_pretty(&figures).unwrap_or_default(),
    );
    figures
}

fn connected(run: &ImpairedRun) {
    // What each side went through, when it did not connect.
    let story = |side: &mentorlive_testkit::impaired::Side| {
        side.lines
            .iter()
            .filter(|(_, l)| !matches!(l.event(), Some(mentorlive_engine::CallEvent::Stats { .. })))
            .map(|(t, l)| format!("{:.0} {l:?}", t % 100_000.0))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert!(
        run.mentor.connected_at().is_some() && run.learner.connected_at().is_some(),
        "both peers connected through the impaired relay\nmentor:\n{}\nlearner:\n{}",
        story(&run.mentor),
        story(&run.learner)
    );
    assert!(run.allocations >= 2, "both peers relayed through coturn");
}

/// What every case asks of a direction, whatever its impairment: the
/// video starts soon after connecting, keeps coming to the end, and the
/// sound with it (a stalled stream has no gaps between arrivals to show,
/// and no lost sound to conceal), and the sound is understandable:
/// under `concealed` percent of it made up.
fn media_kept_flowing(way: &str, d: &Value, concealed: f64) {
    assert!(
        f(d, &["firstFrameAfterConnectingMs"]) < 5000.0,
        "{way}: the first frame within 5 s of connecting: {d}"
    );
    assert!(
        f(d, &["stalledAtEndMs"]) < 1000.0,
        "{way}: the video kept coming to the end: {d}"
    );
    assert!(
        f(d, &["framesPerSecond"]) > 15.0,
        "{way}: the video kept its rate (30 frames a second sent): {d}"
    );
    assert!(
        f(d, &["audioPacketsPerSecond"]) > 35.0,
        "{way}: the sound kept coming (50 packets a second sent): {d}"
    );
    assert!(
        f(d, &["concealedAudioPercent"]) < concealed,
        "{way}: the sound stays understandable: {d}"
    );
}

fn f(v: &Value, path: &[&str]) -> f64 {
    path.iter()
        .fold(v, |v, k| &v[*k])
        .as_f64()
        .unwrap_or(f64::NAN)
}

#[test]
fn a_call_over_a_100_ms_round_trip_connects_and_holds() {
    let secs = seconds(20);
    let run = impaired_call("rtt", &["--delay", "50ms"], secs, false);
    connected(&run);
    let fig = figures("rtt-100ms", "100 ms round trip", &run);
    for way in ["mentorToLearner", "learnerToMentor"] {
        let d = &fig[way];
        assert!(
            f(d, &["framesReceived"]) > f64::from(secs - 6) * 25.0,
            "{way}: the video kept coming: {d}"
        );
        assert!(
            (80.0..250.0).contains(&f(d, &["rttMs", "p50"])),
            "{way}: the engine measures the round trip the path has: {d}"
        );
        assert!(
            f(d, &["frameDelayMs", "p50"]) < 50.0 + 100.0,
            "{way}: a frame takes the path's one-way delay and little more: {d}"
        );
        assert!(f(d, &["freezesPerMinute"]) <= 2.0, "{way}: {d}");
        media_kept_flowing(way, d, 2.0);
    }
}

/// In CI since keyframe requests between engines arrive: before, a lost
/// keyframe waited for the file's next one, a second away (the 1.05 s
/// freeze once seen under the test command's load).
#[test]
fn a_call_over_200_ms_with_jitter_and_3_percent_loss_holds_without_a_long_freeze() {
    let secs = seconds(25);
    let run = impaired_call(
        "jit",
        &["--delay", "100ms", "--jitter", "20ms", "--loss", "3%"],
        secs,
        false,
    );
    connected(&run);
    let fig = figures(
        "rtt-200ms-jitter-loss3",
        "200 ms round trip ± 40 ms jitter, 3 % loss each way",
        &run,
    );
    for way in ["mentorToLearner", "learnerToMentor"] {
        let d = &fig[way];
        assert!(
            f(d, &["longestGapMs"]) < 1000.0,
            "{way}: no freeze over a second: {d}"
        );
        // About the loss (docs/reliability.md): packets that overtake
        // each other are put back in order, where in arrival order the
        // first of two was made up and the second skipped (13.8-15.5 %).
        media_kept_flowing(way, d, 8.0);
    }
}

/// In CI since the sound is counted as the app's player meets it: 0.7-2.2 %
/// concealed (beside a busy core too), where the count of every gap over
/// 40 ms between arrivals read 4.3-5.2 % and left no margin.
#[test]
fn a_500_kbit_bottleneck_is_found_without_filling_its_buffer() {
    let secs = seconds(25);
    let run = impaired_call(
        "bot",
        &["--rate", "500kbit", "--queue", "200ms"],
        secs,
        true,
    );
    connected(&run);
    let fig = figures(
        "bottleneck-500k",
        "500 kbit/s bottleneck, 200 ms buffer, each uplink",
        &run,
    );
    let series = fig["mentorBitrate"].as_array().cloned().unwrap_or_default();
    let after = |t: f64| series.iter().filter(move |s| f(s, &["t"]) >= t);
    // Adapted within 5 s: from then on the sender stays under the link.
    let over: Vec<&Value> = after(5.0).filter(|s| f(s, &["sentKbps"]) > 500.0).collect();
    assert!(
        over.len() <= 1,
        "the sender fits the link from 5 s on: {over:?} in {series:?}"
    );
    // GCC sees the queue: it does not sit full (200 ms) once adapted.
    let queueing: Vec<f64> = after(8.0).map(|s| f(s, &["queueingMs"])).collect();
    assert!(
        quantile(&queueing, 0.5) < 100.0,
        "the buffer is not kept full: {queueing:?}"
    );
    for way in ["mentorToLearner", "learnerToMentor"] {
        media_kept_flowing(way, &fig[way], 5.0);
    }
}

#[test]
fn the_bitrate_follows_a_link_that_narrows_and_widens() {
    // 2 Mbit/s, 300 kbit/s from 12 s to 27 s, then 2 Mbit/s again (the
    // proxy's schedule counts from the first packet of the call).
    let secs = seconds(45);
    let (down, up) = (12.0, 27.0);
    let run = impaired_call(
        "stp",
        &[
            "--rate",
            "2mbit",
            "--queue",
            "200ms",
            "--schedule",
            &format!("{down}s=300kbit,{up}s=2mbit"),
            // Each uplink's rate on the wire, four times a second.
            "--report-every",
            "250ms",
        ],
        secs,
        true,
    );
    connected(&run);
    let fig = figures(
        "step-2m-300k-2m",
        "2 Mbit/s, 300 kbit/s from 12 s to 27 s, 2 Mbit/s again",
        &run,
    );
    // Times from the connection, where the proxy said the rate changed.
    let connected = run.mentor.connected_at().unwrap_or(f64::NAN);
    let step_to = |rate: f64, after: f64| {
        run.path
            .iter()
            .filter(|(_, v)| v["step"].as_bool() == Some(true))
            .map(|(t, v)| ((t - connected) / 1000.0, v["rateBps"].as_f64()))
            .find(|(t, r)| *t > after && *r == Some(rate))
            .map_or(f64::NAN, |(t, _)| t)
    };
    let narrowed = step_to(300_000.0, f64::MIN);
    let widened = step_to(2_000_000.0, narrowed);
    // Each sender's rate as it reached the link, over half a second (two
    // of the proxy's reports): how fast it fits a link that narrowed, and
    // how fast it fills one that widened again.
    let mut uplinks = Vec::new();
    for (client, rates) in run.uplink_kbps() {
        let windows: Vec<(f64, f64)> = rates
            .windows(2)
            .map(|w| ((w[1].0 - connected) / 1000.0, (w[0].1 + w[1].1) / 2.0))
            .collect();
        let steady: Vec<f64> = windows
            .iter()
            .filter(|(t, _)| *t > narrowed - 4.0 && *t <= narrowed)
            .map(|w| w.1)
            .collect();
        if steady.is_empty() {
            continue; // a flow that carried no call (a probe, a stale allocation)
        }
        let before = steady.iter().sum::<f64>() / steady.len() as f64;
        let down_in = windows
            .iter()
            .find(|(t, kbps)| *t > narrowed && *kbps < 300.0)
            .map(|(t, _)| t - narrowed);
        let up_in = windows
            .iter()
            .find(|(t, kbps)| *t > widened && *kbps > before * 0.8)
            .map(|(t, _)| t - widened);
        println!(
            "IMPAIRED step | {client}: {before:.0} kbit/s before; narrowed at {narrowed:.1} s, down in {down_in:?} s; widened at {widened:.1} s, back to {:.0} kbit/s in {up_in:?} s",
            before * 0.8
        );
        uplinks.push(json!({
            "client": client,
            "beforeKbps": before,
            "downIn": down_in,
            "upIn": up_in,
            "wire": windows.iter().map(|(t, k)| json!({"t": t, "kbps": k})).collect::<Vec<_>>(),
        }));
    }
    let _ = std::fs::write(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../test-output/impaired/step-times.json"),
        json!({"narrowedAt": narrowed, "widenedAt": widened, "uplinks": uplinks}).to_string(),
    );
    assert_eq!(uplinks.len(), 2, "both senders' uplinks: {uplinks:?}");
    for way in ["mentorToLearner", "learnerToMentor"] {
        media_kept_flowing(way, &fig[way], 8.0);
    }
    let series = &fig["mentorBitrate"];
    for u in &uplinks {
        assert!(
            u["downIn"].as_f64().is_some_and(|s| s <= 3.0),
            "down within 3 s of the link narrowing: {} {series}",
            u["client"]
        );
        assert!(
            u["upIn"].as_f64().is_some_and(|s| s <= 15.0),
            "back up within 15 s of the link widening: {} {series}",
            u["client"]
        );
    }
}

#[test]
fn bursts_of_loss_are_each_recovered_within_a_second() {
    let secs = seconds(25);
    let run = impaired_call("brs", &["--loss", "10%", "--burst", "12"], secs, false);
    connected(&run);
    let fig = figures(
        "bursty-loss-10",
        "10 % loss in bursts (mean 12 packets) each way",
        &run,
    );
    for way in ["mentorToLearner", "learnerToMentor"] {
        let d = &fig[way];
        // NACK repairs most bursts before a frame is due; those it cannot
        // are recovered with a keyframe. Either way no freeze of a second.
        assert!(
            f(d, &["longestGapMs"]) < 1000.0,
            "{way}: each burst recovered within a second: {d}"
        );
        assert!(
            f(d, &["lossPercent"]) > 1.0,
            "{way}: the bursts did hit the stream (else this case tests nothing): {d}"
        );
        // In-band FEC rebuilds a packet lost alone; a burst's packets are
        // made up (6.4-8.7 % measured).
        media_kept_flowing(way, d, 15.0);
    }
}

/// Any profile, for exploring: `MENTORLIVE_IMPAIR="--delay 50ms --loss 5%"
/// cargo test -p mentorlive-e2e --test call_impaired probe -- --ignored`.
#[test]
#[ignore = "a tool: run with --ignored and MENTORLIVE_IMPAIR set"]
fn probe() {
    let profile = std::env::var("MENTORLIVE_IMPAIR").unwrap_or_default();
    let args: Vec<&str> = profile.split_whitespace().collect();
    let ladder = std::env::var_os("MENTORLIVE_IMPAIR_LADDER").is_some();
    let run = impaired_call("prb", &args, seconds(20), ladder);
    connected(&run);
    figures("probe", &profile, &run);
    for (_, line) in run.path.iter().rev().take(2) {
        println!("IMPAIRED probe path: {line}");
    }
}
