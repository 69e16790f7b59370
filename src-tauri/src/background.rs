//! The call outlives its window. Closing the window during a call asks
//! first ("Leave the call?"); "Keep in background" hides the window and puts
//! the call in the tray, with Show, Mute, Hang up and Quit. The engine runs in
//! Rust and the webview keeps running hidden, so sound goes on both ways.
//!
//! Mute and hang-up belong to the UI (it owns the microphone track and tells
//! the partner), so the tray's actions go to it as events, as if its own
//! buttons were pressed. Quit exits the app, whose exit handler hangs up first
//! (the partner hears `left`).

use crate::AppState;
use mentorlive_client::{AppErrorCode, ClientError, ClientResult};
use serde::{Deserialize, Serialize};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Emitter, Manager, State, Window, WindowEvent, Wry};

/// Told to the UI when the window is closed during a call.
pub const CLOSE_REQUESTED: &str = "close-requested";
/// Told to the UI when the tray asks for one of its actions.
pub const TRAY_ACTION: &str = "tray-action";
const TRAY_ID: &str = "call";

/// What the tray's menu offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum TrayAction {
    Show,
    ToggleMute,
    HangUp,
    Quit,
}

impl TrayAction {
    fn id(self) -> &'static str {
        match self {
            TrayAction::Show => "show",
            TrayAction::ToggleMute => "toggle_mute",
            TrayAction::HangUp => "hang_up",
            TrayAction::Quit => "quit",
        }
    }

    fn from_id(id: &str) -> Option<TrayAction> {
        [
            TrayAction::Show,
            TrayAction::ToggleMute,
            TrayAction::HangUp,
            TrayAction::Quit,
        ]
        .into_iter()
        .find(|a| a.id() == id)
    }
}

/// The tray while a call runs in the background.
struct Tray {
    status: MenuItem<Wry>,
    mute: MenuItem<Wry>,
    partner: String,
    started: Instant,
    muted: bool,
}

impl Tray {
    fn status_text(&self) -> String {
        let s = self.started.elapsed().as_secs();
        let clock = if s >= 3600 {
            format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
        } else {
            format!("{:02}:{:02}", s / 60, s % 60)
        };
        let mic = if self.muted { " · muted" } else { "" };
        format!("In a call with {} · {clock}{mic}", self.partner)
    }
}

/// The tray of the call in the background, if there is one.
#[derive(Default)]
pub struct Background {
    tray: Mutex<Option<Tray>>,
}

impl Background {
    fn with_tray<T>(&self, f: impl FnOnce(&mut Tray) -> T) -> Option<T> {
        self.tray
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_mut()
            .map(f)
    }
}

/// The window's close button during a call asks the UI first.
pub fn on_window_event(window: &Window, event: &WindowEvent) {
    let WindowEvent::CloseRequested { api, .. } = event else {
        return;
    };
    let state = window.state::<AppState>();
    let in_call = state.call.try_lock().map_or(true, |slot| slot.is_some());
    if in_call && !state.quitting.load(std::sync::atomic::Ordering::SeqCst) {
        api.prevent_close();
        let _ = window.emit(CLOSE_REQUESTED, ());
    }
}

fn tray_error(err: tauri::Error) -> ClientError {
    ClientError {
        code: AppErrorCode::TrayFailed,
        message: format!("The call could not be put in the tray: {err}"),
    }
}

