//! `mentorlive-cli join` as a test partner: started with media fixtures
//! and recordings, its JSON event lines collected. Shared by the call and
//! app suites (`#[path]`-included).

// Each suite that includes this uses a part of it.
#![allow(dead_code)]

use crate::media;
use mentorlive_e2e::Server;
use mentorlive_testkit::workspace_binary;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A running `mentorlive-cli join`, its JSON event lines collected.
pub struct Joiner {
    child: Child,
    lines: mpsc::Receiver<Value>,
    pub seen: Vec<Value>,
}

impl Joiner {
    pub fn start(
        server: &Server,
        email: &str,
        code: &str,
        duration: f64,
        out: &Path,
        name: &str,
    ) -> Joiner {
        Self::start_at(&server.url, email, code, duration, out, name)
    }

    /// Like [`Joiner::start`], against a server address of the test's choice.
    pub fn start_at(
        server_url: &str,
        email: &str,
        code: &str,
        duration: f64,
        out: &Path,
        name: &str,
    ) -> Joiner {
        let fx = media::fixtures();
        let mut child = Command::new(workspace_binary("mentorlive-cli"))
            .args([
                "--server",
                server_url,
                "--email",
                email,
                "--password",
                "mentorlive",
                "--json",
                "join",
                code,
            ])
            .arg("--video")
            .arg(&fx.video)
            .arg("--audio")
            .arg(&fx.audio)
            .arg("--record-video")
            .arg(out.join(format!("{name}.ivf")))
            .arg("--record-audio")
            .arg(out.join(format!("{name}.ogg")))
            .args(["--duration", &duration.to_string(), "--bind", "127.0.0.1:0"])
            .env("RUST_LOG", "error")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("mentorlive-cli");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Ok(value) = serde_json::from_str::<Value>(&line) {
                    let _ = tx.send(value);
                }
            }
        });
        Joiner {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Waits for a new event (not one already seen) matching `pred`: lines
    /// already printed are history, only what comes after counts.
    pub fn next(&mut self, what: &str, timeout: Duration, pred: impl Fn(&Value) -> bool) -> Value {
        let mark = self.mark();
        self.wait_since(mark, what, timeout, pred)
    }

    /// Where "from now on" starts, for `wait_since`.
    pub fn mark(&mut self) -> usize {
        let queued: Vec<Value> = self.lines.try_iter().collect();
        self.seen.extend(queued);
        self.seen.len()
    }

    /// Waits for an event matching `pred` seen at or after `mark`.
    pub fn wait_since(
        &mut self,
        mark: usize,
        what: &str,
        timeout: Duration,
        pred: impl Fn(&Value) -> bool,
    ) -> Value {
        let queued: Vec<Value> = self.lines.try_iter().collect();
        self.seen.extend(queued);
        if let Some(found) = self.seen[mark.min(self.seen.len())..]
            .iter()
            .find(|v| pred(v))
        {
            return found.clone();
        }
        self.receive_until(what, timeout, pred)
    }

    /// Waits for an event matching `pred`, keeping everything seen.
    pub fn wait_for(
        &mut self,
        what: &str,
        timeout: Duration,
        pred: impl Fn(&Value) -> bool,
    ) -> Value {
        if let Some(found) = self.seen.iter().find(|v| pred(v)) {
            return found.clone();
        }
        self.receive_until(what, timeout, pred)
    }

    /// Reads lines (keeping each) until one matches `pred`.
    fn receive_until(
        &mut self,
        what: &str,
        timeout: Duration,
        pred: impl Fn(&Value) -> bool,
    ) -> Value {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(value) => {
                    self.seen.push(value.clone());
                    if pred(&value) {
                        return value;
                    }
                }
                Err(_) => panic!(
                    "no {what} within {timeout:?}; saw {:?}",
                    self.seen
                        .iter()
                        .map(|v| v["event"].clone())
                        .collect::<Vec<_>>()
                ),
            }
        }
    }

    /// Waits for the process to end; returns every event line.
    pub fn finish(mut self) -> Vec<Value> {
        let status = self.child.wait().expect("wait");
        // The process has ended, but its reader thread may still be reading
        // the last lines out of the pipe: read until it hangs up at EOF (a
        // `try_iter` here lost the final "ended" line now and then in CI).
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(value) => self.seen.push(value),
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    panic!("mentorlive-cli's output did not close after it exited")
                }
            }
        }
        assert!(
            status.success(),
            "mentorlive-cli exited with {status}: {:?}",
            self.seen
        );
        std::mem::take(&mut self.seen)
    }

    /// Asks the CLI to hang up now, as Ctrl-C would; `finish` then collects it.
    pub fn interrupt(&self) {
        let status = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success(), "SIGINT to mentorlive-cli");
    }

    pub fn last_stats(events: &[Value]) -> Value {
        events
            .iter()
            .rev()
            .find(|v| v["event"] == "stats")
            .map(|v| v["stats"].clone())
            .expect("stats lines")
    }
}

impl Drop for Joiner {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}
