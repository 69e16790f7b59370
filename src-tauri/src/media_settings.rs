//! WebKitGTK settings for capture: media streams on, and (only when a test
//! asks, through `MENTORLIVE_MOCK_CAPTURE=1`) WebKit's mock camera and
//! microphone instead of real devices.

use tauri::{App, Manager};

/// The test-only switch. Logged loudly, so it is never on by accident.
pub const MOCK_CAPTURE_ENV: &str = "MENTORLIVE_MOCK_CAPTURE";

pub fn apply(app: &App) {
    let mock = std::env::var(MOCK_CAPTURE_ENV).is_ok_and(|v| v == "1");
    if mock {
        tracing::warn!("mock capture devices are on ({MOCK_CAPTURE_ENV}=1): tests only");
    }
    let Some(window) = app.get_webview_window("main") else {
        return;
    };
    let result = window.with_webview(move |webview| {
        #[cfg(target_os = "linux")]
        {
            use webkit2gtk::{SettingsExt, WebViewExt};
            if let Some(settings) = WebViewExt::settings(&webview.inner()) {
                settings.set_enable_media_stream(true);
                settings.set_enable_webaudio(true);
                if mock {
                    settings.set_enable_mock_capture_devices(true);
                }
            }
        }
        #[cfg(not(target_os = "linux"))]
        let _ = (webview, mock);
    });
    if let Err(err) = result {
        tracing::warn!(%err, "could not apply the capture settings");
    }
}
