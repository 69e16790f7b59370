//! A typed client for the platform's REST API (`shared/protocol.md`).
//!
//! Every front end (the desktop app, `mentorlive-cli`, the tests) calls the
//! server through this crate. Errors keep the server's stable `code` and
//! human `message`; nothing here panics on what a server sends.

use mentorlive_protocol::{
    AuthResponse, CreateSessionRequest, ErrorBody, ErrorCode, GenerateLiveCodeRequest, LiveCode,
    LiveCodeInfo, LoginRequest, RegisterRequest, Session, SessionList, User,
    ValidateLiveCodeResponse,
};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::time::Duration;
use url::Url;

/// Why a call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// The server answered with the contract's error body.
    #[error("{message}")]
    Server {
        status: u16,
        code: ErrorCode,
        message: String,
    },
    /// The input was refused before anything was sent (e.g. a malformed code).
    #[error("{message}")]
    Refused { code: ErrorCode, message: String },
    #[error("The server address {0:?} is not a valid http(s) URL.")]
    InvalidServerUrl(String),
    /// Plain http to a server that is not this machine: a password and a
    /// token would cross the network readable by anyone on the way.
    #[error("{0} uses plain http: your password and sign-in would cross the network unencrypted. Use its https address, or confirm that you accept the risk.")]
    InsecureServer(String),
    #[error("This needs you to be signed in.")]
    NotSignedIn,
    #[error("Could not reach the server: {0}")]
    Network(String),
    #[error("The server did not answer in time.")]
    Timeout,
    /// The server answered something that is not the contract.
    #[error("The server sent an unexpected answer (HTTP {status}): {detail}")]
    UnexpectedResponse { status: u16, detail: String },
}

impl ApiError {
    /// A stable snake_case code for every error, for UIs and scripts.
    pub fn code(&self) -> &str {
        match self {
            ApiError::Server { code, .. } | ApiError::Refused { code, .. } => code.as_str(),
            ApiError::InvalidServerUrl(_) => "invalid_server_url",
            ApiError::InsecureServer(_) => "insecure_server",
            ApiError::NotSignedIn => "unauthorized",
            ApiError::Network(_) => "network",
            ApiError::Timeout => "timeout",
            ApiError::UnexpectedResponse { .. } => "unexpected_response",
        }
    }

    /// The contract's code, when the server (or the local check) gave one.
    pub fn error_code(&self) -> Option<ErrorCode> {
        match self {
            ApiError::Server { code, .. } | ApiError::Refused { code, .. } => Some(*code),
            ApiError::NotSignedIn => Some(ErrorCode::Unauthorized),
            _ => None,
        }
    }

    /// True when the token is no longer good and the user must sign in again.
    pub fn is_unauthorized(&self) -> bool {
        self.error_code() == Some(ErrorCode::Unauthorized)
    }

