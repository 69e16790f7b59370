//! ICE servers for the join ack: STUN URLs as configured, and TURN with
//! time-limited credentials from a shared secret (coturn's `use-auth-secret`,
//! the "TURN REST API" scheme): username `EXPIRY:USER`, password
//! base64(HMAC-SHA1(secret, username)).

use base64::Engine;
use hmac::{Hmac, Mac};
use mentorlive_protocol::signaling::IceServer;
use sha1::Sha1;
use std::time::Duration;

#[derive(Clone, Default)]
pub struct IceConfig {
    pub stun_urls: Vec<String>,
    pub turn_urls: Vec<String>,
    pub turn_secret: Option<String>,
    pub turn_credential_ttl: Duration,
}

impl std::fmt::Debug for IceConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IceConfig")
            .field("stun_urls", &self.stun_urls)
            .field("turn_urls", &self.turn_urls)
            .field(
                "turn_secret",
                &self.turn_secret.as_ref().map(|_| "<redacted>"),
            )
            .field("turn_credential_ttl", &self.turn_credential_ttl)
            .finish()
    }
}

/// How long past a session's scheduled length its TURN credentials last:
/// sessions overrun, and a credential that expires mid-call ends the
/// relayed call (coturn refuses the allocation's next refresh).
pub const SESSION_MARGIN: Duration = Duration::from_secs(2 * 3600);

impl IceConfig {
    /// The ICE servers for `user_id` joining a session of `session_minutes`
    /// at `now`: TURN credentials last the session and the margin, never
    /// longer than the configured TTL.
    pub fn servers_for(&self, user_id: &str, now: i64, session_minutes: i64) -> Vec<IceServer> {
        let mut servers = Vec::new();
        if !self.stun_urls.is_empty() {
            servers.push(IceServer {
                urls: self.stun_urls.clone(),
                username: None,
                credential: None,
            });
        }
        if let (false, Some(secret)) = (self.turn_urls.is_empty(), &self.turn_secret) {
            let session = session_minutes.max(0) * 60 + SESSION_MARGIN.as_secs() as i64;
            let expiry = now + session.min(self.turn_credential_ttl.as_secs() as i64);
            let username = format!("{expiry}:{user_id}");
            servers.push(IceServer {
                urls: self.turn_urls.clone(),
                credential: Some(turn_password(secret, &username)),
                username: Some(username),
            });
        }
        servers
    }
}

/// base64(HMAC-SHA1(secret, username)), as coturn computes it.
pub fn turn_password(secret: &str, username: &str) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac =
        <Hmac<Sha1> as Mac>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(username.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn turn_password_matches_the_rfc_2202_hmac_sha1_vector() {
        // RFC 2202 test case 2: key "Jefe", data "what do ya want for nothing?"
        // = effcdf6ae5eb2fa2d27416d5f184df9c259a7c79.
        let expected = base64::engine::general_purpose::STANDARD.encode([
            0xef, 0xfc, 0xdf, 0x6a, 0xe5, 0xeb, 0x2f, 0xa2, 0xd2, 0x74, 0x16, 0xd5, 0xf1, 0x84,
            0xdf, 0x9c, 0x25, 0x9a, 0x7c, 0x79,
        ]);
        assert_eq!(
            turn_password("Jefe", "what do ya want for nothing?"),
            expected
        );
    }

    #[test]
    fn servers_carry_stun_and_expiring_turn_credentials() {
        let config = IceConfig {
            stun_urls: vec!["stun:127.0.0.1:3478".into()],
            turn_urls: vec!["turn:127.0.0.1:3478?transport=udp".into()],
            turn_secret: Some("s3cret".into()),
            turn_credential_ttl: Duration::from_secs(600),
        };
        let servers = config.servers_for("user-1", 1_000, 45);
        assert_eq!(servers.len(), 2);
        assert_eq!(servers[1].username.as_deref(), Some("1600:user-1"));
        assert_eq!(
            servers[1].credential.as_deref(),
            Some(turn_password("s3cret", "1600:user-1").as_str())
        );
        assert!(!format!("{config:?}").contains("s3cret"));
        assert!(IceConfig::default().servers_for("u", 0, 45).is_empty());
    }

    #[test]
    fn turn_credentials_last_the_session_and_a_margin_within_the_ttl() {
        let config = IceConfig {
            stun_urls: vec![],
            turn_urls: vec!["turn:127.0.0.1:3478".into()],
            turn_secret: Some("s".into()),
            turn_credential_ttl: Duration::from_secs(12 * 3600),
        };
        let expiry = |minutes| {
            let servers = config.servers_for("u", 0, minutes);
            let username = servers[0].username.clone().expect("username");
            username
                .split(':')
                .next()
                .and_then(|e| e.parse::<i64>().ok())
                .expect("expiry")
        };
        assert_eq!(expiry(45), 45 * 60 + 2 * 3600, "a 45-minute session");
        assert_eq!(expiry(24 * 60), 12 * 3600, "never past the configured TTL");
    }
}
