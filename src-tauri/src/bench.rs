//! The bridge measured alone, in the real webview (`scripts/bench-bridge.sh`):
//! an echo bridge on the loopback WebSocket, and the same echo over Tauri's
//! raw IPC, so both transports are compared on the same chunks.

use mentorlive_bridge::{EchoSink, MediaBridge};
use mentorlive_client::{AppErrorCode, ClientError, ClientResult};
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
            code: AppErrorCode::BenchFailed,
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

/// This process and its children (the WebKit web and network processes):
/// CPU seconds used so far and memory now.
#[derive(serde::Serialize, Default, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct ProcessFigures {
    pub cpu_seconds: f64,
    /// Proportional set size: shared pages split between their users, so
    /// the processes of one app add up honestly.
    pub pss_bytes: u64,
    pub processes: u32,
    /// Each process's share, so a figure can say which one to cut.
    pub split: Vec<ProcessMemory>,
}

/// One process's memory, from `/proc/PID/smaps_rollup`.
#[derive(serde::Serialize, Default, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct ProcessMemory {
    /// The command name: `mentorlive`, `WebKitWebProces`, `WebKitNetworkP`.
    pub name: String,
    pub pss_bytes: u64,
    /// Heap, stacks and other private memory the process made.
    pub pss_anon_bytes: u64,
    /// Mapped files: the libraries' code and data, shared with whoever
    /// else maps them.
    pub pss_file_bytes: u64,
}

#[tauri::command]
pub fn bench_process_figures() -> ProcessFigures {
    process_tree(std::process::id())
}

#[cfg(target_os = "linux")]
fn process_tree(root: u32) -> ProcessFigures {
    let ticks = 100.0; // USER_HZ on every Linux we ship for
    let mut figures = ProcessFigures::default();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return figures;
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
        if pid != root && ppid != root {
            continue;
        }
        let utime: f64 = fields.get(11).and_then(|f| f.parse().ok()).unwrap_or(0.0);
        let stime: f64 = fields.get(12).and_then(|f| f.parse().ok()).unwrap_or(0.0);
        figures.cpu_seconds += (utime + stime) / ticks;
        figures.processes += 1;
        let rollup =
            std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).unwrap_or_default();
        let bytes = |field: &str| {
            rollup
                .lines()
                .find_map(|l| l.strip_prefix(field))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
                .map_or(0, |kb| kb * 1024)
        };
        let memory = ProcessMemory {
            name: std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .unwrap_or_default()
                .trim()
                .to_owned(),
            pss_bytes: bytes("Pss:"),
            pss_anon_bytes: bytes("Pss_Anon:"),
            pss_file_bytes: bytes("Pss_File:"),
        };
        figures.pss_bytes += memory.pss_bytes;
        figures.split.push(memory);
    }
    figures
}

#[cfg(not(target_os = "linux"))]
fn process_tree(_root: u32) -> ProcessFigures {
    ProcessFigures::default()
}
