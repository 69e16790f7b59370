//! The real desktop app for a test: Xvfb on a display of its own,
//! tauri-driver with WebKitWebDriver, a private home for settings and logs.
//! The app is driven through [`WebDriver`]; [`sign_in`], [`reach_prejoin`]
//! and the other steps here are what the app suites do in it again and again.

mod steps;
mod webdriver;

pub use steps::{
    assert_accessible, click_text, join_and_connect, open_prejoin, reach_prejoin, sign_in,
    signed_in_at_prejoin, wait_js, PROBE_CANVAS,
};
pub use webdriver::WebDriver;

use crate::binaries::workspace_binary;
use crate::ports::free_ports;
use crate::process::{grab_screen, start_xvfb, Kill};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// `test-output/app-e2e/` in the target folder, for screenshots.
pub fn output_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("exe");
    let target = exe
        .parent()
        .and_then(Path::parent)
        .and_then(Path::parent)
        .expect("target dir");
    let dir = target.join("test-output").join("app-e2e");
    let _ = std::fs::create_dir_all(&dir);
    dir
}

fn tauri_driver() -> PathBuf {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cargo")
        });
    let path = home.join("bin").join("tauri-driver");
    assert!(
        path.exists(),
        "tauri-driver is missing: `cargo install tauri-driver --locked` (scripts/test.sh does)"
    );
    path
}

/// The app under Xvfb and tauri-driver, ready for WebDriver sessions.
pub struct DesktopApp {
    pub display: String,
    pub binary: PathBuf,
    pub driver_url: String,
    pub env: Vec<(&'static str, String)>,
    _home: tempfile::TempDir,
    _driver: Kill,
    _bus: Option<Kill>,
    xvfb: Kill,
}

/// A failing test shows the end of the app's log: its home goes with it,
/// and a failure once seen only as WebDriver's "invalid session id" after
/// hanging up (2026-12-04) left nothing to read.
impl Drop for DesktopApp {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            return;
        }
        let logs = self.files_named(|p| p.extension().is_some_and(|e| e == "log"));
        for (path, text) in logs {
            let lines: Vec<&str> = text.lines().collect();
            let tail = &lines[lines.len().saturating_sub(60)..];
            eprintln!(
                "--- the end of {} ---\n{}\n---",
                path.display(),
                tail.join("\n")
            );
        }
    }
}

impl DesktopApp {
    /// This app's processes whose name starts with `comm` (the app's own,
    /// or WebKit's): those of its display, found in /proc.
    pub fn processes(&self, comm: &str) -> Vec<u32> {
        let display = format!("DISPLAY={}", self.display);
        std::fs::read_dir("/proc")
            .expect("/proc")
            .flatten()
            .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
            .filter(|pid| {
                let name = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
                let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
                name.starts_with(comm)
                    && environ
                        .split(|b| *b == 0)
                        .any(|var| var == display.as_bytes())
            })
            .collect()
    }

    /// The X server this app draws to, whose CPU is part of showing it.
    pub fn x_server_pid(&self) -> u32 {
        self.xvfb.0.id()
    }

