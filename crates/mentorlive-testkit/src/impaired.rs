//! A call through an impaired path. Two relay-only `mentorlive-cli` peers in
//! a network namespace of their own meet through coturn, and
//! `mentorlive-impair` stands in front of coturn as the TURN address the
//! server hands out. It impairs what each peer sends (`--impair out`), so
//! each direction of the call crosses one impaired uplink and the round trip
//! is the two delays added.
//!
//! ```text
//!  mentor ─▶ impair (mentor's uplink) ─▶ coturn ─▶ learner
//!  learner ─▶ impair (learner's uplink) ─▶ coturn ─▶ mentor
//! ```
//!
//! Both peers log each camera frame sent and received (`--frame-log`) on
//! one clock, so a frame's delay from engine to engine is exact.

use crate::cli_joiner::CliOutput;
use crate::netns::{cli, ns_sh, sh};
use crate::{media, workspace_binary, CliLine, ServerOptions, TestServer};
use mentorlive_engine::{CallEvent, CallState, CallStats};
use mentorlive_protocol::analytics::CallReport;
use serde_json::Value;
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Milliseconds since the Unix epoch at `at` (the clock the frame logs use).
pub fn wall_ms(at: Instant) -> f64 {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs_f64()
        * 1000.0;
    now - Instant::now().saturating_duration_since(at).as_secs_f64() * 1000.0
}

struct Kill(Child);
impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A namespace with only loopback, removed on drop (after what runs in it).
struct Namespace(String);
impl Drop for Namespace {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.0]).status();
    }
}

/// One frame line of `--frame-log`.
#[derive(Debug, Clone)]
pub struct FrameLine {
    pub sent: bool,
    /// Wall-clock milliseconds.
    pub t: f64,
    pub hash: String,
    pub keyframe: bool,
    pub bytes: u64,
}

/// What one peer printed and logged.
pub struct Side {
    /// Event lines, each at the wall-clock millisecond it was read.
    pub lines: Vec<(f64, CliLine)>,
    pub frames: Vec<FrameLine>,
}

impl Side {
    pub fn connected_at(&self) -> Option<f64> {
        self.lines.iter().find_map(|(t, l)| {
            matches!(
                l.event(),
                Some(CallEvent::State {
                    state: CallState::Connected
                })
            )
            .then_some(*t)
        })
    }

    pub fn report(&self) -> Option<CallReport> {
        self.lines.iter().find_map(|(_, l)| match l.event() {
            Some(CallEvent::Report { report }) => Some((**report).clone()),
            _ => None,
        })
    }

    /// The once-a-second figures, each at the millisecond it was read.
    pub fn stats(&self) -> Vec<(f64, CallStats)> {
        self.lines
            .iter()
            .filter_map(|(t, l)| match l.event() {
                Some(CallEvent::Stats { stats }) => Some((*t, stats.clone())),
                _ => None,
            })
            .collect()
    }

    fn received(&self) -> impl Iterator<Item = &FrameLine> {
        self.frames.iter().filter(|f| !f.sent)
    }

    /// Intervals between the partner's frames as they arrived: (when the
    /// gap began, its length, whether the frame ending it was a keyframe).
    pub fn gaps(&self) -> Vec<(f64, f64, bool)> {
        let frames: Vec<&FrameLine> = self.received().collect();
        frames
            .windows(2)
            .map(|w| (w[0].t, w[1].t - w[0].t, w[1].keyframe))
            .collect()
    }
}

/// Each of `receiver`'s frames' delay from `sender`'s engine, in ms: the
/// latest sending of the same bytes before it arrived (the file loops).
pub fn frame_delays(sender: &Side, receiver: &Side) -> Vec<(f64, f64)> {
    let mut sent: HashMap<&str, Vec<f64>> = HashMap::new();
    for f in sender.frames.iter().filter(|f| f.sent) {
        sent.entry(&f.hash).or_default().push(f.t);
    }
    receiver
        .received()
        .filter_map(|f| {
            let times = sent.get(f.hash.as_str())?;
            let at = times.partition_point(|&t| t <= f.t);
            let sent_at = times.get(at.checked_sub(1)?)?;
            Some((f.t, f.t - sent_at))
        })
        .collect()
}

