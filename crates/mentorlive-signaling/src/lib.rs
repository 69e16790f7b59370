//! A Socket.IO v4 client (Engine.IO 4, Socket.IO 5) over tokio-tungstenite,
//! and the contract's `live:*` signaling on top of it.
//!
//! - [`packet`]: the codecs, free of I/O.
//! - [`connection`]: one connection as a state machine (frames and time in,
//!   frames, outputs and a deadline out).
//! - [`client`]: the tokio driver with reconnection and a state stream.
//! - [`live`]: the typed `live:join` / `live:signal` / `live:leave` API.

pub mod backoff;
pub mod client;
pub mod connection;
pub mod live;
pub mod packet;

pub use backoff::Backoff;
pub use client::{ClientError, ClientEvent, ClientOptions, ConnectionState, SocketClient};
pub use live::{ConnectFailure, LiveClient, LiveError, LiveEvent};
