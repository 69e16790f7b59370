//! The bridge measured alone, in the real webview (`scripts/bench-bridge.sh`):
//! an echo bridge on the loopback WebSocket, and the same echo over Tauri's
//! raw IPC, so both transports are compared on the same chunks.

use mentorlive_bridge::{EchoSink, MediaBridge};
use mentorlive_client::{ClientError, ClientResult};
use std::sync::Arc;
use tauri::ipc::{InvokeBody, Request, Response};

pub type EchoSlot = tokio::sync::Mutex<Option<MediaBridge>>;

/// Starts (or restarts) an echo bridge; returns its URL.
#[tauri::command]
pub async fn bench_echo_bridge(state: tauri::State<'_, crate::AppState>) -> ClientResult<String> {
    let (sink, frames) = EchoSink::new(64);
    let bridge = MediaBridge::start(Arc::new(sink), frames)
        .await
        .map_err(|e| ClientError {
            code: "bench_failed".into(),
            message: e.to_string(),
        })?;
    let url = bridge.url();
    *state.echo.lock().await = Some(bridge);
    Ok(url)
}

/// The IPC transport: a raw body in, the same bytes back as a raw response.
#[tauri::command]
pub fn bench_echo_ipc(request: Request<'_>) -> Response {
    match request.body() {
        InvokeBody::Raw(bytes) => Response::new(bytes.clone()),
        InvokeBody::Json(_) => Response::new(Vec::new()),
    }
}

/// CPU seconds used so far by this process and its children (the WebKit
/// web and network processes), from /proc.
#[tauri::command]
pub fn bench_cpu_seconds() -> f64 {
    process_tree_cpu(std::process::id())
}

#[cfg(target_os = "linux")]
fn process_tree_cpu(root: u32) -> f64 {
    let ticks = 100.0; // USER_HZ on every Linux we ship for
    let mut total = 0.0;
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return 0.0;
    };
    for entry in dir.flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // Fields after the command name, which may itself hold spaces.
        let Some(rest) = stat.rsplit_once(") ").map(|(_, r)| r) else {
            continue;
        };
        let fields: Vec<&str> = rest.split(' ').collect();
        let ppid: u32 = fields.get(1).and_then(|f| f.parse().ok()).unwrap_or(0);
        if pid == root || ppid == root {
            let utime: f64 = fields.get(11).and_then(|f| f.parse().ok()).unwrap_or(0.0);
            let stime: f64 = fields.get(12).and_then(|f| f.parse().ok()).unwrap_or(0.0);
            total += (utime + stime) / ticks;
        }
    }
    total
}

#[cfg(not(target_os = "linux"))]
fn process_tree_cpu(_root: u32) -> f64 {
    0.0
}
