//! One error type for every handler, rendered as the contract's error body.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use mentorlive_protocol::{ErrorBody, ErrorCode};

/// An error a handler returns: a status, a stable code and a human message.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: ErrorCode,
    pub message: String,
    /// Seconds to wait, sent as `Retry-After` with 429.
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    /// A shared engine (Redis) is down: try again, nothing was done.
    pub fn unavailable() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::Internal,
            "The service is busy. Please try again in a moment.",
        )
    }

    pub fn invalid_input(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, ErrorCode::InvalidInput, message)
    }

    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::Unauthorized,
            "You are not signed in, or your sign-in has expired. Please sign in again.",
        )
    }

    pub fn not_participant(what: &str) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            ErrorCode::NotParticipant,
            format!("Only the mentor and the learner of this session may {what}."),
        )
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, message)
    }

    pub fn rate_limited(retry_after: u64) -> Self {
        ApiError {
            retry_after: Some(retry_after.max(1)),
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                ErrorCode::RateLimited,
                format!(
                    "Too many attempts. Please wait {} s and try again.",
                    retry_after.max(1)
                ),
            )
        }
    }

    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::Internal,
            "Something went wrong on the server. Please try again.",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response =
            (self.status, Json(ErrorBody::new(self.code, self.message))).into_response();
        if let Some(secs) = self.retry_after {
            if let Ok(value) = HeaderValue::from_str(&secs.to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, value);
            }
        }
        response
    }
}

/// A database failure is never the caller's fault: log it, answer 500.
/// A code refused by the domain rule, as the contract answers it over HTTP.
impl From<crate::live_codes::CodeRefusal> for ApiError {
    fn from(refusal: crate::live_codes::CodeRefusal) -> Self {
        use crate::live_codes::CodeRefusal;
        let status = match &refusal {
            CodeRefusal::Malformed(_) => StatusCode::BAD_REQUEST,
            CodeRefusal::Unknown => StatusCode::NOT_FOUND,
            CodeRefusal::NotParticipant => StatusCode::FORBIDDEN,
            CodeRefusal::Expired(_) => StatusCode::GONE,
            CodeRefusal::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        match refusal {
            // The store's own answer (it knows "try again" from a real fault).
            CodeRefusal::Store(err) => ApiError::from(err),
            other => ApiError::new(status, other.code(), other.to_string()),
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(err: sqlx::Error) -> Self {
        tracing::error!(error = %err, "database error");
        ApiError::internal()
    }
}

pub type ApiResult<T> = Result<T, ApiError>;
