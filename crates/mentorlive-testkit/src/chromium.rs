//! The platform's web client, as the server serves it, in Debian's Chromium
//! (`tests/node/web-client.js`): a person in a browser, step by step.

use crate::node::node_dir;
use crate::process::{grab_screen, start_xvfb, Kill};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// The inbound and outbound figures of the web client's peer connection.
pub const INBOUND_JS: &str = r#"(async () => {
  const pc = window.mentorliveWebCall?.peer();
  if (!pc) return null;
  const out = { video: null, audio: null, outbound: {} };
  for (const s of (await pc.getStats()).values()) {
    if (s.type === "inbound-rtp") out[s.kind] = { framesDecoded: s.framesDecoded ?? 0, packetsReceived: s.packetsReceived ?? 0 };
    if (s.type === "outbound-rtp") out.outbound[s.kind] = { packetsSent: s.packetsSent ?? 0, framesEncoded: s.framesEncoded ?? null };
  }
  return out;
})()"#;

pub struct WebClient {
    child: Child,
    stdin: ChildStdin,
    answers: mpsc::Receiver<Value>,
    name: &'static str,
    /// A headed browser's X server, and its display.
    x_server: Option<Kill>,
    display: Option<String>,
}

impl WebClient {
    /// Chromium with a fresh profile; `phone` emulates a 360 px wide phone.
    pub fn start(name: &'static str, phone: bool) -> WebClient {
        let flags: &[&str] = if phone { &["--phone"] } else { &[] };
        Self::launch(name, flags, None)
    }

    /// Chromium for figures beside the app: its fake camera at the mock
    /// camera's 30 frames a second (Chromium's default is 20), and, when
    /// `headed`, in a window the size of the app's on an Xvfb display of its
    /// own (`display_base` picks it, as for the app), painting the way a
    /// person's browser does. Headless Chromium paints to no screen.
    pub fn start_for_figures(name: &'static str, headed: bool, display_base: u32) -> WebClient {
        let mut flags = vec!["--camera-fps=30"];
        if !headed {
            return Self::launch(name, &flags, None);
        }
        flags.push("--headed");
        let display = format!(":{}", display_base + std::process::id() % 400);
        let xvfb = start_xvfb(&display);
        let mut client = Self::launch(name, &flags, Some(&display));
        client.x_server = Some(xvfb);
        client
    }

