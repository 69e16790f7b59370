//! The webview's web process may crash or be killed (WebKit's
//! `web-process-terminated`). The call lives in the engine, not the page, so
//! the page is loaded again and attaches to the call still running
//! (`call::reattach_call`): the partner sees at most a short freeze. A page
//! that keeps dying is not reloaded forever: three times a minute at most.

use tauri::{App, Manager};

const RELOADS_PER_MINUTE: usize = 3;

pub fn reload_when_it_dies(app: &App) {
    let Some(window) = app.get_webview_window("main") else {
        return;
    };
    let result = window.with_webview(|webview| {
        #[cfg(target_os = "linux")]
        {
            use std::time::{Duration, Instant};
            use webkit2gtk::WebViewExt;
            let recent = std::cell::RefCell::new(Vec::<Instant>::new());
            webview
                .inner()
                .connect_web_process_terminated(move |view, reason| {
                    let mut recent = recent.borrow_mut();
                    recent.retain(|at| at.elapsed() < Duration::from_secs(60));
                    if recent.len() >= RELOADS_PER_MINUTE {
                        tracing::error!(
                            ?reason,
                            "the page's web process keeps ending; not reloading it again"
                        );
                        return;
                    }
                    recent.push(Instant::now());
                    tracing::warn!(
                        ?reason,
                        "the page's web process ended; loading the page again"
                    );
                    view.reload();
                });
        }
        #[cfg(not(target_os = "linux"))]
        let _ = webview;
    });
    if let Err(err) = result {
        tracing::warn!(%err, "could not watch the web process");
    }
}
