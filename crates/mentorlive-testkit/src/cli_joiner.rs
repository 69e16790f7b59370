//! `mentorlive-cli join` as a test partner: started with media fixtures and
//! recordings, its JSON lines read as what they are, [`CliLine`]s.
//!
//! With `--json`, `join` prints one line per [`CallEvent`] (the engine's own
//! serialisation), `report_sent` (or `report_failed`) after the call, and
//! a last `{"event":"recorded",…}` line. A line that reads
//! as neither fails the test with the line shown: the CLI and the suites
//! disagree about the format.

use crate::binaries::workspace_binary;
use crate::media;
use crate::server::TestServer;
use mentorlive_engine::{CallEvent, CallState, CallStats};
use mentorlive_protocol::signaling::LeaveReason;
use serde::Deserialize;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

/// One line of `mentorlive-cli --json join`.
#[derive(Debug, Clone, PartialEq)]
pub enum CliLine {
    /// An event of the call.
    Call(CallEvent),
    /// What the CLI recorded of the partner.
    Recorded(Recorded),
    /// The call report went to the server (`report_sent`) or did not
    /// (`report_failed`).
    Report(ReportOutcome),
}

/// `{"event":"report_sent","id":…}` or `{"event":"report_failed","message":…}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ReportOutcome {
    pub id: Option<String>,
    pub message: Option<String>,
}

/// `{"event":"recorded","videoFrames":N,"audioPackets":M,"screenFrames":S}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Recorded {
    pub video_frames: u64,
    pub audio_packets: u64,
    pub screen_frames: u64,
}

impl CliLine {
    /// Reads one line; panics, showing it, when it is not one of the CLI's.
    pub fn parse(line: &str) -> CliLine {
        let value: Value = serde_json::from_str(line).unwrap_or_else(|e| {
            panic!("mentorlive-cli printed a line that is not JSON ({e}): {line}")
        });
        let parsed = if value["event"] == "recorded" {
            serde_json::from_value(value).map(CliLine::Recorded)
        } else if value["event"] == "report_sent" || value["event"] == "report_failed" {
            serde_json::from_value(value).map(CliLine::Report)
        } else {
            serde_json::from_value(value).map(CliLine::Call)
        };
        parsed.unwrap_or_else(|e| {
            panic!("mentorlive-cli printed a line that is no CallEvent and no `recorded` ({e}): {line}")
        })
    }

    /// The call's event, unless this is the `recorded` line.
    pub fn event(&self) -> Option<&CallEvent> {
        match self {
            CliLine::Call(event) => Some(event),
            CliLine::Recorded(_) | CliLine::Report(_) => None,
        }
    }

    /// The `recorded` line's figures.
    pub fn recorded(&self) -> Option<Recorded> {
        match self {
            CliLine::Recorded(recorded) => Some(*recorded),
            CliLine::Call(_) | CliLine::Report(_) => None,
        }
    }

    /// The call report's outcome line.
    pub fn report_outcome(&self) -> Option<&ReportOutcome> {
        match self {
            CliLine::Report(outcome) => Some(outcome),
            _ => None,
        }
    }

    /// The line's `event` name, for messages.
    pub fn name(&self) -> String {
        match self {
            CliLine::Call(event) => serde_json::to_value(event)
                .ok()
                .and_then(|v| v["event"].as_str().map(str::to_owned))
                .unwrap_or_default(),
            CliLine::Recorded(_) => "recorded".to_owned(),
            CliLine::Report(r) if r.id.is_some() => "report_sent".to_owned(),
            CliLine::Report(_) => "report_failed".to_owned(),
        }
    }
}

/// For [`Joiner`]'s waits: the call's state became `state`.
pub fn in_state(state: CallState) -> impl Fn(&CallEvent) -> bool {
    move |event| matches!(event, CallEvent::State { state: now } if *now == state)
}

/// For [`Joiner`]'s waits: the partner left, for `reason`.
pub fn peer_left(reason: LeaveReason) -> impl Fn(&CallEvent) -> bool {
    move |event| matches!(event, CallEvent::PeerLeft { reason: why, .. } if *why == reason)
}

/// A CLI's standard output, read line by line on a thread of its own (the
/// process never blocks on a full pipe), each line with the instant it came.
pub struct CliOutput {
    lines: mpsc::Receiver<(Instant, String)>,
}

