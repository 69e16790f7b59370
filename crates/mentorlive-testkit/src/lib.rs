//! The one home of the end-to-end suites' helpers, a module for each thing a
//! suite starts or talks to:
//!
//! - [`binaries`]: where this workspace's built binaries are;
//! - [`server`]: the real `mentorlive-server` on a real port ([`TestServer`]);
//! - [`cluster`]: PostgreSQL, Redis and HAProxy, for a server of two nodes;
//! - [`http`]: raw HTTP against a server, and the seeded demo accounts;
//! - [`node`]: Node.js helper scripts from `tests/node/`;
//! - [`cli_joiner`]: `mentorlive-cli join` as a call partner, its lines typed;
//! - [`media`]: media fixtures made by ffmpeg, checked by ffprobe;
//! - [`netns`]: commands and the CLI in network namespaces;
//! - [`chromium`]: the platform's web client in Chromium;
//! - [`app`]: the desktop app under Xvfb, driven through WebDriver;
//! - [`reports`]: call reports and the room joins their peer ids come from;
//! - [`ports`]: free TCP ports on loopback.

pub mod app;
pub mod binaries;
pub mod chromium;
pub mod cli_joiner;
pub mod cluster;
pub mod http;
pub mod impaired;
pub mod media;
pub mod netns;
pub mod node;
pub mod ports;
pub mod proc_stats;
mod process;
pub mod reports;
pub mod server;

pub use binaries::{server_binary, workspace_binary};
pub use cli_joiner::{CliLine, Joiner};
pub use http::{Demo, Http, Reply, DEMO_PASSWORD};
pub use node::NodeScript;
pub use server::{ServerOptions, TestServer};
