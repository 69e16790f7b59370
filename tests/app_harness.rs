//! Starting the real app for a test: Xvfb on a display of its own,
//! tauri-driver with WebKitWebDriver, a private home for settings and logs.
//! Shared by the app suites (`#[path]`-included).

// Each suite that includes this uses a part of it.
#![allow(dead_code)]

use crate::webdriver::WebDriver;
use mentorlive_testkit::workspace_binary;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub struct Kill(pub Child);
impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
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
    _xvfb: Kill,
}

impl DesktopApp {
    /// `extra_env`: switches for this run (e.g. mock capture devices).
    pub fn start(display_base: u32, extra_env: &[(&'static str, &str)]) -> DesktopApp {
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
        let port = free_port();
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
        let driver = Kill(
            Command::new(tauri_driver())
                .args([
                    "--port",
                    &port.to_string(),
                    "--native-driver",
                    "/usr/bin/WebKitWebDriver",
                ])
                .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("tauri-driver"),
        );
        DesktopApp {
            display,
            binary: workspace_binary("mentorlive"),
            driver_url: format!("http://127.0.0.1:{port}"),
            env,
            _home: home,
            _driver: driver,
            _xvfb: xvfb,
        }
    }

    pub async fn session(&self) -> WebDriver {
        WebDriver::start(&self.driver_url, &self.binary).await
    }
}
