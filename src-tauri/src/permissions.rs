//! Camera, microphone and screen capture (the system's own picker still
//! asks the person which screen or window) go to the app's own pages and
//! nobody else; every other permission (location, notifications, …) is
//! refused outright.

use tauri::webview::{PermissionKind, PermissionResponse};
use tauri::{Runtime, Webview};

/// The app's own origin: `tauri://localhost` (Linux, macOS) or
/// `http(s)://tauri.localhost` (Windows).
pub fn is_app_origin(url: &url::Url) -> bool {
    match url.scheme() {
        "tauri" => url.host_str() == Some("localhost"),
        "http" | "https" => url.host_str() == Some("tauri.localhost"),
        _ => false,
    }
}

pub fn decide<R: Runtime>(webview: Webview<R>, kind: PermissionKind) -> PermissionResponse {
    let own = webview.url().map(|u| is_app_origin(&u)).unwrap_or(false);
    match kind {
        PermissionKind::Camera | PermissionKind::Microphone | PermissionKind::DisplayCapture
            if own =>
        {
            PermissionResponse::Allow
        }
        _ => {
            tracing::warn!(?kind, own, "permission refused");
            PermissionResponse::Deny
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_app_origin;

    #[test]
    fn only_the_apps_own_pages_count() {
        for own in [
            "tauri://localhost/",
            "tauri://localhost/index.html",
            "http://tauri.localhost/",
            "https://tauri.localhost/x",
        ] {
            assert!(is_app_origin(&own.parse().expect("url")), "{own}");
        }
        for other in [
            "https://example.com/",
            "http://localhost:1420/",
            "tauri://evil/",
            "http://tauri.localhost.evil.com/",
            "file:///tmp/x.html",
        ] {
            assert!(!is_app_origin(&other.parse().expect("url")), "{other}");
        }
    }
}
