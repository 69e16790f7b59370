//! A call between two peers each behind its own NAT, which can only meet
//! through a TURN relay: coturn (Debian's package) in a "public" namespace,
//! configured with the shared secret the reference server uses for
//! time-limited credentials (`--turn-secret`, coturn's `use-auth-secret`).
//!
//! ```text
//!  pa 10.61.1.2 ─ natA (masquerade) 192.0.2.2 ─┐
//!                                              pub 192.0.2.1 / 198.51.100.1: server + coturn
//!  pb 10.61.2.2 ─ natB (masquerade) 198.51.100.2 ┘   (pub does not forward: no direct path)
//! ```

use mentorlive_engine::{CallEvent, CallState};
use mentorlive_protocol::analytics::CandidateType;
use mentorlive_testkit::cli_joiner::in_state;
use mentorlive_testkit::media::decoded_frames;
use mentorlive_testkit::netns::{cli, join, ns_sh, sh};
use mentorlive_testkit::{CliLine, ServerOptions, TestServer};
use serde_json::Value;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Five namespaces, removed on drop.
struct Topology {
    names: Vec<String>,
}

impl Topology {
    fn name(&self, which: &str) -> &str {
        let i = ["pa", "pb", "na", "nb", "pub"]
            .iter()
            .position(|w| *w == which)
            .expect("ns");
        &self.names[i]
    }

    fn new() -> Topology {
        let id = std::process::id() % 100_000;
        let names: Vec<String> = ["pa", "pb", "na", "nb", "pub"]
            .iter()
            .map(|n| format!("ml{n}{id}"))
            .collect();
        let t = Topology { names };
        for ns in &t.names {
            sh(&["ip", "netns", "add", ns]);
            ns_sh(ns, &["ip", "link", "set", "lo", "up"]);
        }
        // (namespace, address) at each end of each veth.
        let links = [
            (("pa", "10.61.1.2"), ("na", "10.61.1.1"), 24),
            (("pb", "10.61.2.2"), ("nb", "10.61.2.1"), 24),
            (("na", "192.0.2.2"), ("pub", "192.0.2.1"), 24),
            (("nb", "198.51.100.2"), ("pub", "198.51.100.1"), 24),
        ];
        for (i, ((ns1, a1), (ns2, a2), prefix)) in links.iter().enumerate() {
            let (v1, v2) = (format!("vn{id}a{i}"), format!("vn{id}b{i}"));
            sh(&[
                "ip", "link", "add", &v1, "type", "veth", "peer", "name", &v2,
            ]);
            sh(&["ip", "link", "set", &v1, "netns", t.name(ns1)]);
            sh(&["ip", "link", "set", &v2, "netns", t.name(ns2)]);
            ns_sh(
                t.name(ns1),
                &["ip", "addr", "add", &format!("{a1}/{prefix}"), "dev", &v1],
            );
            ns_sh(
                t.name(ns2),
                &["ip", "addr", "add", &format!("{a2}/{prefix}"), "dev", &v2],
            );
            ns_sh(t.name(ns1), &["ip", "link", "set", &v1, "up"]);
            ns_sh(t.name(ns2), &["ip", "link", "set", &v2, "up"]);
        }
        for (ns, gateway) in [
            ("pa", "10.61.1.1"),
            ("pb", "10.61.2.1"),
            ("na", "192.0.2.1"),
            ("nb", "198.51.100.1"),
        ] {
            ns_sh(
                t.name(ns),
                &["ip", "route", "add", "default", "via", gateway],
            );
        }
        for (nat, public_if_addr) in [("na", "192.0.2.2"), ("nb", "198.51.100.2")] {
            let ns = t.name(nat);
            ns_sh(ns, &["sysctl", "-qw", "net.ipv4.ip_forward=1"]);
            ns_sh(ns, &["nft", "add", "table", "ip", "nat"]);
            ns_sh(
                ns,
                &[
                    "nft",
                    "add",
                    "chain",
                    "ip",
                    "nat",
                    "post",
                    "{ type nat hook postrouting priority 100; }",
                ],
            );
            ns_sh(
                ns,
                &[
                    "nft",
                    "add",
                    "rule",
                    "ip",
                    "nat",
                    "post",
                    "ip",
                    "saddr",
                    "10.61.0.0/16",
                    "snat",
                    "to",
                    public_if_addr,
                ],
            );
        }
        // The public side answers both NATs but forwards nothing between them.
        ns_sh(t.name("pub"), &["sysctl", "-qw", "net.ipv4.ip_forward=0"]);
        t
    }
}

impl Drop for Topology {
    fn drop(&mut self) {
        for ns in &self.names {
            let _ = Command::new("ip").args(["netns", "del", ns]).status();
        }
    }
}

