//! Telling the person their partner arrived while mentorlive is not in
//! front: an OS notification through Tauri's notification plugin (on Linux,
//! the desktop's notification daemon over D-Bus).

use mentorlive_client::{AppErrorCode, ClientError, ClientResult};
use tauri::{AppHandle, Manager};
use tauri_plugin_notification::NotificationExt;

/// Whether the main window is shown and has the keyboard: then the person
/// sees the call already, and a notification would only be noise.
fn window_in_front(app: &AppHandle) -> bool {
    app.get_webview_window("main").is_some_and(|w| {
        w.is_visible().unwrap_or(false)
            && !w.is_minimized().unwrap_or(false)
            && w.is_focused().unwrap_or(false)
    })
}

/// Shows a notification unless the window is in front; returns whether it
/// was shown.
#[tauri::command]
pub async fn notify_if_away(app: AppHandle, title: String, body: String) -> ClientResult<bool> {
    if window_in_front(&app) {
        return Ok(false);
    }
    // The daemon answers over D-Bus: not on the async runtime's threads.
    tauri::async_runtime::spawn_blocking(move || {
        app.notification().builder().title(title).body(body).show()
    })
    .await
    .map_err(|err| notification_failed(&err))?
    .map_err(|err| notification_failed(&err))?;
    Ok(true)
}

fn notification_failed(err: &dyn std::fmt::Display) -> ClientError {
    tracing::warn!(%err, "could not show a notification");
    ClientError {
        code: AppErrorCode::NotificationFailed,
        message: format!("The desktop did not show the notification: {err}"),
    }
}
