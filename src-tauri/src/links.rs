//! `mentorlive://join/CODE` links: from a cold start (the process's
//! arguments), from the OS while running (deep-link plugin), and from a second
//! launch (single-instance plugin). A link only ever opens the pre-join
//! screen; anything else is refused with a message.
//!
//! Any web page can fire a link, as often as it likes. The pre-join screen
//! checks a code with the server before it turns on a camera, and those checks
//! share a budget at the server with the codes the person types; so links may
//! spend only a little of it on their own (`LinkGate`), and past that the
//! screen asks before checking.

use crate::AppState;
use mentorlive_protocol::parse_deep_link;
use serde::Serialize;
use std::collections::VecDeque;
use std::time::{Duration, Instant};
use tauri::{AppHandle, Emitter, Manager};
use tauri_plugin_deep_link::DeepLinkExt;

/// What the UI is told about a link.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum LinkEvent {
    /// Open the pre-join screen for this code; with `check_first`, the
    /// screen asks the person before checking the code with the server.
    #[serde(rename_all = "camelCase")]
    Join { code: String, check_first: bool },
    /// Refuse, with this message.
    Refused { message: String },
}

pub const EVENT: &str = "deep-link";

/// The checks links made on their own within `LinkGate::WINDOW`.
#[derive(Debug, Default)]
pub struct LinkGate {
    checked: VecDeque<Instant>,
    /// The code the last link opened: on screen already, so the same link
    /// again checks nothing (the pre-join screen stays as it is).
    last: Option<(Instant, String)>,
}

impl LinkGate {
    /// Checks links may make without asking, per window: an invitation or two
    /// opened by hand fit, a page firing links in a loop does not. Every link
    /// that opens a code other than the last one counts: alternating two codes
    /// would otherwise check each time.
    pub const AUTO_CHECKS: usize = 3;
    pub const WINDOW: Duration = Duration::from_secs(600);

    /// Whether the pre-join screen may check this code at once.
    pub fn may_check(&mut self, code: &str, now: Instant) -> bool {
        let fresh = |at: &Instant| now.saturating_duration_since(*at) < Self::WINDOW;
        while self.checked.front().is_some_and(|at| !fresh(at)) {
            self.checked.pop_front();
        }
        if self
            .last
            .as_ref()
            .is_some_and(|(at, last)| last == code && fresh(at))
        {
            return true;
        }
        if self.checked.len() >= Self::AUTO_CHECKS {
            return false;
        }
        self.checked.push_back(now);
        self.last = Some((now, code.to_owned()));
        true
    }
}

/// Passes a link to the UI (or keeps it until the UI asks).
pub fn handle(app: &AppHandle, link: &str) {
    let state = app.try_state::<AppState>();
    let event = match parse_deep_link(link) {
        Ok(code) => {
            let code = code.to_string();
            let check_first = !state.as_ref().is_some_and(|state| {
                state
                    .link_gate
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .may_check(&code, Instant::now())
            });
            if check_first {
                tracing::warn!("many links in a short time: the next ones ask before checking");
            }
            LinkEvent::Join { code, check_first }
        }
        Err(err) => {
            tracing::warn!("refused a link that is not an invitation");
            LinkEvent::Refused {
                message: err.to_string(),
            }
        }
    };
    if let Some(state) = state {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_check_a_few_codes_on_their_own_then_ask() {
        let mut gate = LinkGate::default();
        let start = Instant::now();
        assert!(gate.may_check("ABCD2345", start));
        // The same invitation opened again (on screen already) costs nothing.
        for _ in 0..50 {
            assert!(gate.may_check("ABCD2345", start));
        }
        assert!(gate.may_check("BCDE2345", start));
        // Going back to an earlier code is a new check, and the third.
        assert!(gate.may_check("ABCD2345", start));
        assert!(
            !gate.may_check("BCDE2345", start),
            "alternating codes runs out"
        );
        assert!(
            !gate.may_check("DEFG2345", start),
            "and so does any other code"
        );
        assert!(
            gate.may_check("ABCD2345", start),
            "the code on screen still opens"
        );
        assert!(gate.may_check("DEFG2345", start + LinkGate::WINDOW));
    }
}
