//! Recording from the desktop app: asking the partner's consent to record
//! the call into the recordings folder, answering theirs, and the
//! Recordings screen's list (with the repair of any recording a crash cut
//! off, done when the list is first read).

use crate::AppState;
use mentorlive_client::{AppErrorCode, ClientError, ClientResult};
use mentorlive_engine::{Call, RecordError, RecorderOptions, RecordingMeta};
use serde::Serialize;
use std::path::{Path, PathBuf};
use tauri::State;

async fn with_call<T>(state: &State<'_, AppState>, f: impl FnOnce(&Call) -> T) -> ClientResult<T> {
    crate::call::with_call(state, f).await
}

/// Asks the partner's consent to record this call; recording starts when
/// they accept. Refused at once when the disk is nearly full.
#[tauri::command]
pub async fn call_record(
    state: State<'_, AppState>,
    session_title: String,
    partner_name: String,
) -> ClientResult<()> {
    let settings = state.client.settings()?;
    let folder = state.client.paths().recordings_dir(&settings);
    let me = state.client.user().map(|u| u.name).unwrap_or_default();
    let now = time::OffsetDateTime::now_local().unwrap_or_else(|_| time::OffsetDateTime::now_utc());
    let path = folder.join(file_name(now, &session_title, &partner_name));
    let options = RecorderOptions::new(
        path,
        RecordingMeta {
            title: session_title,
            started_at_ms: (now.unix_timestamp_nanos() / 1_000_000) as i64,
            recorded_by: me,
            partner: partner_name,
        },
    );
    let path = options.path.clone();
    with_call(&state, |call| call.record(options))
        .await?
        .map_err(record_error)?;
    crate::call::note_recording(&state, path).await;
    Ok(())
}

fn record_error(err: RecordError) -> ClientError {
    let code = match err {
        RecordError::NotEnoughSpace { .. } => AppErrorCode::DiskFull,
        RecordError::Create { .. } => AppErrorCode::RecordingFailed,
    };
    ClientError::new(code, err.to_string())
}

/// "2026-12-02 14.05 Rust ownership with Leo Learner.webm", without the
/// characters a file name cannot hold on any of the three systems.
fn file_name(at: time::OffsetDateTime, title: &str, partner: &str) -> String {
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if "/\\:*?\"<>|".contains(c) || c.is_control() {
                    ' '
                } else {
                    c
                }
            })
            .collect::<String>()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .chars()
            .take(80)
            .collect()
    };
    // A call with no title known (none given) is named by time and partner.
    let title = match clean(title) {
        t if t.is_empty() => String::new(),
        t => format!(" {t}"),
    };
    format!(
        "{:04}-{:02}-{:02} {:02}.{:02}.{:02}{title} with {}.webm",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        clean(partner)
    )
}

/// Our answer to the partner's request to record.
#[tauri::command]
pub async fn call_answer_recording(state: State<'_, AppState>, accept: bool) -> ClientResult<()> {
    with_call(&state, |call| call.answer_recording(accept)).await
}

/// Stops our recording (or withdraws the request).
#[tauri::command]
pub async fn call_stop_recording(state: State<'_, AppState>) -> ClientResult<()> {
    with_call(&state, |call| call.stop_recording()).await
}

/// Withdraws our consent: the partner's recording stops at once.
#[tauri::command]
pub async fn call_revoke_recording(state: State<'_, AppState>) -> ClientResult<()> {
    with_call(&state, |call| call.revoke_recording()).await
}

/// One recording, as the Recordings screen lists it.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct RecordingEntry {
    pub path: String,
    pub file_name: String,
    pub title: String,
    pub partner: String,
    /// Milliseconds since the Unix epoch.
    #[ts(type = "number")]
    pub started_at_ms: i64,
    #[ts(type = "number")]
    pub duration_ms: u64,
    #[ts(type = "number")]
    pub bytes: u64,
    /// It was cut off (a crash) and completed when this list was read.
    pub repaired: bool,
    /// Its export as one video, when there is one.
    pub exported: Option<String>,
}

/// The recordings folder and what it holds.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct RecordingList {
    pub folder: String,
    pub recordings: Vec<RecordingEntry>,
}

/// The recordings in the folder, newest first. A recording a crash cut off
/// is completed here (it then plays to its end and seeks) and marked so.
#[tauri::command]
pub async fn list_recordings(state: State<'_, AppState>) -> ClientResult<RecordingList> {
    let settings = state.client.settings()?;
    let folder = state.client.paths().recordings_dir(&settings);
    let in_use = crate::call::recording_paths(&state).await;
    let scan = folder.clone();
    let recordings = tokio::task::spawn_blocking(move || scan_folder(&scan, &in_use))
        .await
        .unwrap_or_default();
    Ok(RecordingList {
        folder: folder.to_string_lossy().into_owned(),
        recordings,
    })
}

