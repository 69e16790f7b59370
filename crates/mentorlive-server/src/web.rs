//! The platform's web client beside the API: the `ui/` bundle built with
//! `--mode web` (`ui/dist-web`), served at `/`. Its pages are the sign-in,
//! the invitation page `/join/CODE`, the downloads page and the call.
//!
//! A release build carries the bundle inside the binary, so a server is one
//! file; a debug build reads the folder at run time (rust-embed's default),
//! so a rebuilt UI needs no rebuilt server. `--web-dir` serves another build
//! and `--no-web` serves none.
//!
//! Every page carries a code in its address (`/join/CODE`), so every answer
//! here says `Referrer-Policy: no-referrer`, and the CSP allows script only
//! from this origin and connections only to it.

use crate::error::ApiError;
use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, Method, Uri};
use axum::response::{IntoResponse, Response};
use std::borrow::Cow;
use std::path::{Component, Path, PathBuf};

/// Where the web client's files come from.
#[derive(Debug, Clone, Default)]
pub enum WebClient {
    /// The bundle built into this binary (or, in a debug build, `ui/dist-web`).
    #[default]
    Embedded,
    /// Another build's folder.
    Dir(PathBuf),
    /// No web client: `/` answers 404 like any unknown address.
    Off,
}

#[derive(rust_embed::RustEmbed)]
// Relative to this crate (rust-embed resolves it from CARGO_MANIFEST_DIR).
#[folder = "../../ui/dist-web"]
#[allow_missing = true]
struct Bundle;

/// The page every client route opens; the UI reads the address itself.
const INDEX: &str = "index.html";

/// The web client's policy. `connect-src 'self'` covers the API and the
/// signaling WebSocket on this origin (CSP 3 counts ws: and wss: of the same
/// host as 'self'); media from the camera and the peer are `blob:` and
/// `mediastream:`; nothing may frame a page.
pub const PAGE_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
img-src 'self' data: blob:; media-src 'self' blob: mediastream:; font-src 'self'; \
connect-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'self'; \
frame-ancestors 'none'";

/// What the API's own answers carry: they are data, never a page.
pub const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'";

/// HSTS for a year, sent only when the request came over https (a TLS
/// proxy in front says so); browsers ignore it over plain http anyway.
const HSTS: &str = "max-age=31536000; includeSubDomains";

impl WebClient {
    /// The file for a path, if this client has one.
    fn file(&self, path: &str) -> Option<Cow<'static, [u8]>> {
        match self {
            WebClient::Embedded => Bundle::get(path).map(|file| file.data),
            WebClient::Dir(dir) => std::fs::read(dir.join(path)).ok().map(Cow::Owned),
            WebClient::Off => None,
        }
    }

    /// Whether there is a client to serve at all.
    pub fn available(&self) -> bool {
        self.file(INDEX).is_some()
    }
}

/// Whether `path` (no leading slash) is one of the client's own pages,
/// answered with the index so that the UI can route it.
fn is_client_route(path: &str) -> bool {
    match path.split_once('/') {
        None => matches!(path, "" | "downloads" | "join" | "sessions" | "settings"),
        // `/join/CODE`: the UI checks the code, and says so when it is bad.
        Some(("join", code)) => !code.is_empty() && !code.contains('/') && code.len() <= 64,
        Some(_) => false,
    }
}

/// A safe relative file path: plain segments only, nothing hidden.
fn relative_file(path: &str) -> Option<&str> {
    let ok = !path.is_empty()
        && path.len() <= 200
        && !path.contains('\\')
        && Path::new(path).components().all(|c| match c {
            Component::Normal(part) => !part.to_string_lossy().starts_with('.'),
            _ => false,
        });
    ok.then_some(path)
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("json" | "map") => "application/json",
        Some("webmanifest") => "application/manifest+json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("woff2") => "font/woff2",
        Some("wasm") => "application/wasm",
        _ => "application/octet-stream",
    }
}

/// Answers a GET or HEAD for a web client page or file; `None` when the
/// address is not the client's (the caller answers 404 in the API's shape).
pub fn serve(client: &WebClient, method: &Method, uri: &Uri) -> Option<Response> {
    if method != Method::GET && method != Method::HEAD {
        return None;
    }
    let path = uri.path().strip_prefix('/').unwrap_or(uri.path());
    let (name, bytes) = if is_client_route(path) {
        (INDEX, client.file(INDEX)?)
    } else {
        let name = relative_file(path)?;
        (name, client.file(name)?)
    };
    // Built assets carry a content hash in their names; the pages do not.
    let cache = if name.starts_with("assets/") {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let body = if method == Method::HEAD {
        Body::empty()
    } else {
        Body::from(bytes.into_owned())
    };
    Some(
        (
            [
                (header::CONTENT_TYPE, content_type(name)),
                (header::CACHE_CONTROL, cache),
            ],
            body,
        )
            .into_response(),
    )
}

/// The fallback: a web client page or file, else the API's 404.
pub async fn fallback(
    axum::extract::State(state): axum::extract::State<crate::state::AppState>,
    method: Method,
    uri: Uri,
) -> Response {
    // A file read (from the folder, or from disk in a debug build) blocks.
    let settings = state.settings.clone();
    let served = tokio::task::spawn_blocking(move || serve(&settings.web, &method, &uri))
        .await
        .ok()
        .flatten();
    served
        .unwrap_or_else(|| ApiError::not_found("There is nothing at this address.").into_response())
}

/// The security headers of every answer: a page's policy for the web
/// client's files, a data-only policy for everything else.
pub async fn security_headers(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let over_https = forwarded_https(request.headers());
    let mut response = next.run(request).await;
    let is_page = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let headers = response.headers_mut();
    let csp = if is_page { PAGE_CSP } else { API_CSP };
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(csp),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        "permissions-policy",
        HeaderValue::from_static(
            "camera=(self), microphone=(self), display-capture=(self), geolocation=()",
        ),
    );
    if over_https {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        );
    }
    response
}

fn forwarded_https(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

/// The web client's line in the start-up log.
pub fn describe(client: &WebClient) -> String {
    match client {
        WebClient::Off => "off".into(),
        WebClient::Dir(dir) if client.available() => format!("from {}", dir.display()),
        WebClient::Dir(dir) => format!("missing: no index.html in {}", dir.display()),
        WebClient::Embedded if client.available() => "built in".into(),
        WebClient::Embedded => {
            "not built (run scripts/build-ui.sh, then rebuild the server)".into()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_clients_own_pages_open_the_index() {
        for page in ["", "join", "downloads", "join/ABCD-EFGH", "join/abcdefgh"] {
            assert!(is_client_route(page), "{page:?}");
        }
        for other in ["api", "join/A/B", "joinx", "nothing", "join/"] {
            assert!(!is_client_route(other), "{other:?}");
        }
    }

    #[test]
    fn no_path_escapes_the_bundle() {
        assert_eq!(relative_file("assets/app.js"), Some("assets/app.js"));
        for bad in [
            "../etc/passwd",
            "assets/../../x",
            "/etc/passwd",
            ".env",
            "assets/.hidden",
            "a\\b",
            "",
        ] {
            assert_eq!(relative_file(bad), None, "{bad:?}");
        }
    }
}