/// The `q`th quantile (0 to 1) of `values`, by nearest rank.
pub fn quantile(values: &[f64], q: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let rank = ((q * v.len() as f64).ceil() as usize).clamp(1, v.len());
    v[rank - 1]
}

/// A finished impaired call.
pub struct ImpairedRun {
    pub mentor: Side,
    pub learner: Side,
    /// The proxy's once-a-second lines (per client: sent, lost, overflowed,
    /// queueing delay), each at the wall-clock millisecond it was read.
    pub path: Vec<(f64, Value)>,
    /// coturn allocations made (both peers relayed).
    pub allocations: usize,
}

impl ImpairedRun {
    /// Each client's uplink rate as the proxy saw it arrive, in kbit/s over
    /// the interval between two of its reports: (wall ms at the report's
    /// end, kbit/s), per client address. This is what a sender put on the
    /// wire, measured outside it, at the proxy's report interval.
    pub fn uplink_kbps(&self) -> HashMap<String, Vec<(f64, f64)>> {
        let mut last: HashMap<String, (f64, u64)> = HashMap::new();
        let mut rates: HashMap<String, Vec<(f64, f64)>> = HashMap::new();
        for (t, line) in &self.path {
            let (Some(client), Some(bytes)) =
                (line["client"].as_str(), line["out"]["sentBytes"].as_u64())
            else {
                continue;
            };
            if let Some((then, before)) = last.insert(client.to_owned(), (*t, bytes)) {
                if *t > then {
                    let kbps = bytes.saturating_sub(before) as f64 * 8.0 / (*t - then);
                    rates.entry(client.to_owned()).or_default().push((*t, kbps));
                }
            }
        }
        rates
    }
}

fn read_frames(path: &Path) -> Vec<FrameLine> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .map(|v| FrameLine {
            sent: v["dir"] == "out",
            t: v["t"].as_f64().unwrap_or_default(),
            hash: v["h"].as_str().unwrap_or_default().to_owned(),
            keyframe: v["key"].as_bool().unwrap_or_default(),
            bytes: v["bytes"].as_u64().unwrap_or_default(),
        })
        .collect()
}

