//! WebKitGTK settings for the call: media streams on; compositing in
//! software when there is no GPU; and (only when a test asks, through
//! `MENTORLIVE_MOCK_CAPTURE=1`) WebKit's mock camera and microphone.

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
                if !has_gpu() {
                    // Accelerated compositing without a GPU runs on a
                    // software GL (llvmpipe): measured here, a camera
                    // preview cost 107 CPU s/min that way and 40 without.
                    settings.set_hardware_acceleration_policy(
                        webkit2gtk::HardwareAccelerationPolicy::Never,
                    );
                }
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

/// A DRM render node is what a hardware GL driver renders through.
#[cfg(target_os = "linux")]
fn has_gpu() -> bool {
    std::fs::read_dir("/dev/dri").is_ok_and(|entries| {
        entries
            .flatten()
            .any(|e| e.file_name().to_string_lossy().starts_with("renderD"))
    })
}