    fn launch(name: &'static str, flags: &[&str], display: Option<&str>) -> WebClient {
        let script = node_dir().join("web-client.js");
        let mut command = Command::new("node");
        if let Some(display) = display {
            command.env("DISPLAY", display);
        }
        let mut child = command
            .arg(script)
            .args(flags)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("node");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, answers) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                match serde_json::from_str::<Value>(&line) {
                    Ok(value) => {
                        if tx.send(value).is_err() {
                            break;
                        }
                    }
                    Err(_) => println!("[{name}] {line}"),
                }
            }
        });
        let mut client = WebClient {
            child,
            stdin,
            answers,
            name,
            x_server: None,
            display: display.map(str::to_owned),
        };
        let ready = client.answer(Duration::from_secs(60));
        assert_eq!(ready["value"], "ready", "{name}: {ready}");
        client
    }

    fn answer(&mut self, timeout: Duration) -> Value {
        self.answers
            .recv_timeout(timeout)
            .unwrap_or_else(|_| panic!("{}: the browser did not answer", self.name))
    }

    /// Runs one command; panics with the page's words when it fails.
    pub fn run(&mut self, command: Value) -> Value {
        let answer = self.try_run(command.clone());
        assert_eq!(
            answer["ok"], true,
            "{}: {command} failed: {answer}",
            self.name
        );
        answer["value"].clone()
    }

    fn try_run(&mut self, command: Value) -> Value {
        writeln!(self.stdin, "{command}").expect("write to node");
        self.stdin.flush().expect("flush");
        self.answer(Duration::from_secs(120))
    }

    pub fn open(&mut self, url: &str) -> Value {
        self.run(json!({"do": "open", "url": url}))
    }

    pub fn click(&mut self, selector: &str) {
        self.run(json!({"do": "click", "selector": selector}));
    }

    pub fn fill(&mut self, selector: &str, value: &str) {
        self.run(json!({"do": "fill", "selector": selector, "value": value}));
    }

    /// Waits until `js` is truthy; returns its value.
    pub fn wait_for(&mut self, what: &str, js: &str, secs: u64) -> Value {
        let answer = self.try_run(json!({"do": "waitFor", "js": js, "timeoutMs": secs * 1000}));
        if answer["ok"] != true {
            let problems = self.run(json!({"do": "problems"}));
            let text = self.eval("document.body.innerText");
            panic!(
                "{}: no {what} within {secs} s: {answer}\npage problems: {problems}\npage text: {text}",
                self.name
            );
        }
        answer["value"].clone()
    }

    pub fn eval(&mut self, js: &str) -> Value {
        self.run(json!({"do": "eval", "js": js}))
    }

    /// axe-core on the page as it is now: no serious or critical violation.
    pub fn assert_accessible(&mut self, screen: &str) {
        let violations = self.run(json!({"do": "axe"}));
        assert_eq!(
            violations,
            json!([]),
            "{}: accessibility of the {screen} screen",
            self.name
        );
    }

    /// The page as Chromium renders it; for a headed browser, its whole
    /// screen as the X server shows it (the window as a person sees it).
    pub fn screenshot(&mut self, path: &std::path::Path) {
        match &self.display {
            Some(display) => grab_screen(display, path),
            None => {
                self.run(json!({"do": "screenshot", "path": path}));
            }
        }
    }

    /// Presses Tab until the element with `test_id` has the focus (at most
    /// `max` times); panics with what took the focus instead.
    pub fn tab_to(&mut self, test_id: &str, max: usize) {
        let mut seen = Vec::new();
        for _ in 0..max {
            self.run(json!({"do": "press", "key": "Tab"}));
            let focused = self.run(json!({"do": "focused"}));
            if focused == test_id {
                return;
            }
            seen.push(focused);
        }
        panic!(
            "{}: Tab never reached {test_id}; it went {seen:?}",
            self.name
        );
    }

    pub fn press(&mut self, key: &str) {
        self.run(json!({"do": "press", "key": key}));
    }

    pub fn type_text(&mut self, text: &str) {
        self.run(json!({"do": "type", "text": text}));
    }

    /// Whether an element is on the page now.
    pub fn has(&mut self, selector: &str) -> bool {
        self.eval(&format!("!!document.querySelector({})", json!(selector))) == Value::Bool(true)
    }

    /// Signs in on the sign-in form the page shows.
    pub fn sign_in(&mut self, email: &str) {
        self.wait_for(
            "the sign-in form",
            "!!document.querySelector('[data-testid=signin-form]')",
            20,
        );
        self.fill("input[name=email]", email);
        self.fill("input[name=password]", "mentorlive");
        self.click("[data-testid=account-submit]");
    }

    /// From the invitation page to a connected call: join in the browser,
    /// sign in, pre-join, join.
    pub fn join_from_invitation(&mut self, invitation: &str, email: &str) {
        let status = self.open(invitation);
        assert_eq!(status, 200, "{invitation}");
        self.wait_for(
            "the invitation page",
            "!!document.querySelector('[data-testid=join-in-browser]')",
            20,
        );
        self.click("[data-testid=join-in-browser]");
        self.sign_in(email);
        self.join_from_prejoin();
    }

    /// On the pre-join screen: waits for the code to validate and joins.
    pub fn join_from_prejoin(&mut self) {
        self.wait_for(
            "an enabled Join button",
            "(() => { const b = document.querySelector('[data-testid=join-call]'); return b && !b.disabled; })()",
            30,
        );
        self.click("[data-testid=join-call]");
        self.wait_for(
            "the call screen",
            "!!document.querySelector('[data-testid=call]')",
            20,
        );
    }

    /// Waits for the call to be connected.
    pub fn wait_connected(&mut self, secs: u64) {
        self.wait_for(
            "a connected call",
            "document.querySelector('[data-testid=call]')?.dataset.state === 'connected'",
            secs,
        );
    }

    /// Waits until the partner's video has played more than `frames` frames.
    pub fn wait_remote_video(&mut self, what: &str, frames: u64, secs: u64) {
        self.wait_for(
            what,
            &format!(
                "(document.querySelector('video[data-testid=remote-video]')?.getVideoPlaybackQuality().totalVideoFrames ?? 0) > {frames}"
            ),
            secs,
        );
    }

    /// Types a chat line and sends it, as Enter in the field would.
    pub fn send_chat(&mut self, text: &str) {
        self.fill("input[name=chat]", text);
        self.eval("document.querySelector('input[name=chat]').form.requestSubmit()");
    }

    /// A headed browser's X server (its CPU is part of showing the page).
    pub fn x_server_pid(&self) -> Option<u32> {
        self.x_server.as_ref().map(|x| x.0.id())
    }

    /// The driving Node process: the browser's processes descend from it.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn inbound(&mut self) -> Value {
        self.eval(INBOUND_JS)
    }

    /// Closes the browser; the script exits without an answer.
    pub fn close(mut self) {
        let _ = writeln!(self.stdin, "{}", json!({"do": "close"}));
        let _ = self.stdin.flush();
        let _ = self.child.wait();
    }
}

impl Drop for WebClient {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}
