//! Which libraries print what they carry when asked for debug or trace
//! logs: WebSocket frames (a CONNECT's token, a join ack's TURN
//! credentials), HTTP headers (`Authorization`), SDP (ICE passwords), Redis
//! commands (rooms). Every binary (the app, the CLI, the server) keeps
//! them at info whatever its filter asks, so `RUST_LOG=trace` or
//! `MENTORLIVE_LOG=trace` leaves no secret in a log.

/// Crate names (log targets start with them).
pub const PAYLOAD_TARGETS: &[&str] = &[
    "tungstenite",
    "tokio_tungstenite",
    "engineioxide",
    "socketioxide",
    "hyper",
    "h2",
    "reqwest",
    "rustls",
    "redis",
    "rtc",
    "webrtc",
    "sqlx",
];

/// Whether events of `target` may carry a payload at debug or trace.
pub fn prints_payloads(target: &str) -> bool {
    let krate = target.split("::").next().unwrap_or(target);
    PAYLOAD_TARGETS
        .iter()
        .any(|t| krate == *t || krate.starts_with(&format!("{t}_")))
}

#[cfg(test)]
mod tests {
    use super::prints_payloads;

    #[test]
    fn the_payload_printers_and_their_sub_crates_are_known_and_ours_are_not() {
        for target in [
            "tungstenite::protocol",
            "engineioxide::engine",
            "socketioxide_redis",
            "rtc_dtls::conn",
            "hyper_util::client",
        ] {
            assert!(prints_payloads(target), "{target}");
        }
        for target in [
            "mentorlive_engine::driver",
            "mentorlive_server",
            "tower_http::trace",
        ] {
            assert!(!prints_payloads(target), "{target}");
        }
    }
}
