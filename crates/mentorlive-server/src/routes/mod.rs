pub mod analytics;
pub mod auth;
pub mod sessions;
pub mod updates;

use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;

/// For load balancers: 200 while this node can reach its database (and Redis
/// on a cluster), 503 otherwise.
pub async fn health(State(state): State<AppState>) -> (StatusCode, Json<serde_json::Value>) {
    let database = state.store.ping().await;
    let redis = match &state.cluster {
        Some(cluster) => Some(cluster.ping().await),
        None => None,
    };
    let ok = database && redis.unwrap_or(true);
    let status = if ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(serde_json::json!({"ok": ok, "database": database, "redis": redis})),
    )
}