/// Runs a call of `seconds` through a path impaired by `impair` (the
/// proxy's options, such as `--delay 50ms --loss 3%`). With `ladder`, each
/// peer sends the video in three renditions and follows congestion
/// control's target; otherwise the 800 kbit/s test pattern.
pub fn impaired_call(name: &str, impair: &[&str], seconds: u32, ladder: bool) -> ImpairedRun {
    let turnserver = Path::new("/usr/bin/turnserver");
    assert!(
        turnserver.exists(),
        "coturn is installed by scripts/setup-system.sh"
    );
    let ns = Namespace(format!(
        "mli{}{}",
        std::process::id() % 100_000,
        name.chars().take(4).collect::<String>()
    ));
    let _ = Command::new("ip")
        .args(["netns", "del", &ns.0])
        .stderr(Stdio::null())
        .status();
    sh(&["ip", "netns", "add", &ns.0]);
    ns_sh(&ns.0, &["ip", "link", "set", "lo", "up"]);
    let secret = "impaired-call-shared-secret";
    let work = tempfile::tempdir().expect("tmp");
    let coturn = Kill(
        Command::new("ip")
            .args(["netns", "exec", &ns.0])
            .arg(turnserver)
            // Nothing from /etc: this call's settings only.
            .args(["-c", "/dev/null"])
            .args([
                "--listening-ip=127.0.0.1",
                "--relay-ip=127.0.0.1",
                "--listening-port=3478",
                "--min-port=50000",
                "--max-port=50200",
                "--use-auth-secret",
                &format!("--static-auth-secret={secret}"),
                "--realm=mentorlive.test",
                "--no-tls",
                "--no-dtls",
                "--no-cli",
                "--fingerprint",
                // Both relayed addresses are on this namespace's loopback.
                "--allow-loopback-peers",
                "--verbose",
            ])
            .arg(format!(
                "--log-file={}",
                work.path().join("turn.log").display()
            ))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("turnserver"),
    );
    let mut proxy = Command::new("ip")
        .args(["netns", "exec", &ns.0])
        .arg(workspace_binary("mentorlive-impair"))
        .args([
            "--listen",
            "127.0.0.1:3479",
            "--upstream",
            "127.0.0.1:3478",
            "--impair",
            "out",
        ])
        .args(impair)
        .stdout(Stdio::piped())
        .spawn()
        .expect("mentorlive-impair");
    let path_lines = Arc::new(Mutex::new(Vec::new()));
    {
        let stdout = proxy.stdout.take().expect("stdout");
        let lines = path_lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Ok(v) = serde_json::from_str::<Value>(&line) {
                    if let Ok(mut lines) = lines.lock() {
                        lines.push((wall_ms(Instant::now()), v));
                    }
                }
            }
        });
    }
    let proxy = Kill(proxy);
    let server = TestServer::start(ServerOptions {
        netns: Some(ns.0.clone()),
        host: "127.0.0.1".into(),
        extra_args: vec![
            "--turn".into(),
            "turn:127.0.0.1:3479?transport=udp".into(),
            "--turn-secret".into(),
            secret.into(),
        ],
        ..Default::default()
    });
    let first = cli(&ns.0, &server.url, "mentor@example.com", &["sessions"])
        .output()
        .expect("cli");
    let first: Value = serde_json::from_slice(
        first
            .stdout
            .split(|b| *b == b'\n')
            .next()
            .unwrap_or_default(),
    )
    .expect("a session");
    let out = cli(
        &ns.0,
        &server.url,
        "mentor@example.com",
        &["code", "generate", first["id"].as_str().expect("id")],
    )
    .output()
    .expect("cli");
    let code: Value = serde_json::from_slice(&out.stdout).expect("code");
    let code = code["code"].as_str().expect("code").to_owned();

    let fx = media::fixtures();
    let join = |email: &str, log: &Path| {
        let mut cmd = cli(
            &ns.0,
            &server.url,
            email,
            &[
                "join",
                &code,
                "--duration",
                &seconds.to_string(),
                "--bind",
                "127.0.0.1:0",
                "--relay-only",
                "--no-report",
            ],
        );
        cmd.arg("--audio")
            .arg(&fx.audio)
            .arg("--frame-log")
            .arg(log);
        if ladder {
            for rendition in media::video_ladder() {
                cmd.arg("--video").arg(rendition);
            }
        } else {
            cmd.arg("--video").arg(&fx.video);
        }
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("cli");
        let output = CliOutput::read(child.stdout.take().expect("stdout"));
        (Kill(child), output)
    };
    let (mentor_log, learner_log) = (work.path().join("a.log"), work.path().join("b.log"));
    let (mut mentor, mentor_out) = join("mentor@example.com", &mentor_log);
    std::thread::sleep(Duration::from_millis(300));
    let (mut learner, learner_out) = join("learner@example.com", &learner_log);
    let deadline = Instant::now() + Duration::from_secs(u64::from(seconds) + 30);
    for child in [&mut mentor, &mut learner] {
        while child.0.try_wait().ok().flatten().is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    let side = |out: CliOutput, log: &Path| Side {
        lines: out
            .rest()
            .into_iter()
            .map(|(at, line)| (wall_ms(at), line))
            .collect(),
        frames: read_frames(log),
    };
    drop((mentor, learner));
    let run = ImpairedRun {
        mentor: side(mentor_out, &mentor_log),
        learner: side(learner_out, &learner_log),
        path: path_lines.lock().map(|l| l.clone()).unwrap_or_default(),
        allocations: std::fs::read_dir(work.path())
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| std::fs::read_to_string(e.path()).ok())
            .map(|log| {
                log.matches("incoming packet ALLOCATE processed, success")
                    .count()
            })
            .sum(),
    };
    drop((server, proxy, coturn));
    run
}
