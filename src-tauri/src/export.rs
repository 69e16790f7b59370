//! "Export as one video": the webview decodes a recording's tracks, lays
//! them out and encodes one ordinary video (WebCodecs, through mediabunny);
//! these commands give it the recording's bytes and take the new file's.
//! One export at a time; it is written as `… (one video).webm.part` and
//! renamed when complete, so a cancelled or failed export leaves nothing.

use crate::recordings::in_folder;
use crate::AppState;
use mentorlive_client::{AppErrorCode, ClientError, ClientResult};
use serde::Serialize;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::PathBuf;
use tauri::ipc::{InvokeBody, Request, Response};
use tauri::State;

/// The export being written.
pub struct ExportFile {
    file: File,
    part: PathBuf,
    done: PathBuf,
}

pub type ExportSlot = std::sync::Mutex<Option<ExportFile>>;

fn failed(message: String) -> ClientError {
    ClientError::new(AppErrorCode::ExportFailed, message)
}

/// Largest read the webview may ask for at once.
const MAX_READ: u64 = 16 * 1024 * 1024;

/// Bytes `start..end` of a recording in the recordings folder.
#[tauri::command]
pub fn read_recording(
    state: State<'_, AppState>,
    path: String,
    start: u64,
    end: u64,
) -> ClientResult<Response> {
    let path = in_folder(&state, &path)?;
    if end < start || end - start > MAX_READ {
        return Err(failed(format!(
            "A read of {start}..{end} is not one the export makes."
        )));
    }
    let mut file =
        File::open(&path).map_err(|e| failed(format!("Could not read {}: {e}", path.display())))?;
    let mut bytes = Vec::with_capacity((end - start) as usize);
    file.seek(SeekFrom::Start(start))
        .and_then(|_| file.take(end - start).read_to_end(&mut bytes))
        .map_err(|e| failed(format!("Could not read {}: {e}", path.display())))?;
    Ok(Response::new(bytes))
}

/// Where an export goes, and the size of the recording it is made from.
#[derive(Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct ExportStarted {
    pub path: String,
    #[ts(type = "number")]
    pub source_bytes: u64,
}

/// Starts exporting the recording at `path`: the new file's name, beside it.
#[tauri::command]
pub fn export_begin(state: State<'_, AppState>, path: String) -> ClientResult<ExportStarted> {
    let source = in_folder(&state, &path)?;
    let source_bytes = std::fs::metadata(&source).map(|m| m.len()).unwrap_or(0);
    let done = crate::recordings::export_of(&source);
    let part = done.with_extension("webm.part");
    let file = File::create(&part)
        .map_err(|e| failed(format!("Could not create {}: {e}", part.display())))?;
    let mut slot = state.export.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(old) = slot.take() {
        // A previous export the window never finished (it was closed).
        let _ = std::fs::remove_file(&old.part);
    }
    *slot = Some(ExportFile {
        file,
        part,
        done: done.clone(),
    });
    Ok(ExportStarted {
        path: done.to_string_lossy().into_owned(),
        source_bytes,
    })
}

/// Writes a piece of the export: the raw body is the offset (8 bytes,
/// little-endian) followed by the bytes to write there.
#[tauri::command]
pub fn export_write(state: State<'_, AppState>, request: Request<'_>) -> ClientResult<()> {
    let InvokeBody::Raw(body) = request.body() else {
        return Err(failed("An export write carries raw bytes.".into()));
    };
    let Some((offset, data)) = body.split_first_chunk::<8>() else {
        return Err(failed("An export write starts with its offset.".into()));
    };
    let mut slot = state.export.lock().unwrap_or_else(|p| p.into_inner());
    let export = slot
        .as_mut()
        .ok_or_else(|| failed("No export is in progress.".into()))?;
    export
        .file
        .seek(SeekFrom::Start(u64::from_le_bytes(*offset)))
        .and_then(|_| export.file.write_all(data))
        .map_err(|e| failed(format!("Could not write the export: {e}")))
}

/// Ends the export: kept under its name when complete, removed otherwise.
#[tauri::command]
pub fn export_finish(state: State<'_, AppState>, complete: bool) -> ClientResult<()> {
    let Some(export) = state
        .export
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .take()
    else {
        return Ok(());
    };
    if !complete {
        drop(export.file);
        let _ = std::fs::remove_file(&export.part);
        return Ok(());
    }
    export
        .file
        .sync_all()
        .and_then(|_| std::fs::rename(&export.part, &export.done))
        .map_err(|e| failed(format!("Could not save {}: {e}", export.done.display())))
}