impl CliOutput {
    pub fn read(stdout: ChildStdout) -> CliOutput {
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send((Instant::now(), line));
            }
        });
        CliOutput { lines }
    }

    /// The next line, if one comes within `timeout`; `Disconnected` once the
    /// CLI has closed its output and every line was read.
    pub fn recv_timeout(&self, timeout: Duration) -> Result<(Instant, CliLine), RecvTimeoutError> {
        self.lines
            .recv_timeout(timeout)
            .map(|(at, line)| (at, CliLine::parse(&line)))
    }

    /// The lines already read, without waiting.
    pub fn queued(&self) -> Vec<(Instant, CliLine)> {
        self.lines
            .try_iter()
            .map(|(at, line)| (at, CliLine::parse(&line)))
            .collect()
    }

    /// Every line still to come, until the CLI closes its output.
    pub fn rest(&self) -> Vec<(Instant, CliLine)> {
        self.lines
            .iter()
            .map(|(at, line)| (at, CliLine::parse(&line)))
            .collect()
    }
}

/// A running `mentorlive-cli join`, its lines collected.
pub struct Joiner {
    child: Child,
    output: CliOutput,
    /// Every line read so far, in order.
    pub seen: Vec<CliLine>,
}

impl Joiner {
    pub fn start(
        server: &TestServer,
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
        Self::start_with(server_url, email, code, duration, out, name, &[])
    }

    /// Like [`Joiner::start_at`], with more `join` arguments (a screen share).
    pub fn start_with(
        server_url: &str,
        email: &str,
        code: &str,
        duration: f64,
        out: &Path,
        name: &str,
        more: &[&std::ffi::OsStr],
    ) -> Joiner {
        let fx = media::fixtures();
        Self::start_with_media(
            server_url,
            email,
            code,
            duration,
            out,
            name,
            (&fx.video, &fx.audio),
            more,
        )
    }

    /// Like [`Joiner::start_with`], sending this video and audio.
    #[allow(clippy::too_many_arguments)]
    pub fn start_with_media(
        server_url: &str,
        email: &str,
        code: &str,
        duration: f64,
        out: &Path,
        name: &str,
        (video, audio): (&Path, &Path),
        more: &[&std::ffi::OsStr],
    ) -> Joiner {
        let mut child = Command::new(workspace_binary("mentorlive-cli"))
            .args([
                "--server", server_url, "--email", email, "--json", "join", code,
            ])
            .env("MENTORLIVE_PASSWORD", "mentorlive")
            .arg("--video")
            .arg(video)
            .arg("--audio")
            .arg(audio)
            .arg("--record-video")
            .arg(out.join(format!("{name}.ivf")))
            .arg("--record-audio")
            .arg(out.join(format!("{name}.ogg")))
            .args(["--duration", &duration.to_string(), "--bind", "127.0.0.1:0"])
            .args(more)
            .env("RUST_LOG", "error")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("mentorlive-cli");
        let output = CliOutput::read(child.stdout.take().expect("stdout"));
        Joiner {
            child,
            output,
            seen: Vec::new(),
        }
    }

    /// Waits for a new event (not one already seen) matching `pred`: lines
    /// already printed are history, only what comes after counts.
    pub fn next(
        &mut self,
        what: &str,
        timeout: Duration,
        pred: impl Fn(&CallEvent) -> bool,
    ) -> CallEvent {
        let mark = self.mark();
        self.wait_since(mark, what, timeout, pred)
    }

    /// The figures of the next `stats` event (the CLI prints one a second).
    pub fn next_stats(&mut self, timeout: Duration) -> CallStats {
        let mark = self.mark();
        self.pick_since(mark, "stats", timeout, |event| match event {
            CallEvent::Stats { stats } => Some(stats.clone()),
            _ => None,
        })
    }

    /// Where "from now on" starts, for `wait_since`.
    pub fn mark(&mut self) -> usize {
        self.take_queued();
        self.seen.len()
    }

    /// Waits for an event matching `pred` seen at or after `mark`.
    pub fn wait_since(
        &mut self,
        mark: usize,
        what: &str,
        timeout: Duration,
        pred: impl Fn(&CallEvent) -> bool,
    ) -> CallEvent {
        self.pick_since(mark, what, timeout, |event| {
            pred(event).then(|| event.clone())
        })
    }

    /// Waits for an event matching `pred`, keeping everything seen.
    pub fn wait_for(
        &mut self,
        what: &str,
        timeout: Duration,
        pred: impl Fn(&CallEvent) -> bool,
    ) -> CallEvent {
        self.wait_since(0, what, timeout, pred)
    }

    /// Waits until the joiner is in the room (its `joined` event), as a
    /// partner already waiting when the other side arrives.
    pub fn wait_joined(&mut self) -> CallEvent {
        self.wait_for("joined", Duration::from_secs(20), |e| {
            matches!(e, CallEvent::Joined { .. })
        })
    }

    fn take_queued(&mut self) {
        let queued = self.output.queued();
        self.seen.extend(queued.into_iter().map(|(_, line)| line));
    }

