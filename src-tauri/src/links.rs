//! `mentorlive://join/CODE` links: from a cold start (the process's
//! arguments), from the OS while running (deep-link plugin), and from a second
//! launch (single-instance plugin). A link only ever opens the pre-join
//! screen; anything else is refused with a message.

use crate::AppState;
use mentorlive_protocol::parse_deep_link;
use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager};
use tauri_plugin_deep_link::DeepLinkExt;

/// What the UI is told about a link.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum LinkEvent {
    /// Open the pre-join screen for this code.
    Join { code: String },
    /// Refuse, with this message.
    Refused { message: String },
}

pub const EVENT: &str = "deep-link";

/// Passes a link to the UI (or keeps it until the UI asks).
pub fn handle(app: &AppHandle, link: &str) {
    let event = match parse_deep_link(link) {
        Ok(code) => LinkEvent::Join {
            code: code.to_string(),
        },
        Err(err) => {
            tracing::warn!("refused a link that is not an invitation");
            LinkEvent::Refused {
                message: err.to_string(),
            }
        }
    };
    if let Some(state) = app.try_state::<AppState>() {
        *state.pending_link.lock().unwrap_or_else(|p| p.into_inner()) = Some(event.clone());
    }
    let _ = app.emit(EVENT, event);
}

pub fn setup(app: &mut tauri::App) -> Result<(), Box<dyn std::error::Error>> {
    let app_handle = app.handle().clone();
    app.deep_link().on_open_url(move |event| {
        for url in event.urls() {
            handle(&app_handle, url.as_str());
        }
    });
    // A cold start with a link: the OS passes it as an argument.
    for arg in std::env::args().skip(1) {
        if arg.contains("://") {
            handle(app.handle(), &arg);
        }
    }
    // Register the scheme for the installed app on Linux when it is missing
    // (a .deb registers it through its desktop entry; this covers AppImage
    // and development runs).
    #[cfg(target_os = "linux")]
    if std::env::var_os("MENTORLIVE_REGISTER_SCHEME").is_some() {
        let _ = app.deep_link().register_all();
    }
    Ok(())
}
