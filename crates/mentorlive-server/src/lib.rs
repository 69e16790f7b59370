//! The reference sessions server: the platform's contract (`shared/protocol.md`)
//! on axum, with SQLite by default.

pub mod analytics;
pub mod auth;
pub mod backup;
pub mod cluster;
pub mod config;
pub mod db;
pub mod error;
pub mod extract;
pub mod live_codes;
pub mod metrics;
pub mod openapi;
pub mod rate_limit;
pub mod routes;
pub mod seed;
pub mod signaling;
pub mod state;
pub mod store;
pub mod web;

use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use error::ApiError;
use mentorlive_protocol::ErrorCode;
use state::AppState;
use std::time::Duration;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;

/// Unix seconds now.
pub fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// Request bodies are small JSON objects; anything bigger is refused early.
const BODY_LIMIT: usize = 64 * 1024;

/// The REST API and, on the same app and port, Socket.IO signaling.
pub async fn router(state: AppState) -> anyhow::Result<Router> {
    use routes::{analytics, auth, sessions, updates};
    let api = Router::new()
        .route("/auth/register", post(auth::register))
        .route("/auth/login", post(auth::login))
        .route("/auth/me", get(auth::me))
        .route("/auth/logout", post(auth::logout))
        .route("/sessions", get(sessions::list).post(sessions::create))
        .route(
            "/sessions/generate-live-code",
            post(sessions::generate_live_code),
        )
        .route(
            "/sessions/validate-live-code/{code}",
            get(sessions::validate_live_code),
        )
        .route("/sessions/{id}", get(sessions::get))
        .route(
            "/sessions/{id}/call-reports",
            post(analytics::post_call_report)
                .layer(DefaultBodyLimit::max(analytics::REPORT_BODY_LIMIT)),
        )
        .route("/sessions/{id}/analytics", get(analytics::session))
        .route("/analytics/me", get(analytics::me))
        .route(
            "/updates/{target}/{arch}/{current_version}",
            get(updates::check),
        )
        .route("/updates/files/{name}", get(updates::file))
        .route("/downloads", get(updates::downloads))
        .route("/health", get(routes::health))
        .route(
            "/openapi.json",
            get(|| async { Json(openapi::ApiDoc::openapi()) }),
        );
    let router = Router::new()
        .nest("/api", api)
        .fallback(web::fallback)
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                ErrorCode::MethodNotAllowed,
                "This address does not accept that method.",
            )
        })
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn(metrics::track_requests))
        .layer(axum::middleware::from_fn(web::security_headers))
        .layer(CatchPanicLayer::custom(|_| {
            ApiError::internal().into_response()
        }))
        .layer(
            // Spans name the route template, never the raw path: paths carry
            // live codes, and headers (never logged) carry tokens.
            TraceLayer::new_for_http().make_span_with(|req: &Request| {
                let route = req
                    .extensions()
                    .get::<MatchedPath>()
                    .map(MatchedPath::as_str)
                    .unwrap_or("unmatched");
                tracing::info_span!("http", method = %req.method(), route)
            }),
        )
        .with_state(state.clone());
    signaling::attach(router, state).await
}

/// Serves until `shutdown` resolves, then finishes in-flight requests and
/// closes the database (a WAL checkpoint for SQLite).
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let pool = state.store.pool().clone();
    let maintenance = tokio::spawn(maintenance(state.clone()));
    let app = router(state)
        .await
        .map_err(std::io::Error::other)?
        .into_make_service_with_connect_info::<std::net::SocketAddr>();
    // Signaling is small messages in bursts (`live:peer-joined`, then the
    // offer): with Nagle's algorithm the second waits for the first one's
    // ACK, which the client delays by 40 ms. Measured in the join timeline
    // (docs/performance.md): the partner heard of the joiner 40 ms late.
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp: &mut tokio::net::TcpStream| {
        if let Err(err) = tcp.set_nodelay(true) {
            tracing::debug!(%err, "could not turn Nagle's algorithm off");
        }
    });
    let result = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await;
    maintenance.abort();
    pool.close().await;
    result
}

/// Periodic housekeeping: expired tokens out of the database, idle rate-limit
/// buckets out of memory, and (hourly) analytics past their retention.
async fn maintenance(state: AppState) {
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    let keep = Duration::from_secs(u64::from(state.settings.analytics_retention_days) * 86_400);
    for minute in 0u64.. {
        tick.tick().await;
        state.limiter.prune();
        if let Err(err) = state.store.delete_expired_tokens(now()).await {
            tracing::warn!(error = %err, "could not delete expired tokens");
        }
        if minute % 60 == 0 {
            match analytics::retention::prune(&state.store, keep, analytics::now_ms()).await {
                Ok(0) => {}
                Ok(gone) => tracing::info!(gone, "analytics past their retention deleted"),
                Err(err) => tracing::warn!(error = %err, "could not prune analytics"),
            }
        }
    }
}
