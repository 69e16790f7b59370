//! The commands the UI calls. Each one is a few lines over the headless
//! crates; errors travel as `{code, message}`.

use crate::links::LinkEvent;
use crate::AppState;
use mentorlive_client::{AppErrorCode, ClientError, ClientResult};
use mentorlive_protocol::{
    invitation_url, LiveCode, RegisterRequest, Role, Session, User, ValidateLiveCodeResponse,
};
use serde::Serialize;
use tauri::State;

#[derive(Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    #[ts(type = "string")]
    pub version: &'static str,
    pub server_url: String,
    pub account: Option<String>,
    pub logs_dir: String,
    pub camera_id: Option<String>,
    pub microphone_id: Option<String>,
    pub speaker_id: Option<String>,
    /// Whether call-quality reports and ratings go to the server.
    pub share_call_reports: bool,
    /// Whether calls connect only through the server's relay.
    pub relay_only: bool,
    /// Whether the UI may expose figures for tests and benchmarks
    /// (`window.mentorlive*`): debug builds and `--features bench` only.
    pub test_hooks: bool,
}

#[tauri::command]
pub fn app_info(state: State<'_, AppState>) -> ClientResult<AppInfo> {
    let settings = state.client.settings()?;
    Ok(AppInfo {
        version: env!("CARGO_PKG_VERSION"),
        server_url: settings.server_url,
        account: settings.account,
        logs_dir: state.client.paths().logs_dir().display().to_string(),
        camera_id: settings.camera_id,
        microphone_id: settings.microphone_id,
        speaker_id: settings.speaker_id,
        share_call_reports: settings.share_call_reports,
        relay_only: settings.relay_only,
        test_hooks: cfg!(any(debug_assertions, feature = "bench")),
    })
}

#[tauri::command]
pub async fn restore_session(state: State<'_, AppState>) -> ClientResult<Option<User>> {
    let user = state.client.restore().await?;
    // Reports a past run could not send go now.
    crate::call_reports::send_soon(&state.client);
    Ok(user)
}

#[tauri::command]
pub async fn sign_in(
    state: State<'_, AppState>,
    server: String,
    email: String,
    password: String,
) -> ClientResult<User> {
    let user = state.client.sign_in(&server, &email, &password).await?;
    crate::call_reports::send_soon(&state.client);
    Ok(user)
}

/// Creates an account and signs in with it.
#[tauri::command]
pub async fn register(
    state: State<'_, AppState>,
    server: String,
    name: String,
    email: String,
    password: String,
    role: Role,
) -> ClientResult<User> {
    let request = RegisterRequest {
        email,
        password,
        name,
        role,
    };
    state.client.register(&server, &request).await
}

/// Signs out, hanging up first: the call's report is kept as the person's
/// who made it, and no call runs on a revoked token.
#[tauri::command]
pub async fn sign_out(state: State<'_, AppState>) -> ClientResult<()> {
    crate::call::end_current(&state.call).await;
    state.client.sign_out().await
}

#[tauri::command]
pub async fn list_sessions(state: State<'_, AppState>) -> ClientResult<Vec<Session>> {
    Ok(state.client.api()?.list_sessions().await?)
}

/// A live code as the UI shows it.
#[derive(Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct LiveCodeView {
    pub code: String,
    /// `ABCD EFGH`
    pub grouped: String,
    /// `{server}/join/CODE`: the platform's invitation page.
    pub invite_link: String,
    pub session_id: String,
    pub expires_at: String,
    pub is_new: bool,
}

#[tauri::command]
pub async fn generate_live_code(
    state: State<'_, AppState>,
    session_id: String,
) -> ClientResult<LiveCodeView> {
    let api = state.client.api()?;
    let (info, generated) = api.generate_live_code(&session_id).await?;
    let code = LiveCode::parse(&info.code).map_err(|e| ClientError {
        code: AppErrorCode::UnexpectedResponse,
        message: e.to_string(),
    })?;
    Ok(LiveCodeView {
        grouped: code.grouped(),
        invite_link: invitation_url(&api.server_url(), &code),
        code: code.to_string(),
        session_id: info.session_id,
        expires_at: info
            .expires_at
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
        is_new: generated == mentorlive_api::Generated::New,
    })
}

#[tauri::command]
pub async fn validate_live_code(
    state: State<'_, AppState>,
    input: String,
) -> ClientResult<ValidateLiveCodeResponse> {
    Ok(state.client.api()?.validate_live_code(&input).await?)
}

#[tauri::command]
pub fn set_server_url(state: State<'_, AppState>, url: String) -> ClientResult<String> {
    let normalised = mentorlive_api::normalise_server_url(&url)?;
    let mut settings = state.client.settings()?;
    settings.server_url = normalised.as_str().trim_end_matches('/').to_owned();
    state.client.save_settings(&settings)?;
    Ok(settings.server_url)
}

/// The person accepted plain http to `server` after being told what it
/// exposes (their password and sign-in, readable on the way).
#[tauri::command]
pub fn allow_http(state: State<'_, AppState>, server: String) -> ClientResult<()> {
    state.client.allow_http_to(&server)
}

#[tauri::command]
pub fn open_logs_folder(state: State<'_, AppState>) -> ClientResult<()> {
    let dir = state.client.paths().logs_dir();
    let _ = std::fs::create_dir_all(&dir);
    tauri_plugin_opener::open_path(&dir, None::<&str>).map_err(|e| ClientError {
        code: AppErrorCode::OpenFailed,
        message: format!("Could not open {}: {e}", dir.display()),
    })
}

#[tauri::command]
pub fn take_pending_link(state: State<'_, AppState>) -> Option<LinkEvent> {
    state
        .pending_link
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .take()
}

/// Calls connect only through the server's relay (from the next call on).
#[tauri::command]
pub fn set_relay_only(state: State<'_, AppState>, on: bool) -> ClientResult<()> {
    let mut settings = state.client.settings()?;
    settings.relay_only = on;
    state.client.save_settings(&settings)
}

/// Remembers the devices chosen on the pre-join screen.
#[tauri::command]
pub fn save_devices(
    state: State<'_, AppState>,
    camera_id: Option<String>,
    microphone_id: Option<String>,
    speaker_id: Option<String>,
) -> ClientResult<()> {
    let mut settings = state.client.settings()?;
    settings.camera_id = camera_id;
    settings.microphone_id = microphone_id;
    settings.speaker_id = speaker_id;
    state.client.save_settings(&settings)
}
