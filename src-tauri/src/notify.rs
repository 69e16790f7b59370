//! Telling the person their partner arrived while mentorlive is not in
//! front: an OS notification, and a click on it brings the call forward. On
//! Linux it goes to the desktop's notification daemon over D-Bus through
//! notify-rust (what Tauri's notification plugin uses inside, whose Rust API
//! gives no click back there); elsewhere through the plugin.

use mentorlive_client::{AppErrorCode, ClientError, ClientResult};
use tauri::{AppHandle, Manager};

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
    tauri::async_runtime::spawn_blocking(move || show(app, &title, &body))
        .await
        .map_err(|err| notification_failed(&err))?
        .map_err(|err| notification_failed(&err))?;
    Ok(true)
}

/// Shows it, and a click on it brings the call to the front. The
/// Desktop Notifications Specification reports a click as the action
/// `default`; a thread waits for it until the notification closes.
#[cfg(all(unix, not(target_os = "macos")))]
fn show(app: AppHandle, title: &str, body: &str) -> Result<(), notify_rust::error::Error> {
    let shown = notify_rust::Notification::new()
        .appname("mentorlive")
        .summary(title)
        .body(body)
        .action("default", "Show the call")
        .show()?;
    std::thread::spawn(move || {
        shown.wait_for_action(|action| {
            if action == "default" {
                bring_to_front(&app);
            }
        })
    });
    Ok(())
}

/// Elsewhere the plugin shows it (a click there opens the app already).
#[cfg(not(all(unix, not(target_os = "macos"))))]
fn show(app: AppHandle, title: &str, body: &str) -> Result<(), tauri_plugin_notification::Error> {
    use tauri_plugin_notification::NotificationExt;
    app.notification().builder().title(title).body(body).show()
}

#[cfg(all(unix, not(target_os = "macos")))]
fn bring_to_front(app: &AppHandle) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.show();
        let _ = window.unminimize();
        let _ = window.set_focus();
        tracing::info!("the notification brought the call to the front");
    }
}

fn notification_failed(err: &dyn std::fmt::Display) -> ClientError {
    tracing::warn!(%err, "could not show a notification");
    ClientError {
        code: AppErrorCode::NotificationFailed,
        message: format!("The desktop did not show the notification: {err}"),
    }
}
