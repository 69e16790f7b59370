//! The webview's web process may crash or be killed (WebKit's
//! `web-process-terminated`). The call lives in the engine, not the page, so
//! the page is loaded again and attaches to the call still running
//! (`call::reattach_call`): the partner sees at most a short freeze. A page
//! that keeps dying is not reloaded forever: three times a minute at most.
//!
//! A reload that never finishes gets a fresh web process the same way. In
//! about one reload in six of a page in a call (WebKitGTK 2.50, `location
//! .reload()` or WebDriver's Refresh), the old page never went and the new
//! one never loaded, while a killed web process always came back.

use tauri::{App, Manager};

const RELOADS_PER_MINUTE: usize = 3;

/// A reload not finished this long after it started is taken for stuck. The
/// page loads in well under a second here; only loads after the first are
/// watched, so a slow start never counts.
#[cfg(target_os = "linux")]
const RELOAD_STUCK_AFTER: std::time::Duration = std::time::Duration::from_secs(8);

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
        #[cfg(target_os = "linux")]
        watch_reloads(&webview.inner());
        #[cfg(not(target_os = "linux"))]
        let _ = webview;
    });
    if let Err(err) = result {
        tracing::warn!(%err, "could not watch the web process");
    }
}

/// Ends the web process of a reload that does not finish: the handler above
/// then loads the page again in a fresh one.
#[cfg(target_os = "linux")]
fn watch_reloads(view: &webkit2gtk::WebView) {
    use std::cell::Cell;
    use std::rc::Rc;
    use webkit2gtk::glib::object::ObjectExt;
    use webkit2gtk::{LoadEvent, WebViewExt};
    // Loads started, and the latest one finished, counted.
    let started = Rc::new(Cell::new(0u64));
    let finished = Rc::new(Cell::new(0u64));
    view.connect_load_changed(move |view, event| match event {
        LoadEvent::Started => {
            let load = started.get() + 1;
            started.set(load);
            if finished.get() == 0 {
                return; // the first load
            }
            let view = view.downgrade();
            let finished = finished.clone();
            webkit2gtk::glib::timeout_add_local_once(RELOAD_STUCK_AFTER, move || {
                let Some(view) = view.upgrade() else { return };
                if finished.get() < load {
                    tracing::warn!(
                        "the page has not loaded {RELOAD_STUCK_AFTER:?} after a reload; \
                         starting it in a fresh web process"
                    );
                    view.terminate_web_process();
                }
            });
        }
        LoadEvent::Finished => finished.set(started.get()),
        _ => {}
    });
}
