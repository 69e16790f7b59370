//! The browser peer (`tests/node/browser-call.js`): Debian's Chromium with
//! fake devices, the official socket.io-client, its own RTCPeerConnection.
//! It prints JSON lines: `ready`, `connected`, `first-frame`, then `stats`
//! SECONDS after the first frame. Shared by the suites that call a browser
//! (`#[path]`-included).

// Each suite that includes this uses a part of it.
#![allow(dead_code)]

use mentorlive_e2e::Server;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

pub fn start_browser(
    server: &Server,
    token: &str,
    code: &str,
    seconds: u32,
) -> (Child, mpsc::Receiver<Value>) {
    let script = mentorlive_testkit::node_dir().join("browser-call.js");
    let mut child = Command::new("node")
        .arg(script)
        .args([&server.url, token, code, &seconds.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("node");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            println!("[browser] {line}");
            if let Ok(value) = serde_json::from_str::<Value>(&line) {
                let _ = tx.send(value);
            }
        }
    });
    (child, rx)
}

/// The next `name` event; a `failed` event or a minute of silence fails the test.
pub fn browser_event(rx: &mpsc::Receiver<Value>, name: &str) -> Value {
    loop {
        let value = rx
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("the browser gave no {name}"));
        assert_ne!(value["event"], "failed", "the browser peer failed: {value}");
        if value["event"] == name {
            return value;
        }
    }
}
