//! The call as the window sees it: joining starts the engine and the media
//! bridge; events go to the UI on a Tauri channel (control only, JSON is
//! fine there); media never crosses IPC, it goes over the bridge's socket.

use crate::event_sink::{EventSink, TimedCallEvent};
use crate::AppState;
use mentorlive_bridge::MediaBridge;
use mentorlive_client::{AppErrorCode, ClientError, ClientResult};
use mentorlive_engine::{Call, CallEvent, CallOptions, EngineError};
use mentorlive_protocol::peer_messages::{ChatMessage, MediaState, CHAT_MAX_CHARS};
use mentorlive_signaling::{ClientError as SignalingError, LiveError};
use serde::Serialize;
use std::sync::Arc;
use tauri::ipc::Channel;
use tauri::State;

/// The call in progress, if any. One at a time: joining again ends the last.
pub struct ActiveCall {
    call: Call,
    _bridge: MediaBridge,
    bridge_url: String,
    code: String,
    /// What the pre-join screen knew, kept for a reloaded page: the
    /// session's title (for the notification and a recording's name) and
    /// the partner's name (for the rating after the call).
    session_title: String,
    partner_name: String,
    /// The page's channel of the moment (a reloaded page attaches anew).
    sink: Arc<std::sync::Mutex<EventSink>>,
    /// What the page last said of its microphone and camera.
    media: MediaState,
    forward: tokio::task::JoinHandle<()>,
    /// Files this call records into: never repaired while it runs.
    recordings: Vec<std::path::PathBuf>,
}

pub type CallSlot = tokio::sync::Mutex<Option<ActiveCall>>;

#[derive(Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct CallJoined {
    /// The media bridge's address, secret included: the UI's only copy.
    pub bridge_url: String,
}

fn engine_error(err: impl std::fmt::Display) -> ClientError {
    ClientError {
        code: AppErrorCode::CallFailed,
        message: format!("Could not start the call: {err}"),
    }
}

/// What a failed join means for the person: the room's own refusal
/// (expired, not a participant, full…), or no connection to the server.
fn join_error_code(err: &EngineError) -> AppErrorCode {
    match err {
        EngineError::Signaling(live) => match (live.error_code(), live) {
            (Some(code), _) => AppErrorCode::Contract(code),
            (None, LiveError::Transport(SignalingError::Timeout)) => AppErrorCode::Timeout,
            (None, _) => AppErrorCode::NotConnected,
        },
        EngineError::WebRtc(_) => AppErrorCode::CallFailed,
        EngineError::NoRelay => AppErrorCode::NoRelay,
    }
}

#[tauri::command]
pub async fn join_call(
    state: State<'_, AppState>,
    code: String,
    session_title: String,
    partner_name: String,
    on_event: Channel<TimedCallEvent>,
) -> ClientResult<CallJoined> {
    let api = state.client.api()?;
    let token = api
        .token()
        .ok_or_else(ClientError::not_signed_in)?
        .to_owned();
    end_current(&state.call).await;
    let mut options = CallOptions::new(&api.server_url(), &token, &code);
    options.client = mentorlive_protocol::analytics::ClientKind::Desktop;
    options.relay_only = state.client.settings()?.relay_only;
    // The engine's join errors keep the contract's codes (expired, not a
    // participant, …), which the UI turns into words.
    let (call, mut events, frames) = Call::join(options).await.map_err(|e| {
        tracing::warn!(code = e.code(), "join failed");
        ClientError::new(join_error_code(&e), e.to_string())
    })?;
    let bridge = MediaBridge::start(Arc::new(call.clone()), frames)
        .await
        .map_err(engine_error)?;
    let bridge_url = bridge.url();
    let client = state.client.clone();
    let sink = Arc::new(std::sync::Mutex::new(EventSink::new(on_event)));
    let to_page = sink.clone();
    // Whose the report will be: whoever is signed in now, even if they
    // sign out before it comes.
    let owner = state.client.report_owner();
    let forward = tokio::spawn(async move {
        // Until the report, which follows `Ended`: even when the window is
        // gone, the report is still kept and sent.
        let mut session_id = String::new();
        while let Some(event) = events.recv().await {
            if let CallEvent::Joined { session_id: id, .. } = &event {
                session_id.clone_from(id);
            }
            let report = match &event {
                CallEvent::Report { report } => Some((**report).clone()),
                _ => None,
            };
            to_page
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .send(event);
            if let Some(report) = report {
                if let Some(owner) = &owner {
                    crate::call_reports::keep_and_send(&client, owner, &session_id, report);
                }
                break;
            }
        }
    });
    tracing::info!("call joined");
    *state.call.lock().await = Some(ActiveCall {
        call,
        _bridge: bridge,
        bridge_url: bridge_url.clone(),
        code,
        session_title,
        partner_name,
        sink,
        media: MediaState::default(),
        forward,
        recordings: Vec::new(),
    });
    Ok(CallJoined { bridge_url })
}

