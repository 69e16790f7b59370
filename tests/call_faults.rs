//! Faults during a real call between two `mentorlive-cli` processes (the
//! same engine the desktop app runs): the signaling server killed with
//! SIGKILL and restarted, and one side crashing and coming back. Each case
//! prints a `FAULT |` row for `scripts/fault-suite.sh`'s table.

#[path = "cli_joiner.rs"]
mod cli_joiner;
#[path = "media.rs"]
mod media;

use cli_joiner::Joiner;
use mentorlive_e2e::{Http, Server};
use std::time::{Duration, Instant};

fn frames_in(joiner: &mut Joiner) -> u64 {
    let stats = joiner.next("stats", Duration::from_secs(5), |v| v["event"] == "stats");
    stats["stats"]["videoFramesIn"].as_u64().unwrap_or(0)
}

/// Waits until video frames in have grown by `more` (media flowing).
fn flowing(joiner: &mut Joiner, more: u64, within: Duration) -> Option<Duration> {
    let start = Instant::now();
    let base = frames_in(joiner);
    while start.elapsed() < within {
        if frames_in(joiner) >= base + more {
            return Some(start.elapsed());
        }
    }
    None
}

#[tokio::test(flavor = "multi_thread")]
async fn the_server_killed_mid_call_media_goes_on_and_both_rejoin() {
    let mut server = Server::start_default();
    let http = Http::new(&server);
    let (demo, code) = http.demo_code().await;
    // A second session's code, issued before the crash, must survive it too.
    let session = http
        .get(
            &format!("/api/sessions/{}", demo.session_id),
            Some(&demo.mentor),
        )
        .await;
    let other = http
        .create_session(
            &demo.mentor,
            session.body["mentor"]["id"].as_str().expect("id"),
            session.body["learner"]["id"].as_str().expect("id"),
            "2031-02-01T10:00:00Z",
        )
        .await;
    let other_code = http
        .generate(&demo.mentor, other["id"].as_str().expect("id"))
        .await
        .body["code"]
        .as_str()
        .expect("code")
        .to_owned();
    let out = tempfile::tempdir().expect("tmp");
    let mut mentor = Joiner::start(&server, "mentor@example.com", &code, 90.0, out.path(), "m");
    mentor.wait_for("join", Duration::from_secs(20), |v| v["event"] == "joined");
    let mut learner = Joiner::start(&server, "learner@example.com", &code, 90.0, out.path(), "l");
    mentor.wait_for("connected", Duration::from_secs(20), |v| {
        v["event"] == "state" && v["state"] == "connected"
    });
    flowing(&mut mentor, 30, Duration::from_secs(10)).expect("media before the crash");

    let (mentor_mark, learner_mark) = (mentor.mark(), learner.mark());
    server.kill();
    let killed = Instant::now();
    // The media path does not go through the server: it keeps flowing.
    let during = flowing(&mut mentor, 30, Duration::from_secs(10));
    std::thread::sleep(Duration::from_secs(2));
    server.restart();
    let restarted = killed.elapsed();
    let http = Http::new(&server);
    for c in [&code, &other_code] {
        let valid = http
            .get(
                &format!("/api/sessions/validate-live-code/{c}"),
                Some(&demo.learner),
            )
            .await;
        assert_eq!(
            valid.status, 200,
            "a code issued before the crash is still valid: {:?}",
            valid.body
        );
    }
    let after =
        flowing(&mut learner, 30, Duration::from_secs(10)).expect("media after the restart");
    // Both signaling clients are back (their backoff may have grown while
    // the server was down); each rejoins the room as soon as it connects.
    for (joiner, mark) in [(&mut mentor, mentor_mark), (&mut learner, learner_mark)] {
        joiner.wait_since(mark, "signaling back", Duration::from_secs(30), |v| {
            v["event"] == "signaling" && v["state"] == "connected"
        });
    }
    let reconnected = killed.elapsed();
    // Both rejoined the room on the new server by themselves: a hang-up by
    // the mentor reaches the learner through it as `left`.
    std::thread::sleep(Duration::from_secs(3));
    mentor.interrupt();
    let left = learner.wait_for(
        "the mentor's leave, relayed by the restarted server",
        Duration::from_secs(15),
        |v| v["event"] == "peer_left" && v["reason"] == "left",
    );
    assert_eq!(left["reason"], "left");
    learner.interrupt();
    mentor.finish();
    learner.finish();
    println!(
        "FAULT | signaling server kill -9 mid-call, restarted {:.1} s later | pass | media kept flowing while it was down ({}); flowing after the restart within {:.1} s; both signaling clients back {:.1} s after the kill and rejoined (a hang-up relayed after); 2 codes issued before the crash valid after it",
        restarted.as_secs_f64(),
        if during.is_some() { "30 frames in under 10 s" } else { "stalled" },
        after.as_secs_f64(),
        reconnected.as_secs_f64()
    );
    assert!(
        during.is_some(),
        "media kept flowing while the server was down"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_side_that_crashes_mid_call_rejoins_and_no_zombie_stays() {
    let server = Server::start_default();
    let http = Http::new(&server);
    let (_demo, code) = http.demo_code().await;
    let out = tempfile::tempdir().expect("tmp");
    let mut mentor = Joiner::start(&server, "mentor@example.com", &code, 90.0, out.path(), "m");
    mentor.wait_for("join", Duration::from_secs(20), |v| v["event"] == "joined");
    let mut crashing = Joiner::start(
        &server,
        "learner@example.com",
        &code,
        90.0,
        out.path(),
        "l1",
    );
    let first = crashing.wait_for("joined", Duration::from_secs(20), |v| {
        v["event"] == "joined"
    });
    let old_peer = first["peer_id"].as_str().expect("peer id").to_owned();
    mentor.wait_for("connected", Duration::from_secs(20), |v| {
        v["event"] == "state" && v["state"] == "connected"
    });
    flowing(&mut mentor, 30, Duration::from_secs(10)).expect("media before the crash");

    // The learner's app dies (SIGKILL: no leave, no goodbye).
    drop(crashing);
    let crashed = Instant::now();
    let reconnecting = mentor.next("reconnecting", Duration::from_secs(20), |v| {
        v["event"] == "state" && v["state"] == "reconnecting"
    });
    let noticed = crashed.elapsed();
    let _ = reconnecting;

    // It starts again and joins the same code.
    let restarted = Instant::now();
    let mut again = Joiner::start(
        &server,
        "learner@example.com",
        &code,
        90.0,
        out.path(),
        "l2",
    );
    let rejoined = again.wait_for("joined", Duration::from_secs(20), |v| {
        v["event"] == "joined"
    });
    let new_peer = rejoined["peer_id"].as_str().expect("peer id").to_owned();
    let gone = mentor.wait_for("the old peer gone", Duration::from_secs(20), |v| {
        v["event"] == "peer_left" && v["peer_id"] == old_peer.as_str()
    });
    mentor.wait_for("connected again", Duration::from_secs(30), |v| {
        v["event"] == "state" && v["state"] == "connected"
    });
    let resumed = flowing(&mut mentor, 30, Duration::from_secs(20)).map(|_| restarted.elapsed());
    // Only the new learner and the mentor are in the room: a hang-up reaches it.
    mentor.interrupt();
    again.wait_for("the mentor's leave", Duration::from_secs(15), |v| {
        v["event"] == "peer_left" && v["reason"] == "left"
    });
    again.interrupt();
    mentor.finish();
    again.finish();
    println!(
        "FAULT | one side killed mid-call, restarted and rejoined | pass | partner showed reconnecting after {:.1} s; old peer removed ({}), new peer {}; media back {:.1} s after the restart",
        noticed.as_secs_f64(),
        gone["reason"],
        &new_peer[..8.min(new_peer.len())],
        resumed.map_or(f64::NAN, |d| d.as_secs_f64())
    );
    assert_ne!(new_peer, old_peer);
    assert!(resumed.is_some(), "media resumed with the rejoined side");
}
