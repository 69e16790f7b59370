//! The real `mentorlive-server` binary for a test: a real port, a real
//! SQLite file in a temporary folder, its log captured to a file; or, on a
//! cluster (see [`crate::cluster`]), two nodes and a balancer.

use crate::binaries::server_binary;
use crate::cluster::{cluster_env, haproxy, psql, ClusterEnv};
use crate::ports::free_port;
use crate::process::send_signal;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How to start a server.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    pub live_code_ttl: Option<u64>,
    pub rate_limit_factor: Option<f64>,
    pub seed_demo: bool,
    pub extra_args: Vec<String>,
    /// Run inside this network namespace (`ip netns exec`), listening on `host`.
    pub netns: Option<String>,
    pub host: String,
    /// `RUST_LOG` for the server (default: its own crate at debug).
    pub log_filter: Option<String>,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            live_code_ttl: None,
            rate_limit_factor: None,
            seed_demo: true,
            extra_args: Vec::new(),
            netns: None,
            host: "127.0.0.1".into(),
            log_filter: None,
        }
    }
}

/// A running server. Dropping it kills the process; the folder with the
/// database and the log goes with the last handle.
pub struct TestServer {
    child: Option<Child>,
    /// The second node and the load balancer, on a cluster.
    others: Vec<Child>,
    cluster: Option<ClusterEnv>,
    /// `http://127.0.0.1:PORT`
    pub url: String,
    pub port: u16,
    pub db_path: PathBuf,
    pub log_path: PathBuf,
    options: ServerOptions,
    dir: tempfile::TempDir,
}

impl TestServer {
    pub fn start(options: ServerOptions) -> TestServer {
        let dir = tempfile::Builder::new()
            .prefix("mentorlive-test-")
            .tempdir()
            .expect("temporary folder");
        let db_path = dir.path().join("sessions.db");
        let log_path = dir.path().join("server.log");
        let cluster = cluster_env()
            .filter(|_| options.netns.is_none())
            .map(|(admin, redis)| {
                let name = format!(
                    "mlt_{}_{}",
                    std::process::id(),
                    dir.path()
                        .file_name()
                        .and_then(|n| n.to_str())
                        .unwrap_or("x")
                        .to_lowercase()
                        .replace(|c: char| !c.is_ascii_alphanumeric(), "")
                );
                psql(&admin, &format!("CREATE DATABASE {name}"));
                let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
                ClusterEnv {
                    database: format!("{base}/{name}"),
                    postgres_admin: admin,
                    redis,
                    prefix: name,
                    node_ports: [0, 0],
                }
            });
        let mut server = TestServer {
            child: None,
            others: Vec::new(),
            cluster,
            url: String::new(),
            port: 0,
            db_path,
            log_path,
            options,
            dir,
        };
        server.spawn(0);
        server
    }

    pub fn start_default() -> TestServer {
        Self::start(ServerOptions::default())
    }

