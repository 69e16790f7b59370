//! The desktop app: a thin Tauri shell. Every command calls the headless
//! crates (`mentorlive-client` and below); this crate only adapts them to the
//! window: plugins, deep links, logs, and the permission prompts.

mod background;
/// Benchmark and test hooks: in debug builds, and in release builds only
/// with `--features bench` (the benchmark scripts); never in a shipped app.
#[cfg(any(debug_assertions, feature = "bench"))]
mod bench;
mod bindings;
mod call;
mod call_reports;
mod command_bindings;
mod commands;
mod encoder_preset;
mod event_sink;
mod export;
mod links;
mod logs;
mod media_settings;
mod notify;
mod permissions;
mod recordings;
mod security;
mod updates;
mod web_process;

use mentorlive_client::Client;
use mentorlive_settings::AppPaths;
use mentorlive_token_store::KeychainTokenStore;
use std::sync::{Arc, Mutex};
use tauri::Manager;

/// What every command shares.
pub struct AppState {
    pub client: Arc<Client>,
    /// A link that arrived before the UI was listening (a cold start).
    pub pending_link: Mutex<Option<links::LinkEvent>>,
    pub link_gate: Mutex<links::LinkGate>,
    pub call: call::CallSlot,
    #[cfg(any(debug_assertions, feature = "bench"))]
    pub echo: bench::EchoSlot,
    pub update: updates::SharedUpdateSlot,
    /// The recording being exported as one video, if any.
    pub export: export::ExportSlot,
    /// The call's tray while it runs in the background.
    pub background: background::Background,
    /// Quitting: the call in progress is being hung up first.
    pub quitting: std::sync::atomic::AtomicBool,
}

pub fn run() {
    // No fallback to a shared folder such as /tmp: another user could have
    // made it first, and settings and logs would be theirs to read or plant.
    let paths = match AppPaths::platform() {
        Ok(paths) => paths,
        Err(err) => {
            eprintln!("mentorlive cannot start: {err}");
            std::process::exit(1);
        }
    };
    // Before the log writer's thread starts: it sets an environment variable.
    let preset = encoder_preset::apply(&paths.data_dir);
    // Kept alive for the app's life: dropping it would stop the log writer.
    let _log_guard = logs::init(&paths.logs_dir());
    tracing::info!(version = env!("CARGO_PKG_VERSION"), "mentorlive starting");
    if let Err(err) = preset {
        tracing::warn!(%err, "the VP8 encoder keeps GStreamer's own realtime preset");
    }
    let launch_server = std::env::var(mentorlive_settings::SERVER_ENV).ok();
    let client = Arc::new(
        Client::new(paths, Arc::new(KeychainTokenStore)).with_launch_server(launch_server),
    );

    let result = tauri::Builder::default()
        // First, so a second launch hands its link over and exits at once.
        .plugin(tauri_plugin_single_instance::init(|app, argv, _cwd| {
            if let Some(window) = app.get_webview_window("main") {
                let _ = window.unminimize();
                let _ = window.set_focus();
            }
            for arg in argv.iter().skip(1) {
                links::handle(app, arg);
            }
        }))
        .plugin(tauri_plugin_deep_link::init())
        .plugin(tauri_plugin_clipboard_manager::init())
        .plugin(tauri_plugin_opener::init())
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_updater::Builder::new().build())
        .on_permission_request(permissions::decide)
        .manage(AppState {
            client,
            pending_link: Mutex::new(None),
            link_gate: Default::default(),
            call: Default::default(),
            #[cfg(any(debug_assertions, feature = "bench"))]
            echo: Default::default(),
            update: Default::default(),
            export: Default::default(),
            quitting: Default::default(),
            background: Default::default(),
        })
        .on_window_event(background::on_window_event)
        .setup(|app| {
            links::setup(app)?;
            media_settings::apply(app);
            web_process::reload_when_it_dies(app);
            call_reports::keep_trying(app.state::<AppState>().client.clone());
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::app_info,
            commands::restore_session,
            commands::sign_in,
            commands::register,
            notify::notify_if_away,
            commands::sign_out,
            commands::list_sessions,
            commands::generate_live_code,
            commands::validate_live_code,
            commands::set_server_url,
            commands::allow_http,
            commands::open_logs_folder,
            commands::take_pending_link,
            commands::set_relay_only,
            commands::save_devices,
            background::keep_in_background,
            background::set_tray_muted,
            background::leave_background,
            background::quit_app,
            #[cfg(any(debug_assertions, feature = "bench"))]
            background::tray_view,
            #[cfg(any(debug_assertions, feature = "bench"))]
            background::press_tray,
            call::join_call,
            call::running_call,
            call::reattach_call,
            call::call_send_chat,
            call::call_set_media_state,
            call::call_share_screen,
            call::call_hang_up,
            call_reports::rate_call,
            call_reports::set_share_call_reports,
            call_reports::my_analytics,
            call_reports::session_analytics,
            recordings::call_record,
            recordings::call_answer_recording,
            recordings::call_stop_recording,
            recordings::call_revoke_recording,
            recordings::list_recordings,
            recordings::delete_recording,
            recordings::open_recordings_folder,
            recordings::set_recordings_folder,
            export::read_recording,
            export::export_begin,
            export::export_write,
            export::export_finish,
            updates::check_for_update,
            updates::download_update,
            updates::install_update,
            #[cfg(any(debug_assertions, feature = "bench"))]
            bench::bench_echo_bridge,
            #[cfg(any(debug_assertions, feature = "bench"))]
            bench::bench_echo_ipc,
            #[cfg(any(debug_assertions, feature = "bench"))]
            bench::bench_process_figures,
        ])
        .build(tauri::generate_context!("../tauri.conf.json"));
    let app = match result {
        Ok(app) => app,
        Err(err) => {
            tracing::error!(%err, "the app could not start");
            return;
        }
    };
    app.run(|handle, event| {
        // Quitting during a call hangs up first: the partner hears `left`
        // rather than a timeout, and the call's report is kept.
        if let tauri::RunEvent::ExitRequested { api, .. } = &event {
            let state = handle.state::<AppState>();
            let in_call = state.call.try_lock().map_or(true, |slot| slot.is_some());
            // Once: the exit after the hang-up goes through.
            if in_call
                && !state
                    .quitting
                    .swap(true, std::sync::atomic::Ordering::SeqCst)
            {
                api.prevent_exit();
                let handle = handle.clone();
                tauri::async_runtime::spawn(async move {
                    call::end_current(&handle.state::<AppState>().call).await;
                    handle.exit(0);
                });
            }
        }
    });
}
