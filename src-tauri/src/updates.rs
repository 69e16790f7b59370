//! Signed updates, from the server the user signs in to (a deployment hosts
//! its own, `GET /api/updates/...`). Three steps the UI drives: check, then
//! download (the signature is checked here, against the public key built
//! into the app), then install and restart. None of them runs during a call:
//! an update never takes bandwidth from, or restarts, a session in progress.

use crate::AppState;
use mentorlive_client::{AppErrorCode, ClientError, ClientResult};
use serde::Serialize;
use tauri::{AppHandle, State};
use tauri_plugin_updater::{Update, UpdaterExt};

/// The update found by the last check, and its verified bytes once downloaded.
#[derive(Default)]
pub struct UpdateSlot {
    found: Option<Update>,
    verified: Option<Vec<u8>>,
}

pub type SharedUpdateSlot = tokio::sync::Mutex<UpdateSlot>;

#[derive(Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct UpdateInfo {
    pub version: String,
    pub current_version: String,
    pub notes: Option<String>,
}

impl From<&Update> for UpdateInfo {
    fn from(update: &Update) -> Self {
        UpdateInfo {
            version: update.version.clone(),
            current_version: update.current_version.clone(),
            notes: update.body.clone(),
        }
    }
}

fn update_error(code: AppErrorCode, message: impl Into<String>) -> ClientError {
    ClientError::new(code, message)
}

/// The updater's errors in the user's words, with codes the UI and tests
/// can rely on. A bad signature is its own case: it is an attack or a broken
/// release, never something to retry into.
fn from_updater(err: tauri_plugin_updater::Error) -> ClientError {
    use tauri_plugin_updater::Error as E;
    tracing::warn!(%err, "update failed");
    match err {
        E::Minisign(_)
        | E::Base64(_)
        | E::SignatureUtf8(_)
        | E::SignedVersionMismatch { .. }
        | E::MissingSignedVersion => update_error(
            AppErrorCode::UpdateSignatureInvalid,
            "The update is not signed by mentorlive's release key, so it was not installed.",
        ),
        E::InsecureTransportProtocol => update_error(
            AppErrorCode::UpdateInsecure,
            "Updates are only taken from servers that use https.",
        ),
        E::Reqwest(_) | E::Network(_) => update_error(
            AppErrorCode::UpdateUnreachable,
            "Could not reach the update server. Check your connection and try again.",
        ),
        other => update_error(
            AppErrorCode::UpdateFailed,
            format!("The update failed: {other}"),
        ),
    }
}

/// The update endpoint on the signed-in server.
fn endpoint(server_url: &str) -> ClientResult<url::Url> {
    let base = server_url.trim_end_matches('/');
    format!("{base}/api/updates/{{{{target}}}}/{{{{arch}}}}/{{{{current_version}}}}?bundle={{{{bundle_type}}}}")
        .parse()
        .map_err(|_| update_error(AppErrorCode::UpdateFailed, "The server address is not a valid URL."))
}

async fn refuse_during_call(state: &AppState) -> ClientResult<()> {
    if state.call.lock().await.is_some() {
        return Err(update_error(
            AppErrorCode::UpdateInCall,
            "The update waits until the call has ended.",
        ));
    }
    Ok(())
}

#[tauri::command]
pub async fn check_for_update(
    app: AppHandle,
    state: State<'_, AppState>,
) -> ClientResult<Option<UpdateInfo>> {
    let server_url = state.client.settings()?.server_url;
    let url = endpoint(&server_url)?;
    if url.scheme() != "https" && !cfg!(debug_assertions) {
        // Release builds never take an update over plain http; saying so
        // on every start would only be noise for a local server.
        tracing::info!("update check skipped: the server does not use https");
        return Ok(None);
    }
    let builder = app
        .updater_builder()
        .endpoints(vec![url])
        .map_err(from_updater)?
        .timeout(std::time::Duration::from_secs(30));
    // Tests sign with a key of their own. Debug builds only: a release build
    // trusts nothing but the key it was built with.
    #[cfg(debug_assertions)]
    let builder = match std::env::var("MENTORLIVE_UPDATER_PUBKEY") {
        Ok(key) => builder.pubkey(key),
        Err(_) => builder,
    };
    let found = builder
        .build()
        .map_err(from_updater)?
        .check()
        .await
        .map_err(from_updater)?;
    let info = found.as_ref().map(UpdateInfo::from);
    if let Some(info) = &info {
        tracing::info!(version = %info.version, "update available");
    }
    let mut slot = state.update.lock().await;
    slot.found = found;
    slot.verified = None;
    Ok(info)
}

/// Downloads the update found by the last check and checks its signature.
#[tauri::command]
pub async fn download_update(state: State<'_, AppState>) -> ClientResult<UpdateInfo> {
    refuse_during_call(&state).await?;
    let mut slot = state.update.lock().await;
    let update = slot
        .found
        .clone()
        .ok_or_else(|| update_error(AppErrorCode::UpdateNone, "There is no update to download."))?;
    let bytes = update
        .download(|_, _| {}, || {})
        .await
        .map_err(from_updater)?;
    tracing::info!(version = %update.version, bytes = bytes.len(), "update downloaded, signature good");
    slot.verified = Some(bytes);
    Ok(UpdateInfo::from(&update))
}

/// Installs the verified update and restarts into it.
#[tauri::command]
pub async fn install_update(app: AppHandle, state: State<'_, AppState>) -> ClientResult<()> {
    refuse_during_call(&state).await?;
    let slot = state.update.lock().await;
    let (Some(update), Some(bytes)) = (&slot.found, &slot.verified) else {
        return Err(update_error(
            AppErrorCode::UpdateNone,
            "Download the update before installing it.",
        ));
    };
    update.install(bytes).map_err(from_updater)?;
    tracing::info!(version = %update.version, "update installed; restarting");
    app.restart()
}

#[cfg(test)]
mod tests {
    use super::endpoint;

    #[test]
    fn the_endpoint_keeps_the_updaters_placeholders() {
        let url = endpoint("http://127.0.0.1:8787/")
            .expect("a URL")
            .to_string();
        assert!(
            url.starts_with("http://127.0.0.1:8787/api/updates/"),
            "{url}"
        );
        for placeholder in ["target", "arch", "current_version", "bundle_type"] {
            assert!(url.contains(placeholder), "{placeholder} in {url}");
        }
    }
}