struct Kill(Child);
impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn peers_behind_two_nats_meet_through_the_turn_relay() {
    let turnserver = std::path::Path::new("/usr/bin/turnserver");
    assert!(
        turnserver.exists(),
        "coturn is installed by scripts/setup-system.sh"
    );
    let t = Topology::new();
    let secret = "nat-test-shared-secret";
    // coturn names its log file itself (it adds the date), so a folder of its own.
    let turn_logs = tempfile::tempdir().expect("log folder");
    let _coturn = Kill(
        Command::new("ip")
            .args(["netns", "exec", t.name("pub")])
            .arg(turnserver)
            // The configuration a deployment copies (deploy/coturn), with
            // this topology's addresses and secret on the command line.
            .arg("-c")
            .arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../deploy/coturn/turnserver.conf"
            ))
            .args([
                "--listening-ip=192.0.2.1",
                "--relay-ip=192.0.2.1",
                "--listening-port=3478",
                "--min-port=50000",
                "--max-port=50100",
                "--use-auth-secret",
                &format!("--static-auth-secret={secret}"),
                "--realm=mentorlive.test",
                "--no-tls",
                "--no-dtls",
                "--no-cli",
                "--fingerprint",
                "--allowed-peer-ip=192.0.2.1",
                // The file denies relaying into private networks, as coturn's
                // own docs advise. Without that, coturn here closed each
                // allocation right after the first relay attempt to the
                // partner's private host address ("closed (2nd stage),
                // reason: general"), and the relayed pair never answered.
                "--verbose",
            ])
            .arg(format!(
                "--log-file={}",
                turn_logs.path().join("turn.log").display()
            ))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("turnserver"),
    );
    let server = TestServer::start(ServerOptions {
        netns: Some(t.name("pub").to_owned()),
        host: "192.0.2.1".into(),
        extra_args: vec![
            "--turn".into(),
            "turn:192.0.2.1:3478?transport=udp".into(),
            "--turn-secret".into(),
            secret.into(),
        ],
        ..Default::default()
    });
    std::thread::sleep(Duration::from_millis(500));

    // The mentor makes a code from behind NAT A.
    let out = cli(
        t.name("pa"),
        &server.url,
        "mentor@example.com",
        &["sessions"],
    )
    .output()
    .expect("cli");
    let first: Value =
        serde_json::from_slice(out.stdout.split(|b| *b == b'\n').next().unwrap_or_default())
            .unwrap_or_else(|_| {
                panic!(
                    "sessions through NAT A: {}",
                    String::from_utf8_lossy(&out.stderr)
                )
            });
    let out = cli(
        t.name("pa"),
        &server.url,
        "mentor@example.com",
        &["code", "generate", first["id"].as_str().expect("id")],
    )
    .output()
    .expect("cli");
    let code: Value = serde_json::from_slice(&out.stdout).expect("code");
    let code = code["code"].as_str().expect("code").to_owned();

    let rec = tempfile::tempdir().expect("tmp");
    let started = Instant::now();
    let (mut a, a_rx) = join(
        t.name("pa"),
        "10.61.1.2",
        &server.url,
        "mentor@example.com",
        &code,
        14,
        &rec.path().join("a.ivf"),
    );
    std::thread::sleep(Duration::from_millis(500));
    let (mut b, b_rx) = join(
        t.name("pb"),
        "10.61.2.2",
        &server.url,
        "learner@example.com",
        &code,
        14,
        &rec.path().join("b.ivf"),
    );
    let mut connected_after = None;
    let mut a_seen = Vec::new();
    while started.elapsed() < Duration::from_secs(30) && connected_after.is_none() {
        if let Ok((_, line)) = a_rx.recv_timeout(Duration::from_millis(200)) {
            if line.event().is_some_and(in_state(CallState::Connected)) {
                connected_after = Some(started.elapsed());
            }
            a_seen.push(line);
        }
    }
    assert!(a.wait().expect("a").success());
    assert!(b.wait().expect("b").success());
    a_seen.extend(a_rx.rest().into_iter().map(|(_, line)| line)); // to EOF
    drop(b_rx);
    let log: String = std::fs::read_dir(turn_logs.path())
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
        .collect();
    let allocations = log
        .matches("incoming packet ALLOCATE processed, success")
        .count();
    let decoded_b = decoded_frames(&rec.path().join("b.ivf"), "v");
    let decoded_a = decoded_frames(&rec.path().join("a.ivf"), "v");
    println!(
        "FAULT | each peer behind its own NAT, only a TURN relay between them | {} | connected after {:?}; {decoded_a} and {decoded_b} frames decoded each way; {allocations} allocations relayed through coturn",
        if connected_after.is_some() && decoded_a > 30 && decoded_b > 30 { "pass" } else { "FAIL" },
        connected_after
    );
    assert!(
        connected_after.is_some(),
        "the call connected through the relay: {:?}",
        a_seen.iter().map(CliLine::name).collect::<Vec<_>>()
    );
    assert!(allocations >= 2, "both peers allocated on coturn: {log}");
    assert!(
        decoded_a > 30 && decoded_b > 30,
        "media crossed the relay both ways: {decoded_a}, {decoded_b}"
    );
    // The call report says so, and reached the server through the NAT.
    let report = a_seen
        .iter()
        .find_map(|l| match l.event() {
            Some(CallEvent::Report { report }) => Some((**report).clone()),
            _ => None,
        })
        .expect("the mentor's call report");
    assert_eq!(
        report.candidate_type,
        Some(CandidateType::Relay),
        "{report:?}"
    );
    assert!(
        a_seen
            .iter()
            .any(|l| l.report_outcome().is_some_and(|o| o.id.is_some())),
        "the report reached the server: {:?}",
        a_seen.iter().map(CliLine::name).collect::<Vec<_>>()
    );
}
