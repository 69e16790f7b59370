pub mod auth;
pub mod sessions;
