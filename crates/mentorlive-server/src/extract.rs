//! Extractors whose rejections speak the contract's error shape instead of
//! axum's plain-text defaults.

use crate::error::ApiError;
use axum::extract::rejection::{JsonRejection, PathRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::StatusCode;
use mentorlive_protocol::ErrorCode;
use serde::de::DeserializeOwned;

/// `Json<T>` that answers 400 `invalid_input` (or 413) with a readable message.
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

pub(crate) fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::PayloadTooLarge,
        "The request body is too large.",
    )
}

pub(crate) fn json_rejection(rejection: JsonRejection) -> ApiError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        return too_large();
    }
    let detail = match &rejection {
        JsonRejection::MissingJsonContentType(_) => {
            "Send the body as JSON with Content-Type: application/json.".to_owned()
        }
        JsonRejection::JsonSyntaxError(_) => "The body is not valid JSON.".to_owned(),
        JsonRejection::JsonDataError(err) => {
            // serde's message names the field and what was wrong with it.
            format!(
                "The body does not have the expected fields: {}",
                err.body_text().trim_start_matches(
                    "Failed to deserialize the JSON body into the target type: "
                )
            )
        }
        other => other.body_text(),
    };
    ApiError::invalid_input(detail)
}

/// `Path<T>` that answers 400 `invalid_input` when a segment does not parse.
pub struct ApiPath<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let value = axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(value)| ApiPath(value))
            .map_err(|rejection: PathRejection| ApiError::invalid_input(rejection.body_text()))?;
        // Nothing is named with a NUL (and PostgreSQL cannot even look one up).
        if parts.uri.path().contains("%00") {
            return Err(ApiError::not_found("There is nothing at this address."));
        }
        Ok(value)
    }
}

/// The client's IP address, for per-address limits. Behind a load balancer
/// every connection comes from the balancer; when the TCP peer is one of
/// `--trusted-proxy`, the address it appended to `X-Forwarded-For` counts
/// instead (only the last entry: earlier ones are the client's to forge).
///
/// The extractor gives the key per-address limits count under
/// ([`crate::rate_limit::address_key`]): an IPv4 address, or the IPv6
/// network (a /64 by default) that one subscriber is given whole.
pub struct ClientAddress(pub String);

pub fn client_ip(parts: &Parts, trusted_proxies: &[std::net::IpAddr]) -> Option<std::net::IpAddr> {
    let peer = parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()?
        .0
        .ip();
    if !trusted_proxies.contains(&peer) {
        return Some(peer);
    }
    let forwarded = parts
        .headers
        .get_all("x-forwarded-for")
        .iter()
        .next_back()
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.rsplit(',').next())
        .and_then(|ip| ip.trim().parse().ok());
    Some(forwarded.unwrap_or(peer))
}

impl FromRequestParts<crate::state::AppState> for ClientAddress {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &crate::state::AppState,
    ) -> Result<Self, Self::Rejection> {
        client_ip(parts, &state.settings.trusted_proxies)
            .map(|ip| {
                ClientAddress(crate::rate_limit::address_key(
                    ip,
                    state.settings.ipv6_limit_prefix,
                ))
            })
            .ok_or_else(ApiError::internal)
    }
}

#[cfg(test)]
mod tests {
    use super::client_ip;
    use std::net::{IpAddr, SocketAddr};

    fn parts(peer: &str, forwarded: Option<&str>) -> axum::http::request::Parts {
        let mut request = axum::http::Request::builder().uri("/");
        if let Some(f) = forwarded {
            request = request.header("x-forwarded-for", f);
        }
        let (mut parts, ()) = request.body(()).expect("request").into_parts();
        let peer: SocketAddr = peer.parse().expect("addr");
        parts.extensions.insert(axum::extract::ConnectInfo(peer));
        parts
    }

    #[test]
    fn only_a_trusted_proxy_may_name_the_client() {
        let proxy: IpAddr = "10.0.0.1".parse().expect("ip");
        let ip = |s: &str| s.parse::<IpAddr>().expect("ip");
        // Straight from a client: its own address, whatever it claims.
        let direct = parts("203.0.113.9:5000", Some("198.51.100.1"));
        assert_eq!(client_ip(&direct, &[proxy]), Some(ip("203.0.113.9")));
        // Through the proxy: the address the proxy appended (the last),
        // not what the client put in front of it.
        let proxied = parts("10.0.0.1:5000", Some("198.51.100.1, 203.0.113.9"));
        assert_eq!(client_ip(&proxied, &[proxy]), Some(ip("203.0.113.9")));
        let garbage = parts("10.0.0.1:5000", Some("not-an-ip"));
        assert_eq!(client_ip(&garbage, &[proxy]), Some(proxy));
    }
}