    fn from_reqwest(err: reqwest::Error) -> ApiError {
        if err.is_timeout() {
            ApiError::Timeout
        } else {
            // Without the URL: it may carry a live code.
            ApiError::Network(err.without_url().to_string())
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// Whether a generate call made a new code or returned the one still valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Generated {
    New,
    Existing,
}

/// A client bound to one server, optionally signed in.
#[derive(Clone)]
pub struct ApiClient {
    http: reqwest::Client,
    /// Always ends in `/api/`, so joins append.
    api_base: Url,
    token: Option<String>,
}

impl std::fmt::Debug for ApiClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiClient")
            .field("api_base", &self.api_base.as_str())
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// Checks and normalises a server address typed by a person: an http(s) URL
/// with a host, no query or fragment, without a trailing slash.
pub fn normalise_server_url(server: &str) -> ApiResult<Url> {
    let invalid = || ApiError::InvalidServerUrl(server.to_owned());
    let mut url = Url::parse(server.trim()).map_err(|_| invalid())?;
    if !matches!(url.scheme(), "http" | "https")
        || url.host_str().is_none()
        || url.query().is_some()
        || url.fragment().is_some()
        || !url.username().is_empty()
    {
        return Err(invalid());
    }
    let path = url.path().trim_end_matches('/').to_owned();
    url.set_path(&path);
    Ok(url)
}

/// Whether `url` is this machine (`localhost`, 127.0.0.0/8, `::1`): plain
/// http there crosses no network.
pub fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

impl ApiClient {
    /// A client for `server` (e.g. `https://live.example.com`), not signed
    /// in. Plain http only for this machine: anything else is refused with
    /// [`ApiError::InsecureServer`] unless the person accepted the risk
    /// ([`ApiClient::new_allowing_http`]).
    pub fn new(server: &str) -> ApiResult<ApiClient> {
        let url = normalise_server_url(server)?;
        if url.scheme() == "http" && !is_loopback(&url) {
            return Err(ApiError::InsecureServer(
                url.as_str().trim_end_matches('/').to_owned(),
            ));
        }
        Self::new_allowing_http(server)
    }

    /// Like [`ApiClient::new`], plain http allowed to any server: only
    /// after the person said they accept it (the app's confirmation, the
    /// CLI's `--allow-http`).
    pub fn new_allowing_http(server: &str) -> ApiResult<ApiClient> {
        let server = normalise_server_url(server)?;
        let api_base = Url::parse(&format!("{}/api/", server.as_str().trim_end_matches('/')))
            .map_err(|_| ApiError::InvalidServerUrl(server.to_string()))?;
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(15))
            .user_agent(concat!("mentorlive/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(ApiError::from_reqwest)?;
        Ok(ApiClient {
            http,
            api_base,
            token: None,
        })
    }

    /// The same client, signed in with `token`.
    pub fn with_token(mut self, token: impl Into<String>) -> ApiClient {
        self.token = Some(token.into());
        self
    }

    pub fn set_token(&mut self, token: Option<String>) {
        self.token = token;
    }

    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// The server's base URL, without `/api`.
    pub fn server_url(&self) -> String {
        self.api_base
            .as_str()
            .trim_end_matches('/')
            .trim_end_matches("/api")
            .to_owned()
    }

    async fn call<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&B>,
        auth: bool,
    ) -> ApiResult<(StatusCode, T)> {
        let url = self
            .api_base
            .join(path)
            .map_err(|_| ApiError::InvalidServerUrl(self.api_base.to_string()))?;
        let mut request = self.http.request(method, url);
        if auth {
            let token = self.token.as_deref().ok_or(ApiError::NotSignedIn)?;
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.map_err(ApiError::from_reqwest)?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(ApiError::from_reqwest)?;
        if status.is_success() {
            return serde_json::from_slice(&bytes)
                .map(|value| (status, value))
                .map_err(|err| ApiError::UnexpectedResponse {
                    status: status.as_u16(),
                    detail: err.to_string(),
                });
        }
        match serde_json::from_slice::<ErrorBody>(&bytes) {
            Ok(body) => Err(ApiError::Server {
                status: status.as_u16(),
                code: body.error.code,
                message: body.error.message,
            }),
            Err(_) => Err(ApiError::UnexpectedResponse {
                status: status.as_u16(),
                detail: String::from_utf8_lossy(&bytes[..bytes.len().min(200)]).into_owned(),
            }),
        }
    }

    pub async fn register(&self, request: &RegisterRequest) -> ApiResult<AuthResponse> {
        self.call(Method::POST, "auth/register", Some(request), false)
            .await
            .map(|(_, v)| v)
    }

    pub async fn login(&self, email: &str, password: &str) -> ApiResult<AuthResponse> {
        let body = LoginRequest {
            email: email.to_owned(),
            password: password.to_owned(),
        };
        self.call(Method::POST, "auth/login", Some(&body), false)
            .await
            .map(|(_, v)| v)
    }

    pub async fn me(&self) -> ApiResult<User> {
        self.call::<(), _>(Method::GET, "auth/me", None, true)
            .await
            .map(|(_, v)| v)
    }

    /// Revokes the token on the server. The caller also forgets it locally.
    pub async fn logout(&self) -> ApiResult<()> {
        let url = self
            .api_base
            .join("auth/logout")
            .map_err(|_| ApiError::InvalidServerUrl(self.api_base.to_string()))?;
        let token = self.token.as_deref().ok_or(ApiError::NotSignedIn)?;
        let response = self
            .http
            .post(url)
            .bearer_auth(token)
            .send()
            .await
            .map_err(ApiError::from_reqwest)?;
        match response.status() {
            s if s.is_success() || s == StatusCode::UNAUTHORIZED => Ok(()),
            s => Err(ApiError::UnexpectedResponse {
                status: s.as_u16(),
                detail: "logout refused".into(),
            }),
        }
    }

    /// Every session of the caller, soonest first, following the server's
    /// pages (at most 20 of them: 2,000 sessions).
    pub async fn list_sessions(&self) -> ApiResult<Vec<Session>> {
        let mut all = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..20 {
            let path = match &cursor {
                Some(cursor) => format!("sessions?cursor={}", path_segment(cursor)),
                None => "sessions".to_owned(),
            };
            let page: SessionList = self
                .call::<(), SessionList>(Method::GET, &path, None, true)
                .await?
                .1;
            all.extend(page.sessions);
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        Ok(all)
    }

    pub async fn get_session(&self, id: &str) -> ApiResult<Session> {
        let path = format!("sessions/{}", path_segment(id));
        self.call::<(), _>(Method::GET, &path, None, true)
            .await
            .map(|(_, v)| v)
    }

    pub async fn create_session(&self, request: &CreateSessionRequest) -> ApiResult<Session> {
        self.call(Method::POST, "sessions", Some(request), true)
            .await
            .map(|(_, v)| v)
    }

    /// Makes a live code for the session, or returns its code still valid.
    pub async fn generate_live_code(
        &self,
        session_id: &str,
    ) -> ApiResult<(LiveCodeInfo, Generated)> {
        let body = GenerateLiveCodeRequest {
            session_id: session_id.to_owned(),
        };
        let (status, info) = self
            .call(
                Method::POST,
                "sessions/generate-live-code",
                Some(&body),
                true,
            )
            .await?;
        let generated = if status == StatusCode::CREATED {
            Generated::New
        } else {
            Generated::Existing
        };
        Ok((info, generated))
    }

    /// Checks a code as a person typed it. A code that cannot be valid is
    /// refused here, without a request.
    pub async fn validate_live_code(&self, input: &str) -> ApiResult<ValidateLiveCodeResponse> {
        let code = LiveCode::parse(input).map_err(|err| ApiError::Refused {
            code: ErrorCode::MalformedCode,
            message: err.to_string(),
        })?;
        let path = format!("sessions/validate-live-code/{code}");
        self.call::<(), _>(Method::GET, &path, None, true)
            .await
            .map(|(_, v)| v)
    }

    /// Sends a call report for the session; the same `peerId` again
    /// replaces the earlier one.
    pub async fn send_call_report(
        &self,
        session_id: &str,
        report: &mentorlive_protocol::analytics::CallReport,
    ) -> ApiResult<mentorlive_protocol::analytics::CallReportStored> {
        let path = format!("sessions/{}/call-reports", path_segment(session_id));
        self.call(Method::POST, &path, Some(report), true)
            .await
            .map(|(_, v)| v)
    }

    /// The caller's own calls in `[from, to)` (the server's default range
    /// when `None`).
    pub async fn my_analytics(
        &self,
        from: Option<time::OffsetDateTime>,
        to: Option<time::OffsetDateTime>,
    ) -> ApiResult<mentorlive_protocol::analytics::MyAnalytics> {
        use time::format_description::well_known::Rfc3339;
        // Built apart: the serializer is not `Send`, and this future must be.
        let query = {
            let mut query = url::form_urlencoded::Serializer::new(String::new());
            for (name, at) in [("from", from), ("to", to)] {
                if let Some(at) = at.and_then(|t| t.format(&Rfc3339).ok()) {
                    query.append_pair(name, &at);
                }
            }
            query.finish()
        };
        let path = if query.is_empty() {
            "analytics/me".to_owned()
        } else {
            format!("analytics/me?{query}")
        };
        self.call::<(), _>(Method::GET, &path, None, true)
            .await
            .map(|(_, v)| v)
    }

    /// A session's calls with both sides' reports.
    pub async fn session_analytics(
        &self,
        session_id: &str,
    ) -> ApiResult<mentorlive_protocol::analytics::SessionAnalytics> {
        let path = format!("sessions/{}/analytics", path_segment(session_id));
        self.call::<(), _>(Method::GET, &path, None, true)
            .await
            .map(|(_, v)| v)
    }
}

/// Percent-encodes an id for use as one path segment.
fn path_segment(raw: &str) -> String {
    url::form_urlencoded::byte_serialize(raw.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

#[cfg(test)]
mod tests {
    #[test]
    fn plain_http_goes_only_to_this_machine_unless_accepted() {
        for local in [
            "http://127.0.0.1:8787",
            "http://127.3.4.5",
            "http://localhost:8787",
            "http://[::1]:8787",
            "https://live.example.com",
        ] {
            assert!(ApiClient::new(local).is_ok(), "{local}");
        }
        for remote in [
            "http://live.example.com",
            "http://192.168.1.20:8787",
            "http://[2001:db8::1]",
        ] {
            let err = ApiClient::new(remote).expect_err(remote);
            assert_eq!(err.code(), "insecure_server", "{remote}");
            assert!(err.to_string().contains("unencrypted"), "{err}");
            assert!(
                ApiClient::new_allowing_http(remote).is_ok(),
                "{remote} once accepted"
            );
        }
    }

    use super::*;

    #[test]
    fn server_urls_are_checked_and_normalised() {
        let url = normalise_server_url(" http://127.0.0.1:8787/ ").expect("valid");
        assert_eq!(url.as_str(), "http://127.0.0.1:8787/");
        assert_eq!(
            normalise_server_url("https://example.com/base/")
                .expect("valid")
                .as_str(),
            "https://example.com/base"
        );
        for bad in [
            "",
            "ftp://x",
            "localhost:8787",
            "http://",
            "http://h/?q=1",
            "http://u:p@h/",
        ] {
            assert!(normalise_server_url(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn api_base_keeps_a_path_prefix() {
        let client = ApiClient::new("https://example.com/platform/").expect("valid");
        assert_eq!(
            client.api_base.as_str(),
            "https://example.com/platform/api/"
        );
        assert_eq!(client.server_url(), "https://example.com/platform");
    }

    #[test]
    fn debug_output_never_shows_the_token() {
        let client = ApiClient::new("http://localhost")
            .expect("valid")
            .with_token("s3cret-token");
        assert!(!format!("{client:?}").contains("s3cret"));
    }

    #[test]
    fn ids_cannot_escape_their_path_segment() {
        assert_eq!(path_segment("../auth/me"), "..%2Fauth%2Fme");
    }
}
