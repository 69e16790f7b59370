//! Node.js helper scripts from `tests/node/` (Socket.IO peers, servers).

use crate::process::send_signal;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A Node.js helper script from `tests/node/`, started for a test. It must
/// print one first line (e.g. `listening on PORT`); dropping it kills it.
pub struct NodeScript {
    child: Child,
    pub first_line: String,
}

/// `tests/node/` of this repository.
pub fn node_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/node")
}

impl NodeScript {
    pub fn start(script: &str, args: &[&str], env: &[(&str, &str)]) -> NodeScript {
        let dir = node_dir();
        assert!(
            dir.join("node_modules").exists(),
            "tests/node/node_modules is missing: run `npm ci --prefix tests/node` (scripts/test.sh does)"
        );
        let mut child = Command::new("node")
            .arg(dir.join(script))
            .args(args)
            .envs(env.iter().copied())
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("starting node (is Node.js installed?)");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            let _ = tx.send(lines.next());
            for line in lines.map_while(Result::ok) {
                println!("[node] {line}");
            }
        });
        let first_line = match rx.recv_timeout(Duration::from_secs(20)) {
            Ok(Some(Ok(line))) => line,
            other => {
                let _ = child.kill();
                panic!("{script} printed no first line: {other:?}");
            }
        };
        NodeScript { child, first_line }
    }

    /// The port of a `listening on PORT` first line.
    pub fn port(&self) -> u16 {
        self.first_line
            .rsplit(' ')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("listening on PORT")
    }

    /// Freezes the process (SIGSTOP): its sockets stay open but it goes silent.
    pub fn pause(&self) {
        send_signal(&self.child, "STOP");
    }

    pub fn resume(&self) {
        send_signal(&self.child, "CONT");
    }
}

impl Drop for NodeScript {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
