//! Starting the real app for a test: Xvfb on a display of its own,
//! tauri-driver with WebKitWebDriver, a private home for settings and logs.
//! Shared by the app suites (`#[path]`-included).

// Each suite that includes this uses a part of it.
#![allow(dead_code)]

use crate::webdriver::WebDriver;
use mentorlive_testkit::workspace_binary;
use serde_json::json;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct Kill(pub Child);
impl Drop for Kill {
    fn drop(&mut self) {
        // The whole process group where there is one (tauri-driver's
        // WebKitWebDriver and the app outlive a kill of tauri-driver alone).
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.0.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn free_ports<const N: usize>() -> [u16; N] {
    let held: Vec<std::net::TcpListener> = (0..N)
        .map(|_| std::net::TcpListener::bind("127.0.0.1:0").expect("bind"))
        .collect();
    std::array::from_fn(|i| held[i].local_addr().expect("addr").port())
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

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

pub fn tauri_driver() -> PathBuf {
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

pub async fn sign_in(wd: &WebDriver, server: &str, email: &str) {
    let field = wd.wait("input[name=server]", 30).await;
    wd.clear(&field).await;
    wd.type_text(&field, server).await;
    let email_field = wd.wait("input[name=email]", 5).await;
    wd.clear(&email_field).await;
    wd.type_text(&email_field, email).await;
    let password = wd.wait("input[name=password]", 5).await;
    wd.type_text(&password, "mentorlive").await;
    let submit = wd.wait("button[type=submit]", 5).await;
    wd.click(&submit).await;
}

/// From the sessions list to a validated pre-join screen for `code`, with
/// the camera preview playing.
pub async fn reach_prejoin(wd: &WebDriver, code: &str) {
    open_prejoin(wd, code).await;
    wait_js(
        wd,
        "camera preview",
        "const v = document.querySelector('[data-testid=prejoin-preview]'); return v && v.videoWidth > 0 && v.readyState >= 2;",
        20,
    )
    .await;
}

/// From the sessions list to a validated pre-join screen for `code`.
pub async fn open_prejoin(wd: &WebDriver, code: &str) {
    click_text(wd, "button", "Join with a code").await;
    let input = wd.wait("[data-testid=code-input]", 10).await;
    wd.type_text(&input, code).await;
    let go = wd.wait("[data-testid=continue]", 15).await;
    wd.click(&go).await;
    wd.wait("[data-testid=prejoin-session]", 15).await;
}

/// Presses "Join" on the pre-join screen and waits until the call is connected.
pub async fn join_and_connect(wd: &WebDriver, secs: u64) {
    let join = wd.wait("[data-testid=join-call]", 10).await;
    wd.click(&join).await;
    wait_js(
        wd,
        "connected call",
        "return document.querySelector('[data-testid=call]')?.dataset.state === 'connected'",
        secs,
    )
    .await;
}

/// Polls `script` until it returns something other than null or false.
pub async fn wait_js(wd: &WebDriver, what: &str, script: &str, secs: u64) -> serde_json::Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(secs);
    loop {
        let v = wd.execute(script, json!([])).await;
        if !v.is_null() && v != json!(false) {
            return v;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no {what} within {secs} s"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Mean brightness and a hash of a sparse sample of the remote canvas.
pub const PROBE_CANVAS: &str = r#"
const c = document.querySelector('[data-testid=remote-video]');
if (!c || !c.width) return null;
const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
let sum = 0, n = 0, hash = 0;
for (let i = 0; i < d.length; i += 4 * 97) { sum += d[i] + d[i + 1] + d[i + 2]; n += 3; hash = (hash * 31 + d[i] + d[i + 1] * 7 + d[i + 2] * 13) | 0; }
return { width: c.width, height: c.height, mean: sum / n, hash };
"#;

/// axe-core on the app's screen as it is now: no serious or critical
/// violation. The library is evaluated through WebDriver (the app's CSP
/// lets no page script load it).
pub async fn assert_accessible(wd: &WebDriver, screen: &str) {
    let source = std::fs::read_to_string(
        mentorlive_testkit::node_dir().join("node_modules/axe-core/axe.min.js"),
    )
    .expect("axe-core (npm ci --prefix tests/node)");
    wd.execute(
        &format!(
            "if (typeof window.axe !== 'object') {{ {source}\n }} window.__axe = null; \
             axe.run(document, {{ resultTypes: ['violations'] }}).then(r => {{ window.__axe = r.violations \
               .filter(v => v.impact === 'serious' || v.impact === 'critical') \
               .map(v => ({{ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5) }})); }}); \
             return true;"
        ),
        json!([]),
    )
    .await;
    let violations = wait_js(wd, "axe's verdict", "return window.__axe", 30).await;
    assert_eq!(
        violations,
        json!([]),
        "accessibility of the app's {screen} screen"
    );
}

pub async fn click_text(wd: &WebDriver, css: &str, text: &str) {
    let found = wd
        .execute(
            "const [css, text] = arguments; const el = [...document.querySelectorAll(css)].find(e => e.textContent.trim() === text); if (el) { el.click(); return true; } return false;",
            json!([css, text]),
        )
        .await;
    assert_eq!(found, json!(true), "no {css} saying {text:?}");
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
    _xvfb: Kill,
}

impl DesktopApp {
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
        let display = format!(":{}", display_base + std::process::id() % 400);
        let xvfb = Kill(
            Command::new("Xvfb")
                .args([
                    display.as_str(),
                    "-screen",
                    "0",
                    "1280x900x24",
                    "-nolisten",
                    "tcp",
                ])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("Xvfb"),
        );
        std::thread::sleep(Duration::from_millis(800));
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
                .stderr(Stdio::null())
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
            _xvfb: xvfb,
        }
    }

    /// What the screen shows, grabbed from the X server (WebKitWebDriver's
    /// own screenshot waits for a compositor frame that never comes when the
    /// app composites in software, on a still page).
    pub fn screenshot(&self, path: &Path) {
        let status = Command::new("ffmpeg")
            .args([
                "-loglevel",
                "error",
                "-y",
                "-f",
                "x11grab",
                "-video_size",
                "1280x900",
                "-i",
            ])
            .arg(&self.display)
            .args(["-frames:v", "1"])
            .arg(path)
            .status()
            .expect("ffmpeg");
        assert!(status.success(), "screenshot {}", path.display());
    }

    /// The app's private home (XDG config and data: settings, logs).
    pub fn home(&self) -> &Path {
        self._home.path()
    }

    /// Every file the app wrote under its home, with its text.
    pub fn files(&self) -> Vec<(PathBuf, String)> {
        fn walk(dir: &Path, out: &mut Vec<(PathBuf, String)>) {
            for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, out);
                } else if let Ok(bytes) = std::fs::read(&path) {
                    out.push((path, String::from_utf8_lossy(&bytes).into_owned()));
                }
            }
        }
        let mut out = Vec::new();
        walk(self.home(), &mut out);
        out
    }

    pub async fn session(&self) -> WebDriver {
        WebDriver::start(&self.driver_url, &self.binary).await
    }
}