    /// The server process, while it runs (for memory figures).
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    fn spawn(&mut self, port: u16) {
        let Some(cluster) = self.cluster.clone() else {
            let (child, url) = self.spawn_node(port, None, true);
            self.set_url(&url);
            self.child = Some(child);
            return;
        };
        let (a, url_a) = self.spawn_node(cluster.node_ports[0], Some((&cluster, "a")), true);
        let (b, url_b) = self.spawn_node(cluster.node_ports[1], Some((&cluster, "b")), false);
        let port_of = |url: &str| -> u16 {
            url.rsplit(':')
                .next()
                .and_then(|p| p.parse().ok())
                .expect("a port")
        };
        let node_ports = [port_of(&url_a), port_of(&url_b)];
        let lb_port = if port == 0 { free_port() } else { port };
        let lb = haproxy(
            self.dir.path(),
            &format!(
                "global\n    maxconn 4000\ndefaults\n    mode http\n    timeout connect 2s\n    \
                 timeout client 60s\n    timeout server 60s\n    timeout tunnel 1h\n\
                 frontend lb\n    bind 127.0.0.1:{lb_port}\n    default_backend nodes\n\
                 backend nodes\n    balance roundrobin\n    option forwardfor\n    \
                 cookie MENTORLIVE_NODE insert indirect nocache\n    \
                 server a 127.0.0.1:{} cookie a\n    server b 127.0.0.1:{} cookie b\n",
                node_ports[0], node_ports[1]
            ),
        );
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", lb_port)).is_err() {
            assert!(Instant::now() < deadline, "haproxy did not listen");
            std::thread::sleep(Duration::from_millis(20));
        }
        if let Some(c) = self.cluster.as_mut() {
            c.node_ports = node_ports;
        }
        self.set_url(&format!("http://127.0.0.1:{lb_port}"));
        self.child = Some(a);
        self.others = vec![b, lb];
    }

    fn set_url(&mut self, url: &str) {
        self.port = url
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("a port in the URL");
        self.url = url.to_owned();
    }

    /// Where the server keeps its data: the SQLite file, or on a cluster the
    /// PostgreSQL database (for tests that change what the platform changes).
    pub fn database_url(&self) -> String {
        match &self.cluster {
            Some(cluster) => cluster.database.clone(),
            None => format!("sqlite://{}", self.db_path.display()),
        }
    }

    fn spawn_node(
        &self,
        port: u16,
        cluster: Option<(&ClusterEnv, &str)>,
        seed: bool,
    ) -> (Child, String) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log_path)
            .expect("server log file");
        let mut cmd = match &self.options.netns {
            Some(ns) => {
                let mut cmd = Command::new("ip");
                cmd.args(["netns", "exec", ns]).arg(server_binary());
                cmd
            }
            None => Command::new(server_binary()),
        };
        cmd.arg("--addr")
            .arg(format!("{}:{port}", self.options.host));
        match cluster {
            None => {
                cmd.arg("--db").arg(&self.db_path);
            }
            Some((cluster, node)) => {
                cmd.args(["--db", &cluster.database, "--redis", &cluster.redis])
                    .args(["--redis-prefix", &cluster.prefix, "--node-id", node])
                    // Behind HAProxy, as a deployment is (scripts/cluster.sh):
                    // a client's address is the one it appends.
                    .args(["--trusted-proxy", "127.0.0.1"]);
            }
        }
        cmd.env(
            "RUST_LOG",
            self.options
                .log_filter
                .as_deref()
                .unwrap_or("mentorlive_server=debug,tower_http=debug"),
        )
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(log);
        if let Some(ttl) = self.options.live_code_ttl {
            cmd.arg("--live-code-ttl").arg(ttl.to_string());
        }
        if let Some(factor) = self.options.rate_limit_factor {
            cmd.arg("--rate-limit-factor").arg(factor.to_string());
        }
        if self.options.seed_demo && seed {
            cmd.arg("--seed-demo");
        }
        cmd.args(&self.options.extra_args);
        let mut child = cmd.spawn().expect("starting mentorlive-server");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            let first = lines.next();
            let _ = tx.send(first);
            // Keep draining so the server never blocks on a full pipe.
            for _ in lines {}
        });
        let line = match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(Some(Ok(line))) => line,
            other => {
                let _ = child.kill();
                panic!(
                    "mentorlive-server did not say it was listening ({other:?}); its log:\n{}",
                    std::fs::read_to_string(&self.log_path).unwrap_or_default()
                );
            }
        };
        let url = line
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_owned();
        (child, url)
    }

    /// SIGTERM, as a service manager stops it; waits for the exit status.
    /// On a cluster every node stops (and the balancer goes).
    pub fn stop(&mut self) -> std::process::ExitStatus {
        let mut child = self.child.take().expect("server is running");
        for mut other in self.others.drain(..) {
            send_signal(&other, "TERM");
            let _ = other.wait();
        }
        send_signal(&child, "TERM");
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(status) = child.try_wait().expect("wait") {
                return status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("the server did not stop within 15 s of SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGKILL: a crash, with no chance to clean up.
    pub fn kill(&mut self) {
        let mut child = self.child.take().expect("server is running");
        let _ = child.kill();
        let _ = child.wait();
        for mut other in self.others.drain(..) {
            let _ = other.kill();
            let _ = other.wait();
        }
    }

    /// Starts again on the same database and the same port.
    pub fn restart(&mut self) {
        assert!(self.child.is_none(), "stop or kill the server first");
        let port = self.port;
        self.spawn(port);
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log_path).unwrap_or_default()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        for mut child in self.child.take().into_iter().chain(self.others.drain(..)) {
            let _ = child.kill();
            let _ = child.wait();
        }
        if let Some(cluster) = &self.cluster {
            let name = cluster.prefix.clone();
            let _ = Command::new("psql")
                .args([cluster.postgres_admin.as_str(), "-qAt", "-c"])
                .arg(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .output();
        }
    }
}
