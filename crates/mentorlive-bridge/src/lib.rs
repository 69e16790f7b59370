//! The media bridge: encoded chunks from the webview's WebCodecs encoders to
//! the call engine, and the partner's frames back to its decoders.
//!
//! Transport: one WebSocket on 127.0.0.1, binary messages, a per-call
//! secret in the URL, and only the app's own origin let in. It was chosen
//! over Tauri's raw IPC after measuring both in the real webview
//! (`scripts/bench-bridge.sh`, figures in docs/performance.md).
//!
//! - [`wire`]: the 16-byte header in front of every chunk.
//! - [`gate`]: back-pressure. When the webview falls behind, whole video
//!   frames are dropped up to the next keyframe, which is asked for once.
//! - [`sound`]: the partner's Opus decoded here, with loss concealment; the
//!   webview gets samples (WebKitGTK's `AudioData.copyTo` leaks).
//! - [`catch_up`]: what a page that connects mid-call gets of the frames
//!   that queued before it: each video from its last keyframe.
//! - [`server`]: the socket itself.

pub mod catch_up;
pub mod echo;
pub mod gate;
pub mod server;
pub mod sound;
pub mod wire;

pub use echo::EchoSink;
pub use server::{BridgeCounters, MediaBridge, MediaSink};
pub use wire::{Chunk, ChunkKind, WireError};