/// Hangs up the call in progress, if any: the partner hears `left`, and
/// its report is kept.
pub async fn end_current(slot: &CallSlot) {
    if let Some(mut active) = slot.lock().await.take() {
        active.call.hang_up().await;
        // The call's last events (its report) are on their way; the task
        // is never cut short (it ends with the report, or when the engine
        // is gone), only no longer waited for.
        let _ = tokio::time::timeout(std::time::Duration::from_secs(2), &mut active.forward).await;
    }
}

/// The recording files of the call in progress (none without one).
pub async fn recording_paths(state: &State<'_, AppState>) -> Vec<std::path::PathBuf> {
    state
        .call
        .lock()
        .await
        .as_ref()
        .map(|a| a.recordings.clone())
        .unwrap_or_default()
}

/// Notes a file the call in progress records into.
pub async fn note_recording(state: &State<'_, AppState>, path: std::path::PathBuf) {
    if let Some(active) = state.call.lock().await.as_mut() {
        active.recordings.push(path);
    }
}

pub async fn with_call<T>(
    state: &State<'_, AppState>,
    f: impl FnOnce(&Call) -> T,
) -> ClientResult<T> {
    match state.call.lock().await.as_ref() {
        Some(active) => Ok(f(&active.call)),
        None => Err(ClientError {
            code: AppErrorCode::NoCall,
            message: "There is no call in progress.".into(),
        }),
    }
}

/// Sends a chat line; returns it as sent (id and time), for our own view.
#[tauri::command]
pub async fn call_send_chat(state: State<'_, AppState>, text: String) -> ClientResult<ChatMessage> {
    let text = text.trim();
    let chars = text.chars().count();
    if chars == 0 || chars > CHAT_MAX_CHARS {
        return Err(ClientError {
            code: AppErrorCode::InvalidChat,
            message: "A chat message has 1 to 2,000 characters.".into(),
        });
    }
    with_call(&state, |call| call.send_chat(text)).await
}

/// Tells the partner whether our microphone is muted and our camera off
/// (the engine tells them again after every reconnect).
#[tauri::command]
pub async fn call_set_media_state(
    state: State<'_, AppState>,
    audio_muted: bool,
    video_off: bool,
) -> ClientResult<()> {
    let media = MediaState {
        audio_muted,
        video_off,
        // The engine fills in whether we share.
        screen: false,
    };
    if let Some(active) = state.call.lock().await.as_mut() {
        active.media = media;
    }
    with_call(&state, |call| call.set_media_state(media)).await
}

/// The call a reloaded page finds running.
#[derive(Serialize, ts_rs::TS)]
#[serde(rename_all = "camelCase")]
pub struct RunningCall {
    pub code: String,
    pub session_title: String,
    pub partner_name: String,
    pub audio_muted: bool,
    pub video_off: bool,
}

/// The call still running in the engine, if any (a page just loaded asks).
#[tauri::command]
pub async fn running_call(state: State<'_, AppState>) -> Result<Option<RunningCall>, ClientError> {
    Ok(state.call.lock().await.as_ref().map(|active| RunningCall {
        code: active.code.clone(),
        session_title: active.session_title.clone(),
        partner_name: active.partner_name.clone(),
        audio_muted: active.media.audio_muted,
        video_off: active.media.video_off,
    }))
}

/// Attaches a reloaded page to the call running in the engine: the same
/// connection, no renegotiation. The page hears the call as it is, gets
/// the bridge again (which takes the new page), and the partner is asked
/// for a keyframe for the page's fresh decoder.
#[tauri::command]
pub async fn reattach_call(
    state: State<'_, AppState>,
    on_event: Channel<TimedCallEvent>,
) -> ClientResult<CallJoined> {
    let slot = state.call.lock().await;
    let active = slot.as_ref().ok_or_else(|| ClientError {
        code: AppErrorCode::NoCall,
        message: "There is no call in progress.".into(),
    })?;
    active
        .sink
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .attach(on_event);
    active.call.request_keyframe();
    tracing::info!("a reloaded page took the call over");
    Ok(CallJoined {
        bridge_url: active.bridge_url.clone(),
    })
}

/// Starts or stops sending our screen share: the engine negotiates its
/// transceiver and tells the partner; frames come over the bridge.
#[tauri::command]
pub async fn call_share_screen(state: State<'_, AppState>, on: bool) -> ClientResult<()> {
    with_call(&state, |call| call.share_screen(on)).await
}

#[tauri::command]
pub async fn call_hang_up(state: State<'_, AppState>) -> ClientResult<()> {
    end_current(&state.call).await;
    tracing::info!("call ended by the user");
    Ok(())
}
