//! A recording in progress: a thread of its own takes frames and chat from
//! the call, puts each on the timeline ([`crate::clock`]), holds them
//! briefly so tracks interleave in time order, and writes them
//! ([`crate::webm`]). It flushes each second (a killed process loses at
//! most that), asks the disk to keep the data every few seconds (a power
//! cut), and stops by itself, leaving a complete file, before the disk is
//! full.

use crate::clock::TrackClock;
use crate::webm::{Meta, Summary, TrackSpec, WebmWriter};
use bytes::Bytes;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Which track a frame belongs to; the track numbers are fixed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    OurCamera,
    OurVoice,
    PartnerCamera,
    PartnerVoice,
    OurScreen,
    PartnerScreen,
}

impl Source {
    const ALL: [Source; 6] = [
        Source::OurCamera,
        Source::OurVoice,
        Source::PartnerCamera,
        Source::PartnerVoice,
        Source::OurScreen,
        Source::PartnerScreen,
    ];

    pub fn track(self) -> u64 {
        Source::ALL.iter().position(|s| *s == self).unwrap_or(0) as u64 + 1
    }

    fn spec(self, me: &str, partner: &str) -> TrackSpec {
        let n = self.track();
        match self {
            Source::OurCamera => TrackSpec::video(n, format!("{me}: camera")),
            Source::OurVoice => TrackSpec::audio(n, format!("{me}: voice")),
            Source::PartnerCamera => TrackSpec::video(n, format!("{partner}: camera")),
            Source::PartnerVoice => TrackSpec::audio(n, format!("{partner}: voice")),
            Source::OurScreen => TrackSpec::video(n, format!("{me}: screen")),
            Source::PartnerScreen => TrackSpec::video(n, format!("{partner}: screen")),
        }
    }
}

/// When a frame happened, as its sender tells it.
#[derive(Debug, Clone, Copy)]
pub enum MediaTime {
    /// Ours: how long it shows.
    Shows(Duration),
    /// The partner's: its RTP timestamp and the clock's rate.
    Rtp { timestamp: u32, rate: u32 },
}

#[derive(Debug, Clone)]
pub struct Frame {
    pub source: Source,
    pub data: Bytes,
    pub keyframe: bool,
    pub arrival: Instant,
    pub time: MediaTime,
}

/// What a recording needs to start.
#[derive(Debug, Clone)]
pub struct RecorderOptions {
    pub path: PathBuf,
    pub meta: Meta,
    /// Free space needed to start, and below which it stops.
    pub min_free_to_start: u64,
    pub min_free_to_continue: u64,
}

/// At least this much must be free to start: about an hour of a call.
pub const MIN_FREE_TO_START: u64 = 500 * 1024 * 1024;
/// Below this it stops, leaving room for the Cues and for everything else
/// the computer does.
pub const MIN_FREE_TO_CONTINUE: u64 = 100 * 1024 * 1024;

impl RecorderOptions {
    pub fn new(path: PathBuf, meta: Meta) -> RecorderOptions {
        RecorderOptions {
            path,
            meta,
            min_free_to_start: MIN_FREE_TO_START,
            min_free_to_continue: MIN_FREE_TO_CONTINUE,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("Only {} free on the disk of {path}: recording needs at least {}.", megabytes(*free), megabytes(*needed))]
    NotEnoughSpace {
        path: PathBuf,
        free: u64,
        needed: u64,
    },
    #[error("Could not create {path}: {source}")]
    Create {
        path: PathBuf,
        source: std::io::Error,
    },
}

fn megabytes(bytes: u64) -> String {
    format!("{} MB", bytes / 1_000_000)
}

/// Why a recording ended.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum StopReason {
    Asked,
    /// The disk was nearly full: stopped with this much left.
    DiskFull {
        free_bytes: u64,
    },
    WriteFailed {
        message: String,
    },
}

/// A recording that has ended, its file complete.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Finished {
    pub path: PathBuf,
    pub chat: Option<PathBuf>,
    pub summary: Option<Summary>,
    pub reason: StopReason,
}

enum Message {
    Frame(Frame),
    Chat {
        at: Instant,
        from: String,
        text: String,
    },
    Stop,
}

/// The handle the call holds. Dropping it stops the recording too.
pub struct Recorder {
    tx: SyncSender<Message>,
    thread: Option<JoinHandle<Finished>>,
    dropped: Arc<AtomicU64>,
    started: Instant,
}

/// Frames the recorder may be behind by before it drops (and counts).
const QUEUE: usize = 4096;
/// How long a frame waits for earlier frames of other tracks.
const REORDER_US: i64 = 250_000;
const FLUSH_EVERY: Duration = Duration::from_secs(1);
const SYNC_EVERY: Duration = Duration::from_secs(3);
const DISK_CHECK_EVERY: Duration = Duration::from_secs(1);

