//! Commands for the network-namespace suites (they need root, iproute2 and
//! nftables): each one must succeed, or the test stops with what it needs.
//! The CLI runs inside a namespace too.

use crate::binaries::workspace_binary;
use crate::cli_joiner::CliOutput;
use crate::media;
use std::process::{Child, Command, Stdio};

/// Runs `args` (the program first); it must succeed.
pub fn sh(args: &[&str]) {
    let status = Command::new(args[0])
        .args(&args[1..])
        .status()
        .unwrap_or_else(|e| panic!("{args:?}: {e}"));
    assert!(
        status.success(),
        "{args:?} failed (these tests need root, iproute2 and nftables)"
    );
}

/// `sh` inside a namespace.
pub fn ns_sh(ns: &str, args: &[&str]) {
    let mut all = vec!["ip", "netns", "exec", ns];
    all.extend_from_slice(args);
    sh(&all);
}

/// `mentorlive-cli` inside a namespace, signed in with the demo password,
/// printing JSON lines.
pub fn cli(ns: &str, server: &str, email: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new("ip");
    cmd.args(["netns", "exec", ns])
        .arg(workspace_binary("mentorlive-cli"))
        // The test networks' server is 192.0.2.1, over plain http.
        .args([
            "--server",
            server,
            "--email",
            email,
            "--json",
            "--allow-http",
        ])
        .args(args)
        .env("MENTORLIVE_PASSWORD", "mentorlive")
        // Quiet unless asked (MENTORLIVE_CLI_LOG, a RUST_LOG filter).
        .env(
            "RUST_LOG",
            std::env::var("MENTORLIVE_CLI_LOG").unwrap_or_else(|_| "error".into()),
        );
    cmd
}

/// A `join` in a namespace; its event lines, each with the instant it arrived.
pub fn join(
    ns: &str,
    bind: &str,
    server: &str,
    email: &str,
    code: &str,
    seconds: u32,
    record: &std::path::Path,
) -> (Child, CliOutput) {
    join_with(ns, bind, server, email, code, seconds, record, &[])
}

/// Like [`join`], with more `join` arguments (a screen share).
#[allow(clippy::too_many_arguments)]
pub fn join_with(
    ns: &str,
    bind: &str,
    server: &str,
    email: &str,
    code: &str,
    seconds: u32,
    record: &std::path::Path,
    more: &[&std::ffi::OsStr],
) -> (Child, CliOutput) {
    let fx = media::fixtures();
    let mut child = cli(
        ns,
        server,
        email,
        &[
            "join",
            code,
            "--duration",
            &seconds.to_string(),
            "--bind",
            &format!("{bind}:0"),
        ],
    )
    .arg("--video")
    .arg(&fx.video)
    .arg("--audio")
    .arg(&fx.audio)
    .arg("--record-video")
    .arg(record)
    .args(more)
    .stdout(Stdio::piped())
    .stderr(Stdio::inherit())
    .spawn()
    .expect("cli");
    let output = CliOutput::read(child.stdout.take().expect("stdout"));
    (child, output)
}
