//! Load on the reference server from a second process (`mentorlive-load`),
//! bounded for CI: 100 live rooms of two signaling clients each, added in
//! two steps, each held while both clients signal once a second (acked)
//! and validate their code over REST. Zero errors required; the figures
//! are printed. `scripts/load.sh` runs the full 1,000 rooms.

use mentorlive_testkit::{workspace_binary, ServerOptions, TestServer};
use serde_json::Value;
use std::process::Command;

#[test]
fn a_hundred_rooms_hold_without_errors() {
    let server = TestServer::start(ServerOptions {
        rate_limit_factor: Some(0.0),
        ..Default::default()
    });
    let pid = server.pid().expect("running").to_string();
    let out = Command::new(workspace_binary("mentorlive-load"))
        .args([&server.url, "100", "2", "4", &pid])
        .output()
        .expect("mentorlive-load");
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "mentorlive-load ran");
    let lines: Vec<Value> = stdout
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let steps: Vec<&Value> = lines
        .iter()
        .filter(|v| v.get("ack_p99_ms").is_some())
        .collect();
    assert_eq!(steps.len(), 2, "two steps measured");
    for step in &steps {
        assert_eq!(step["errors"], 0, "no errors: {step}");
        assert!(step["acks"].as_u64().unwrap_or(0) > 0, "{step}");
    }
    assert_eq!(steps[1]["rooms"], 100);
    let done = lines.iter().find(|v| v["done"] == true).expect("done line");
    assert_eq!(done["errors_total"], 0, "{done}");
    assert!(done["signals_received"].as_u64().unwrap_or(0) > 0, "{done}");
}