/// Whether the folder of `options.path` has room to start.
pub fn check_space(options: &RecorderOptions) -> Result<(), RecordError> {
    let folder = folder_of(&options.path);
    // The folder may not exist yet: its nearest existing ancestor's disk.
    let existing = folder
        .ancestors()
        .find(|p| p.exists())
        .unwrap_or(Path::new("."));
    let free = fs4::available_space(existing).unwrap_or(u64::MAX);
    if free < options.min_free_to_start {
        return Err(RecordError::NotEnoughSpace {
            path: options.path.clone(),
            free,
            needed: options.min_free_to_start,
        });
    }
    Ok(())
}

fn folder_of(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

impl Recorder {
    /// Checks the space and creates the file; `on_stop_by_itself` is called
    /// from the recorder's thread if it stops without being asked (the disk
    /// nearly full, a write that failed).
    pub fn start(
        options: RecorderOptions,
        on_stop_by_itself: impl FnOnce(&StopReason) + Send + 'static,
    ) -> Result<Recorder, RecordError> {
        let path = options.path.clone();
        check_space(&options)?;
        std::fs::create_dir_all(folder_of(&path)).map_err(|source| RecordError::Create {
            path: path.clone(),
            source,
        })?;
        let file = File::create(&path).map_err(|source| RecordError::Create {
            path: path.clone(),
            source,
        })?;
        let tracks = Source::ALL
            .iter()
            .map(|s| s.spec(&options.meta.recorded_by, &options.meta.partner))
            .collect();
        let writer = WebmWriter::create(file, options.meta.clone(), tracks).map_err(|source| {
            RecordError::Create {
                path: path.clone(),
                source,
            }
        })?;
        let (tx, rx) = mpsc::sync_channel(QUEUE);
        let started = Instant::now();
        let dropped = Arc::new(AtomicU64::new(0));
        let worker = Worker {
            writer: Some(writer),
            clocks: Default::default(),
            pending: BinaryHeap::new(),
            sequence: 0,
            newest_us: 0,
            started,
            chat: None,
            options,
        };
        let thread = std::thread::Builder::new()
            .name("mentorlive-recorder".into())
            .spawn(move || worker.run(rx, on_stop_by_itself))
            .map_err(|source| RecordError::Create { path, source })?;
        Ok(Recorder {
            tx,
            thread: Some(thread),
            dropped,
            started,
        })
    }

    /// Hands a frame over; never blocks the call (a full queue drops it).
    pub fn frame(&self, frame: Frame) {
        if let Err(TrySendError::Full(_)) = self.tx.try_send(Message::Frame(frame)) {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// A chat line, for the WebVTT file beside the recording.
    pub fn chat(&self, from: &str, text: &str) {
        let _ = self.tx.try_send(Message::Chat {
            at: Instant::now(),
            from: from.to_owned(),
            text: text.to_owned(),
        });
    }

    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Frames dropped because the recorder fell behind.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Stops, completes the file, and says what it holds. Blocks for as
    /// long as the completing takes (milliseconds; call it off an async
    /// runtime's threads for long files).
    pub fn stop(mut self) -> Option<Finished> {
        let _ = self.tx.send(Message::Stop);
        self.thread.take().and_then(|t| t.join().ok())
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        if let Some(thread) = self.thread.take() {
            let _ = self.tx.send(Message::Stop);
            let _ = thread.join();
        }
    }
}

struct Pending {
    at_us: i64,
    sequence: u64,
    frame: Frame,
}

impl PartialEq for Pending {
    fn eq(&self, other: &Self) -> bool {
        (self.at_us, self.sequence) == (other.at_us, other.sequence)
    }
}
impl Eq for Pending {}
impl PartialOrd for Pending {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Pending {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.at_us, self.sequence).cmp(&(other.at_us, other.sequence))
    }
}

struct Worker {
    writer: Option<WebmWriter>,
    clocks: [TrackClock; 6],
    pending: BinaryHeap<Reverse<Pending>>,
    sequence: u64,
    newest_us: i64,
    started: Instant,
    chat: Option<File>,
    options: RecorderOptions,
}

impl Worker {
    fn run(mut self, rx: mpsc::Receiver<Message>, on_stop: impl FnOnce(&StopReason)) -> Finished {
        let mut last_flush = Instant::now();
        let mut last_sync = Instant::now();
        let mut last_check = Instant::now();
        let folder = self
            .options
            .path
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let by_itself = loop {
            match rx.recv_timeout(Duration::from_millis(200)) {
                Ok(Message::Frame(frame)) => {
                    if let Err(err) = self.take(frame) {
                        break Some(StopReason::WriteFailed {
                            message: err.to_string(),
                        });
                    }
                }
                Ok(Message::Chat { at, from, text }) => self.write_chat(at, &from, &text),
                Ok(Message::Stop) | Err(RecvTimeoutError::Disconnected) => break None,
                Err(RecvTimeoutError::Timeout) => {}
            }
            let now = Instant::now();
            if now.duration_since(last_flush) >= FLUSH_EVERY {
                let durable = now.duration_since(last_sync) >= SYNC_EVERY;
                if let Some(Err(err)) = self.writer.as_mut().map(|w| w.flush(durable)) {
                    break Some(StopReason::WriteFailed {
                        message: err.to_string(),
                    });
                }
                last_flush = now;
                if durable {
                    last_sync = now;
                }
            }
            if now.duration_since(last_check) >= DISK_CHECK_EVERY {
                last_check = now;
                let free = fs4::available_space(&folder).unwrap_or(u64::MAX);
                if free < self.options.min_free_to_continue {
                    break Some(StopReason::DiskFull { free_bytes: free });
                }
            }
        };
        if !matches!(by_itself, Some(StopReason::WriteFailed { .. })) {
            // What waits for reordering (the last quarter second) is
            // written too, unless writing is what failed: a stop for the
            // disk still has the floor's megabytes to write it in, and
            // dropping it cut every such file short of the moment it
            // stopped.
            while let Some(Reverse(p)) = self.pending.pop() {
                if self.write(p).is_err() {
                    break;
                }
            }
        }
        let summary = self.writer.take().and_then(|w| match w.finish() {
            Ok(summary) => Some(summary),
            Err(err) => {
                tracing::warn!(
                    "recording: could not complete {}: {err}",
                    self.options.path.display()
                );
                None
            }
        });
        if let Some(reason) = &by_itself {
            tracing::warn!("recording stopped by itself: {reason:?}");
            on_stop(reason);
        }
        Finished {
            path: self.options.path.clone(),
            chat: self.chat.as_ref().map(|_| chat_path(&self.options.path)),
            summary,
            reason: by_itself.unwrap_or(StopReason::Asked),
        }
    }

    fn take(&mut self, frame: Frame) -> std::io::Result<()> {
        let arrival = frame
            .arrival
            .saturating_duration_since(self.started)
            .as_micros() as i64;
        let clock = &mut self.clocks[frame.source.track() as usize - 1];
        let at_us = match frame.time {
            MediaTime::Shows(d) => clock.ours(arrival, d.as_micros() as i64),
            MediaTime::Rtp { timestamp, rate } => clock.theirs(arrival, timestamp, rate),
        };
        self.newest_us = self.newest_us.max(at_us);
        self.sequence += 1;
        self.pending.push(Reverse(Pending {
            at_us,
            sequence: self.sequence,
            frame,
        }));
        while self
            .pending
            .peek()
            .is_some_and(|Reverse(p)| p.at_us <= self.newest_us - REORDER_US)
        {
            if let Some(Reverse(p)) = self.pending.pop() {
                self.write(p)?;
            }
        }
        Ok(())
    }

    fn write(&mut self, p: Pending) -> std::io::Result<()> {
        let Some(writer) = self.writer.as_mut() else {
            return Ok(());
        };
        let ms = (p.at_us / 1000).max(0) as u64;
        writer
            .write(p.frame.source.track(), ms, p.frame.keyframe, &p.frame.data)
            .map(|_| ())
    }

    /// The chat beside the file, as WebVTT: each line shown for 5 s.
    fn write_chat(&mut self, at: Instant, from: &str, text: &str) {
        if self.chat.is_none() {
            match File::create(chat_path(&self.options.path)) {
                Ok(mut file) => {
                    let _ = file.write_all(b"WEBVTT\n\n");
                    self.chat = Some(file);
                }
                Err(err) => {
                    tracing::warn!("recording: no chat file: {err}");
                    return;
                }
            }
        }
        let ms = at.saturating_duration_since(self.started).as_millis() as u64;
        // "-->" would end the cue's timing line; a blank line its text.
        let text = text.replace("-->", "→").replace("\n\n", "\n");
        let cue = format!(
            "{} --> {}\n<v {}>{}\n\n",
            vtt_time(ms),
            vtt_time(ms + 5_000),
            from.replace('>', ""),
            text
        );
        if let Some(file) = self.chat.as_mut() {
            let _ = file.write_all(cue.as_bytes());
        }
    }
}

/// The chat's file: the recording's name with `.vtt`.
pub fn chat_path(recording: &Path) -> PathBuf {
    recording.with_extension("vtt")
}

fn vtt_time(ms: u64) -> String {
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000
    )
}