    /// The first event at or after `mark` that `pick` takes, reading lines
    /// (keeping each) until one comes or `timeout` passes.
    fn pick_since<T>(
        &mut self,
        mark: usize,
        what: &str,
        timeout: Duration,
        pick: impl Fn(&CallEvent) -> Option<T>,
    ) -> T {
        self.take_queued();
        if let Some(found) = self.seen[mark.min(self.seen.len())..]
            .iter()
            .filter_map(CliLine::event)
            .find_map(&pick)
        {
            return found;
        }
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.output.recv_timeout(left) {
                Ok((_, line)) => {
                    let found = line.event().and_then(&pick);
                    self.seen.push(line);
                    if let Some(found) = found {
                        return found;
                    }
                }
                Err(_) => panic!(
                    "no {what} within {timeout:?}; saw {:?}",
                    self.seen.iter().map(CliLine::name).collect::<Vec<_>>()
                ),
            }
        }
    }

    /// Waits for the process to end; returns every line.
    pub fn finish(mut self) -> Vec<CliLine> {
        let status = self.child.wait().expect("wait");
        // The process has ended, but its reader thread may still be reading
        // the last lines out of the pipe: read until it hangs up at EOF (a
        // `try_iter` here lost the final "ended" line now and then in CI).
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.output.recv_timeout(left) {
                Ok((_, line)) => self.seen.push(line),
                Err(RecvTimeoutError::Disconnected) => break,
                Err(RecvTimeoutError::Timeout) => {
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

    /// Kills the CLI outright (`kill -9`): nothing of it runs after this.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Asks the CLI to hang up now, as Ctrl-C would; `finish` then collects it.
    pub fn interrupt(&self) {
        let status = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success(), "SIGINT to mentorlive-cli");
    }

    /// The figures of the last `stats` event among `lines`.
    pub fn last_stats(lines: &[CliLine]) -> &CallStats {
        lines
            .iter()
            .rev()
            .filter_map(CliLine::event)
            .find_map(|event| match event {
                CallEvent::Stats { stats } => Some(stats),
                _ => None,
            })
            .expect("stats lines")
    }
}

impl Drop for Joiner {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_engines_events_read_back_as_they_were_written() {
        let events = [
            CallEvent::State {
                state: CallState::WaitingForPeer,
            },
            CallEvent::KeyframeRequested,
            CallEvent::TargetBitrate { bps: 300_000 },
            CallEvent::Signaling {
                state: "connected".into(),
            },
        ];
        for event in events {
            let line = serde_json::to_string(&event).expect("json");
            assert_eq!(CliLine::parse(&line), CliLine::Call(event), "{line}");
        }
    }

    /// Lines as the CLI prints them read and write back the same.
    #[test]
    fn the_clis_lines_round_trip() {
        let lines = [
            r#"{"event":"joined","session_id":"s1","peer_id":"p1","polite":true}"#,
            r#"{"event":"peer_present","peer_id":"p2","user":{"id":"u2","name":"Maya Mentor","role":"mentor"}}"#,
            r#"{"event":"peer_left","peer_id":"p2","reason":"replaced"}"#,
            r#"{"event":"state","state":"connected"}"#,
            r#"{"event":"stats","stats":{"state":"connected","rttMs":12.5,"jitterMs":null,"loss":0.01,"bitrateInKbps":812.3,"bitrateOutKbps":790.0,"targetBitrateKbps":null,"videoFramesIn":300,"audioFramesIn":500,"screenFramesOut":0,"screenFramesIn":40,"videoFramesOut":301,"audioFramesOut":499,"framesInDropped":0,"framesOutDropped":1,"framesOutShed":3,"packetsInLost":2,"keyframesRequestedByUs":1,"keyframesRequestedOfUs":0}}"#,
            r#"{"event":"chat","message":{"text":"Hello","id":"c1","sentAt":"2030-01-01T10:00:00Z"}}"#,
            r#"{"event":"partner_media","state":{"audioMuted":true,"videoOff":false,"screen":false}}"#,
            r#"{"event":"replaced"}"#,
        ];
        for line in lines {
            let CliLine::Call(event) = CliLine::parse(line) else {
                panic!("not a call event: {line}");
            };
            assert_eq!(
                serde_json::to_value(&event).expect("json"),
                serde_json::from_str::<Value>(line).expect("json"),
                "{line}"
            );
        }
    }

    #[test]
    fn the_recorded_line_reads() {
        let line = r#"{"event":"recorded","videoFrames":120,"audioPackets":250,"screenFrames":30}"#;
        assert_eq!(
            CliLine::parse(line),
            CliLine::Recorded(Recorded {
                video_frames: 120,
                audio_packets: 250,
                screen_frames: 30,
            })
        );
        assert_eq!(CliLine::parse(line).name(), "recorded");
    }

    #[test]
    #[should_panic(expected = "no CallEvent")]
    fn a_line_of_another_shape_fails_loudly() {
        CliLine::parse(r#"{"event":"stats","stats":{"videoFramesIn":"many"}}"#);
    }
}