    /// `extra_env`: switches for this run (e.g. mock capture devices).
    pub fn start(display_base: u32, extra_env: &[(&'static str, &str)]) -> DesktopApp {
        Self::start_on_bus(display_base, extra_env, false)
    }

    /// `own_bus`: a D-Bus session of its own, so a second app on this
    /// machine is not handed over to the first (single instance) and keeps
    /// its sign-in apart (no keychain there: it signs in for the run only).
    pub fn start_on_bus(
        display_base: u32,
        extra_env: &[(&'static str, &str)],
        own_bus: bool,
    ) -> DesktopApp {
        let home = tempfile::tempdir().expect("home");
        // The user's Videos folder (where recordings go) inside that home,
        // as xdg-user-dirs would name it.
        std::fs::create_dir_all(home.path().join("config")).expect("config folder");
        std::fs::write(
            home.path().join("config/user-dirs.dirs"),
            format!("XDG_VIDEOS_DIR=\"{}/Videos\"\n", home.path().display()),
        )
        .expect("user-dirs.dirs");
        let display = format!(":{}", display_base + std::process::id() % 400);
        let xvfb = start_xvfb(&display);
        // Chosen together: a port freed and asked for again may come back.
        let [port, native_port] = free_ports();
        let mut env = vec![
            ("DISPLAY", display.clone()),
            (
                "XDG_CONFIG_HOME",
                home.path().join("config").display().to_string(),
            ),
            (
                "XDG_DATA_HOME",
                home.path().join("data").display().to_string(),
            ),
        ];
        env.extend(extra_env.iter().map(|(k, v)| (*k, (*v).to_owned())));
        let bus = own_bus.then(|| {
            use std::io::BufRead;
            let mut daemon = Command::new("dbus-daemon")
                .args(["--session", "--nofork", "--print-address=1"])
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .expect("dbus-daemon");
            let mut address = String::new();
            std::io::BufReader::new(daemon.stdout.take().expect("stdout"))
                .read_line(&mut address)
                .expect("bus address");
            env.push(("DBUS_SESSION_BUS_ADDRESS", address.trim().to_owned()));
            Kill(daemon)
        });
        let driver = Kill(
            Command::new(tauri_driver())
                .args([
                    "--port",
                    &port.to_string(),
                    // Each app its own WebKitWebDriver (the default port is shared).
                    "--native-port",
                    &native_port.to_string(),
                    "--native-driver",
                    "/usr/bin/WebKitWebDriver",
                ])
                .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
                .process_group(0)
                .stdout(Stdio::null())
                // `MENTORLIVE_APP_STDERR=1`: the app's and WebKit's messages
                // (a web process that crashed says why there).
                .stderr(if std::env::var_os("MENTORLIVE_APP_STDERR").is_some() {
                    Stdio::inherit()
                } else {
                    Stdio::null()
                })
                .spawn()
                .expect("tauri-driver"),
        );
        // Until both listen, their ports look free to the next app's choice.
        for p in [port, native_port] {
            let deadline = std::time::Instant::now() + Duration::from_secs(20);
            while std::net::TcpStream::connect(("127.0.0.1", p)).is_err() {
                assert!(
                    std::time::Instant::now() < deadline,
                    "tauri-driver did not listen on {p}"
                );
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        DesktopApp {
            display,
            binary: workspace_binary("mentorlive"),
            driver_url: format!("http://127.0.0.1:{port}"),
            env,
            _home: home,
            _driver: driver,
            _bus: bus,
            xvfb,
        }
    }

    /// What the screen shows, grabbed from the X server (WebKitWebDriver's
    /// own screenshot waits for a compositor frame that never comes when the
    /// app composites in software, on a still page).
    pub fn screenshot(&self, path: &Path) {
        grab_screen(&self.display, path);
    }

    /// Where the app saves recordings: `mentorlive` in the Videos folder.
    pub fn recordings_dir(&self) -> PathBuf {
        self.home().join("Videos/mentorlive")
    }

    /// The app's private home (XDG config and data: settings, logs).
    fn home(&self) -> &Path {
        self._home.path()
    }

    /// Every file the app wrote under its home, with its text.
    pub fn files(&self) -> Vec<(PathBuf, String)> {
        self.files_named(|_| true)
    }

    /// The files under the app's home that `wanted` takes, with their text
    /// (only those are read: a recording can be large).
    fn files_named(&self, wanted: impl Fn(&Path) -> bool) -> Vec<(PathBuf, String)> {
        fn walk(dir: &Path, wanted: &dyn Fn(&Path) -> bool, out: &mut Vec<(PathBuf, String)>) {
            for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, wanted, out);
                } else if let Some(bytes) =
                    wanted(&path).then(|| std::fs::read(&path).ok()).flatten()
                {
                    out.push((path, String::from_utf8_lossy(&bytes).into_owned()));
                }
            }
        }
        let mut out = Vec::new();
        walk(self.home(), &wanted, &mut out);
        out
    }

    pub async fn session(&self) -> WebDriver {
        WebDriver::start(&self.driver_url, &self.binary).await
    }
}