fn scan_folder(folder: &Path, in_use: &[PathBuf]) -> Vec<RecordingEntry> {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return Vec::new();
    };
    let mut list: Vec<RecordingEntry> = entries
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "webm") && !is_export(p))
        .filter_map(|path| {
            let mut repaired = false;
            if !in_use.contains(&path) && mentorlive_recording::is_incomplete(&path).ok()? {
                match mentorlive_recording::repair(&path) {
                    Ok(r) => {
                        tracing::info!(
                            "recording {} repaired ({} bytes cut)",
                            path.display(),
                            r.cut_bytes
                        );
                        repaired = true;
                    }
                    Err(err) => {
                        tracing::warn!("recording {} could not be repaired: {err}", path.display());
                        return None;
                    }
                }
            }
            let d = mentorlive_recording::describe(&path).ok()?;
            Some(RecordingEntry {
                file_name: path.file_name()?.to_string_lossy().into_owned(),
                path: path.to_string_lossy().into_owned(),
                title: d.meta.title,
                partner: d.meta.partner,
                started_at_ms: d.meta.started_at_ms,
                duration_ms: d.duration_ms.unwrap_or(0),
                bytes: d.bytes,
                repaired,
                exported: Some(export_of(&path))
                    .filter(|e| e.exists())
                    .map(|e| e.to_string_lossy().into_owned()),
            })
        })
        .collect();
    list.sort_by_key(|r| std::cmp::Reverse(r.started_at_ms));
    list
}

/// "… (one video).webm": an export, listed with its recording.
fn is_export(path: &Path) -> bool {
    path.file_stem()
        .is_some_and(|s| s.to_string_lossy().ends_with(" (one video)"))
}

/// Where a recording's export goes.
pub fn export_of(recording: &Path) -> PathBuf {
    let stem = recording
        .file_stem()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned();
    recording.with_file_name(format!("{stem} (one video).webm"))
}

/// A path the UI names must be a recording in the recordings folder: the
/// UI cannot make the app delete or open anything else.
pub fn in_folder(state: &State<'_, AppState>, path: &str) -> ClientResult<PathBuf> {
    let settings = state.client.settings()?;
    let folder = state.client.paths().recordings_dir(&settings);
    let path = PathBuf::from(path);
    let inside = path.parent().and_then(|p| p.canonicalize().ok()) == folder.canonicalize().ok();
    if !inside || path.extension().is_none_or(|x| x != "webm") {
        return Err(ClientError::new(
            AppErrorCode::OpenFailed,
            "That is not a recording in the recordings folder.",
        ));
    }
    Ok(path)
}

/// Deletes a recording, its chat and its export (the UI has asked first).
#[tauri::command]
pub async fn delete_recording(state: State<'_, AppState>, path: String) -> ClientResult<()> {
    let path = in_folder(&state, &path)?;
    std::fs::remove_file(&path).map_err(|e| {
        ClientError::new(
            AppErrorCode::OpenFailed,
            format!("Could not delete {}: {e}", path.display()),
        )
    })?;
    let _ = std::fs::remove_file(mentorlive_recording::session::chat_path(&path));
    let _ = std::fs::remove_file(export_of(&path));
    Ok(())
}

/// Where recordings go from now on: a folder of the person's choice, or
/// (empty) the default in their Videos folder. The folder must be one the
/// app can create and write in; returns the folder in use.
#[tauri::command]
pub fn set_recordings_folder(state: State<'_, AppState>, folder: String) -> ClientResult<String> {
    let mut settings = state.client.settings()?;
    let folder = folder.trim();
    settings.recordings_folder = if folder.is_empty() {
        None
    } else {
        let path = PathBuf::from(folder);
        if !path.is_absolute() {
            return Err(ClientError::new(
                AppErrorCode::RecordingFailed,
                "Give the folder's full path (starting from / or a drive).",
            ));
        }
        let probe = path.join(".mentorlive-write-test");
        std::fs::create_dir_all(&path)
            .and_then(|_| std::fs::write(&probe, b""))
            .and_then(|_| std::fs::remove_file(&probe))
            .map_err(|e| {
                ClientError::new(
                    AppErrorCode::RecordingFailed,
                    format!("Recordings cannot be saved in {}: {e}", path.display()),
                )
            })?;
        Some(path)
    };
    state.client.save_settings(&settings)?;
    Ok(state
        .client
        .paths()
        .recordings_dir(&settings)
        .to_string_lossy()
        .into_owned())
}

/// Opens the recordings folder in the file manager.
#[tauri::command]
pub async fn open_recordings_folder(state: State<'_, AppState>) -> ClientResult<()> {
    let settings = state.client.settings()?;
    let folder = state.client.paths().recordings_dir(&settings);
    let _ = std::fs::create_dir_all(&folder);
    tauri_plugin_opener::open_path(&folder, None::<&str>).map_err(|e| {
        ClientError::new(
            AppErrorCode::OpenFailed,
            format!("Could not open {}: {e}", folder.display()),
        )
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn file_names_hold_no_separator_and_say_who_and_when() {
        let at = time::macros::datetime!(2026-12-02 14:05:09 UTC);
        assert_eq!(
            super::file_name(at, "C++: a/b \"tour\"", "Leo\nLearner"),
            "2026-12-02 14.05.09 C++ a b tour with Leo Learner.webm"
        );
        assert_eq!(
            super::file_name(at, " \n", "Leo Learner"),
            "2026-12-02 14.05.09 with Leo Learner.webm"
        );
    }
}
