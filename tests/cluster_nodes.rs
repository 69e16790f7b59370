//! Two server nodes on one PostgreSQL database and one Redis, HAProxy in
//! front: the mentor reaches node A through the balancer (B is its backup),
//! the learner talks to node B directly. They meet in one room across the
//! nodes and hold a `mentorlive-cli` call; node A is then stopped, and the
//! mentor's client reconnects through the balancer to B and rejoins.
//!
//! Needs the engines: scripts/test.sh starts them (`scripts/cluster.sh
//! engines`) and names them in `MENTORLIVE_TEST_ENGINES`.

use mentorlive_engine::{CallEvent, CallState};
use mentorlive_protocol::signaling::LeaveReason;
use mentorlive_testkit::cli_joiner::in_state;
use mentorlive_testkit::cluster::{haproxy, psql, test_engines};
use mentorlive_testkit::ports::free_port;
use mentorlive_testkit::{server_binary, Http, Joiner};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Proc(Child);

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// One node; returns when it listens.
fn node(name: &str, port: u16, db: &str, redis: &str, prefix: &str, log: &std::path::Path) -> Proc {
    let log = std::fs::File::create(log).expect("log");
    let mut cmd = Command::new(server_binary());
    cmd.args([
        "--addr",
        &format!("127.0.0.1:{port}"),
        "--db",
        db,
        "--redis",
        redis,
    ])
    .args(["--redis-prefix", prefix, "--node-id", name])
    .env("RUST_LOG", "mentorlive_server=debug")
    .env("NO_COLOR", "1")
    .stdout(Stdio::piped())
    .stderr(log);
    if name == "a" {
        cmd.arg("--seed-demo");
    }
    let mut child = cmd.spawn().expect("mentorlive-server");
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut first)
        .expect("first line");
    assert!(first.starts_with("listening on"), "node {name}: {first:?}");
    Proc(child)
}

fn joins_in(log: &std::path::Path) -> usize {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .matches("joined live room")
        .count()
}

#[tokio::test(flavor = "multi_thread")]
async fn two_nodes_hold_one_call_and_the_mentor_moves_to_b_when_a_stops() {
    let Some((admin, redis)) = test_engines() else {
        eprintln!("skipped: MENTORLIVE_TEST_ENGINES names no PostgreSQL and Redis (scripts/test.sh sets it)");
        return;
    };
    let dir = tempfile::tempdir().expect("dir");
    let name = format!("mlt_nodes_{}", std::process::id());
    psql(&admin, &format!("DROP DATABASE IF EXISTS {name}"));
    psql(&admin, &format!("CREATE DATABASE {name}"));
    let db = format!("{}/{name}", admin.rsplit_once('/').expect("url").0);
    let [port_a, port_b, port_lb] = [free_port(), free_port(), free_port()];
    let (log_a, log_b) = (dir.path().join("a.log"), dir.path().join("b.log"));
    let mut node_a = Some(node("a", port_a, &db, &redis, &name, &log_a));
    let _node_b = node("b", port_b, &db, &redis, &name, &log_b);
    let _lb = Proc(haproxy(
        dir.path(),
        &format!(
            "defaults\n    mode http\n    timeout connect 1s\n    timeout client 60s\n    timeout server 60s\n    timeout tunnel 1h\n\
             frontend lb\n    bind 127.0.0.1:{port_lb}\n    default_backend nodes\n\
             backend nodes\n    option httpchk GET /api/health\n\
             \x20   server a 127.0.0.1:{port_a} check inter 300ms fall 2 rise 2\n\
             \x20   server b 127.0.0.1:{port_b} check inter 300ms fall 2 rise 2 backup\n"
        ),
    ));
    let lb_url = format!("http://127.0.0.1:{port_lb}");
    let b_url = format!("http://127.0.0.1:{port_b}");
    let deadline = Instant::now() + Duration::from_secs(10);
    while reqwest::get(format!("{lb_url}/api/health"))
        .await
        .map(|r| r.status().as_u16())
        .unwrap_or(0)
        != 200
    {
        assert!(Instant::now() < deadline, "the balancer never answered");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // A code made through node B is valid through the balancer (node A).
    let via_b = Http::for_url(&b_url);
    let (demo, code) = via_b.demo_code().await;
    let via_lb = Http::for_url(&lb_url);
    let valid = via_lb
        .get(
            &format!("/api/sessions/validate-live-code/{code}"),
            Some(&demo.learner),
        )
        .await;
    assert_eq!(valid.status, 200, "{:?}", valid.body);

    let out = tempfile::tempdir().expect("out");
    let mut mentor = Joiner::start_at(&lb_url, "mentor@example.com", &code, 90.0, out.path(), "m");
    mentor.wait_joined();
    let mut learner = Joiner::start_at(&b_url, "learner@example.com", &code, 90.0, out.path(), "l");
    for joiner in [&mut mentor, &mut learner] {
        joiner.wait_for(
            "connected",
            Duration::from_secs(30),
            in_state(CallState::Connected),
        );
    }
    assert_eq!(joins_in(&log_a), 1, "the mentor joined on node A");
    assert_eq!(joins_in(&log_b), 1, "the learner joined on node B");
    let frames = |j: &mut Joiner| j.next_stats(Duration::from_secs(5)).video_frames_in;
    let before = frames(&mut mentor);
    std::thread::sleep(Duration::from_secs(2));
    assert!(
        frames(&mut mentor) > before + 20,
        "media flows between the two sides"
    );

    // Node A stops; the mentor's client finds node B through the balancer.
    let mark = mentor.mark();
    let stopped = Instant::now();
    if let Some(mut a) = node_a.take() {
        // SIGTERM, as a service manager stops a node.
        let _ = Command::new("kill").arg(a.0.id().to_string()).status();
        let _ = a.0.wait();
    }
    mentor.wait_since(
        mark,
        "signaling back",
        Duration::from_secs(45),
        |e| matches!(e, CallEvent::Signaling { state } if state == "connected"),
    );
    let back = stopped.elapsed();
    let deadline = Instant::now() + Duration::from_secs(15);
    while joins_in(&log_b) < 2 {
        assert!(Instant::now() < deadline, "the mentor rejoined on node B");
        std::thread::sleep(Duration::from_millis(100));
    }
    let still = frames(&mut learner);
    std::thread::sleep(Duration::from_secs(2));
    assert!(frames(&mut learner) > still + 20, "media still flows");
    // Both in the room on node B: the mentor's hang-up reaches the learner.
    mentor.interrupt();
    let left = learner.wait_for("the mentor's leave", Duration::from_secs(15), |e| {
        matches!(e, CallEvent::PeerLeft { .. })
    });
    let CallEvent::PeerLeft { reason, .. } = left else {
        unreachable!("a peer_left was waited for: {left:?}")
    };
    assert_eq!(reason, LeaveReason::Left);
    learner.interrupt();
    mentor.finish();
    learner.finish();
    println!(
        "CLUSTER | node A stopped mid-call | pass | mentor's signaling back through the balancer on node B {:.1} s later and rejoined; media kept flowing",
        back.as_secs_f64()
    );
    psql(
        &admin,
        &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
    );
}