/// Hides the window and shows the call in the tray. `connected_secs`: how
/// long the call has been connected, for the tray's clock.
#[tauri::command]
pub fn keep_in_background(
    app: AppHandle,
    state: State<'_, AppState>,
    partner: String,
    connected_secs: u64,
    muted: bool,
) -> ClientResult<()> {
    if app.tray_by_id(TRAY_ID).is_none() {
        let status =
            MenuItem::with_id(&app, "status", "", false, None::<&str>).map_err(tray_error)?;
        let show = MenuItem::with_id(
            &app,
            TrayAction::Show.id(),
            "Show mentorlive",
            true,
            None::<&str>,
        )
        .map_err(tray_error)?;
        let mute = MenuItem::with_id(
            &app,
            TrayAction::ToggleMute.id(),
            "Mute",
            true,
            None::<&str>,
        )
        .map_err(tray_error)?;
        let hang_up =
            MenuItem::with_id(&app, TrayAction::HangUp.id(), "Hang up", true, None::<&str>)
                .map_err(tray_error)?;
        let quit = MenuItem::with_id(
            &app,
            TrayAction::Quit.id(),
            "Quit mentorlive",
            true,
            None::<&str>,
        )
        .map_err(tray_error)?;
        let separator = PredefinedMenuItem::separator(&app).map_err(tray_error)?;
        let menu = Menu::with_items(&app, &[&status, &show, &mute, &hang_up, &separator, &quit])
            .map_err(tray_error)?;
        let mut builder = TrayIconBuilder::with_id(TRAY_ID)
            .menu(&menu)
            .tooltip("mentorlive: a call is going on")
            .on_menu_event(|app, event| {
                if let Some(action) = TrayAction::from_id(event.id().as_ref()) {
                    press(app, action);
                }
            });
        if let Some(icon) = app.default_window_icon() {
            builder = builder.icon(icon.clone());
        }
        builder.build(&app).map_err(tray_error)?;
        *state
            .background
            .tray
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = Some(Tray {
            status,
            mute,
            partner,
            started: Instant::now() - Duration::from_secs(connected_secs),
            muted,
        });
        spawn_clock(app.clone());
    }
    set_tray_muted(state, muted);
    if let Some(window) = app.get_webview_window("main") {
        window.hide().map_err(tray_error)?;
    }
    tracing::info!("the call goes on in the background");
    Ok(())
}

/// The tray's clock, once a second, until the tray goes.
fn spawn_clock(app: AppHandle) {
    tauri::async_runtime::spawn(async move {
        loop {
            let state = app.state::<AppState>();
            let Some((status, text)) = state
                .background
                .with_tray(|tray| (tray.status.clone(), tray.status_text()))
            else {
                return;
            };
            let _ = status.set_text(text);
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
}

/// The UI's mute, shown in the tray.
#[tauri::command]
pub fn set_tray_muted(state: State<'_, AppState>, muted: bool) {
    state.background.with_tray(|tray| {
        tray.muted = muted;
        let _ = tray.mute.set_text(if muted { "Unmute" } else { "Mute" });
        let _ = tray.status.set_text(tray.status_text());
    });
}

/// Shows the window again and takes the call out of the tray (no-op when it
/// is not there).
#[tauri::command]
pub fn leave_background(app: AppHandle, state: State<'_, AppState>) {
    let had_tray = state
        .background
        .tray
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .take()
        .is_some();
    let _ = app.remove_tray_by_id(TRAY_ID);
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.show();
        let _ = window.unminimize();
        let _ = window.set_focus();
    }
    if had_tray {
        tracing::info!("the call is back in its window");
    }
}

/// Quits: the exit handler hangs up any call first.
#[tauri::command]
pub fn quit_app(app: AppHandle) {
    app.exit(0);
}

/// Carries out one of the tray's actions.
pub fn press(app: &AppHandle, action: TrayAction) {
    match action {
        TrayAction::Show => leave_background(app.clone(), app.state::<AppState>()),
        TrayAction::ToggleMute | TrayAction::HangUp => {
            let _ = app.emit(TRAY_ACTION, action);
        }
        TrayAction::Quit => app.exit(0),
    }
}

/// What the tray shows, for the end-to-end tests (a headless X server has
/// no tray to look at).
#[cfg(any(debug_assertions, feature = "bench"))]
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct TrayView {
    pub status: String,
    pub mute: String,
}

/// The tray's menu as it reads now; null when there is no tray.
#[cfg(any(debug_assertions, feature = "bench"))]
#[tauri::command]
pub fn tray_view(app: AppHandle, state: State<'_, AppState>) -> Option<TrayView> {
    app.tray_by_id(TRAY_ID)?;
    state.background.with_tray(|tray| TrayView {
        status: tray.status.text().unwrap_or_default(),
        mute: tray.mute.text().unwrap_or_default(),
    })
}

/// Presses a tray menu item, as a person would (tests only).
#[cfg(any(debug_assertions, feature = "bench"))]
#[tauri::command]
pub fn press_tray(app: AppHandle, action: TrayAction) {
    press(&app, action);
}
