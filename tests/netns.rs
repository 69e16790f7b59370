//! Commands for the network-namespace suites (`#[path]`-included): each one
//! must succeed, or the test stops with what it needs.

// Each suite that includes this uses a part of it.
#![allow(dead_code)]

use mentorlive_testkit::workspace_binary;
use std::process::Command;

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
        .args([
            "--server",
            server,
            "--email",
            email,
            "--password",
            "mentorlive",
            "--json",
        ])
        .args(args)
        .env("RUST_LOG", "error");
    cmd
}
