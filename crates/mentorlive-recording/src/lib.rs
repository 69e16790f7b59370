//! A call's recording: every track's frames as they were encoded (ours by
//! WebCodecs, the partner's as received), each on its own track of a WebM
//! file that plays up to its last seconds whatever stops it, with the chat
//! beside it as WebVTT.

pub mod clock;
pub mod ebml;
pub mod repair;
pub mod session;
pub mod webm;

pub use repair::{describe, is_incomplete, repair, Description, Repaired};
pub use session::{
    Finished, Frame, MediaTime, RecordError, Recorder, RecorderOptions, Source, StopReason,
};
pub use webm::{Codec, Meta, Summary, TrackSpec, WebmWriter, Written};
