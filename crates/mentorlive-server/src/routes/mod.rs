pub mod auth;
pub mod sessions;
pub mod updates;
