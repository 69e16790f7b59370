//! Where one app's CPU goes, stage by stage (issue 19): figures, not
//! assertions, so it is ignored in CI; `bash scripts/bench-profile.sh` runs
//! it on a release build beside Chromium doing the same work.
//!
//! One app (mock camera and microphone) against `mentorlive-cli`, which sends
//! a 640x480 file: idle on the Sessions screen, the camera's preview alone
//! (pre-join), in the call, and in the call with the camera off (the mock
//! camera stopped, the partner's video still decoded and painted).

use mentorlive_testkit::app::{join_and_connect, reach_prejoin, sign_in, DesktopApp, WebDriver};
use mentorlive_testkit::{Http, Joiner, TestServer};
use serde_json::{json, Value};
use std::time::Duration;

fn seconds(var: &str, default: u64) -> u64 {
    std::env::var(var)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

async fn figures(wd: &WebDriver) -> Value {
    wd.execute("return window.mentorliveProcessFigures()", json!([]))
        .await
}

/// CPU seconds a minute and PSS over `secs`, printed as one line.
async fn stage(wd: &WebDriver, name: &str, secs: u64) {
    // Let what the last step started settle first.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let before = figures(wd).await;
    let perf = sample_with_perf(name, secs);
    tokio::time::sleep(Duration::from_secs(secs)).await;
    let after = figures(wd).await;
    if let Some(perf) = perf {
        print_perf_report(name, perf);
    }
    let cpu = after["cpuSeconds"].as_f64().unwrap_or(f64::NAN)
        - before["cpuSeconds"].as_f64().unwrap_or(f64::NAN);
    println!(
        "PROFILE {name}: CPU {:.2} s/min, PSS {:.0} MB in {} processes ({secs} s)",
        cpu * 60.0 / secs as f64,
        after["pssBytes"].as_f64().unwrap_or(0.0) / 1e6,
        after["processes"]
    );
    // Which process holds it, and how much is its own heap rather than
    // libraries it shares.
    let mb = |v: &Value, k: &str| v[k].as_f64().unwrap_or(0.0) / 1e6;
    for process in after["split"].as_array().into_iter().flatten() {
        println!(
            "PROFILE {name}:   {}: PSS {:.0} MB ({:.0} anonymous, {:.0} mapped files)",
            process["name"].as_str().unwrap_or("?"),
            mb(process, "pssBytes"),
            mb(process, "pssAnonBytes"),
            mb(process, "pssFileBytes"),
        );
    }
}

/// With `MENTORLIVE_PROFILE_PERF=1`, `perf record` samples the whole machine
/// through the stage, so the report can say which process and which library
/// the time goes to (the shared objects are named even without debug symbols).
fn sample_with_perf(name: &str, secs: u64) -> Option<(std::process::Child, std::path::PathBuf)> {
    std::env::var_os("MENTORLIVE_PROFILE_PERF")?;
    let data = std::env::temp_dir().join(format!(
        "mentorlive-profile-{}.data",
        name.split(|c: char| !c.is_alphanumeric())
            .collect::<Vec<_>>()
            .join("-")
    ));
    let child = std::process::Command::new("perf")
        .args(["record", "-q", "-a", "-F", "499", "-o"])
        .arg(&data)
        .args(["--", "sleep", &secs.to_string()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .ok()?;
    Some((child, data))
}

/// The stage's busiest threads, as `PROFILE-PERF` lines in CPU s/min. The
/// clock samples every core, idle or not, so a share of all samples times
/// the cores times 60 is CPU seconds a minute.
fn print_perf_report(name: &str, (mut child, data): (std::process::Child, std::path::PathBuf)) {
    let _ = child.wait();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    let Ok(report) = std::process::Command::new("perf")
        .args([
            "report",
            "--stdio",
            "--sort",
            "comm",
            "--percent-limit",
            "0.5",
            "-i",
        ])
        .arg(&data)
        .output()
    else {
        return;
    };
    for line in String::from_utf8_lossy(&report.stdout).lines() {
        let Some((share, thread)) = line.trim().split_once("%") else {
            continue;
        };
        let (Ok(share), thread) = (share.trim().parse::<f64>(), thread.trim()) else {
            continue;
        };
        if thread != "swapper" {
            let per_minute = share / 100.0 * cores * 60.0;
            println!("PROFILE-PERF {name}: {thread}: {per_minute:.1} CPU s/min");
        }
    }
    let _ = std::fs::remove_file(data);
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "a benchmark: bash scripts/bench-profile.sh"]
async fn one_apps_cpu_stage_by_stage() {
    let idle = seconds("MENTORLIVE_PROFILE_IDLE_SECONDS", 60);
    let each = seconds("MENTORLIVE_PROFILE_SECONDS", 20);
    let server = TestServer::start_default();
    let http = Http::new(&server);
    let (_demo, code) = http.demo_code().await;
    let recordings = tempfile::tempdir().expect("tmp");
    let mut cli = Joiner::start(
        &server,
        "mentor@example.com",
        &code,
        (idle + 4 * each + 120) as f64,
        recordings.path(),
        "profile",
    );
    cli.wait_joined();
    let desktop = DesktopApp::start(590, &[("MENTORLIVE_MOCK_CAPTURE", "1")]);
    let wd = desktop.session().await;
    sign_in(&wd, &server.url, "learner@example.com").await;
    wd.wait("[data-testid=session]", 30).await;
    stage(&wd, "idle, signed in, the Sessions screen", idle).await;
    reach_prejoin(&wd, &code).await;
    stage(&wd, "the camera's preview alone (pre-join)", each).await;
    join_and_connect(&wd, 40).await;
    stage(&wd, "in the call (camera on)", each).await;
    let camera = wd.wait("[data-testid=toggle-camera]", 5).await;
    wd.click(&camera).await;
    stage(&wd, "in the call, camera off", each).await;
    cli.interrupt();
    let _ = cli.finish();
}
