//! The platform's live-session contract (`shared/protocol.md`) as Rust types.
//!
//! The server, the API client, the CLI and the desktop app all speak through
//! these types, so a field renamed here is renamed everywhere at once.

pub mod analytics;
pub mod deep_link;
pub mod error;
pub mod live_code;
pub mod logging;
pub mod model;
pub mod peer_messages;
pub mod signaling;
pub mod text;

pub use deep_link::{app_link, invitation_url, parse_deep_link, InvalidDeepLink};
pub use error::{ErrorBody, ErrorCode, ErrorDetail};
pub use live_code::{LiveCode, MalformedCode};
pub use model::*;
