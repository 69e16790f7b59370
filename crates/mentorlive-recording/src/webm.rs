//! A WebM writer that survives a crash, and the step that completes its
//! file (after a clean stop, or at the next start after a crash).
//!
//! The layout: the EBML header; a Segment whose size is written as
//! "unknown"; a head region of fixed length ([`HEAD_LEN`]) holding Info and
//! Tracks and padding; then Clusters, each of unknown size, whose blocks go
//! to the file as they come. A file cut anywhere plays up to its last whole
//! block. Completing it rewrites the head in place (the duration, the
//! tracks that got frames with their picture sizes, a SeekHead), writes
//! Cues at the end and patches the sizes: it needs the file's offsets and
//! nothing else, so the writer and [`crate::repair`] share it.

use crate::ebml::{self, id};
use std::fs::File;
use std::io::{self, BufWriter, Seek, SeekFrom, Write};

/// Bytes reserved after the Segment's header for Info, Tracks and the
/// SeekHead; what they do not use is a Void.
pub const HEAD_LEN: u64 = 4096;
/// A cluster longer than this starts a new one even without a keyframe
/// (block times are 16-bit offsets from the cluster's).
const CLUSTER_MAX_MS: u64 = 5_000;
/// A video keyframe starts a new cluster (a place to seek to) once the
/// current one is this old.
const CLUSTER_MIN_MS: u64 = 1_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Codec {
    Vp8,
    Opus,
}

/// One track of the file.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TrackSpec {
    /// 1-based, fixed for the file.
    pub number: u64,
    pub codec: Codec,
    /// "Ana: camera", "Ben: voice".
    pub name: String,
    /// Video: the picture size (0 until the first keyframe tells it).
    pub width: u32,
    pub height: u32,
}

impl TrackSpec {
    pub fn video(number: u64, name: impl Into<String>) -> TrackSpec {
        TrackSpec {
            number,
            codec: Codec::Vp8,
            name: name.into(),
            width: 0,
            height: 0,
        }
    }

    pub fn audio(number: u64, name: impl Into<String>) -> TrackSpec {
        TrackSpec {
            number,
            codec: Codec::Opus,
            name: name.into(),
            width: 0,
            height: 0,
        }
    }

    fn is_video(&self) -> bool {
        self.codec == Codec::Vp8
    }

    /// How long one block shows, for the duration's last step.
    fn frame_ms(&self) -> u64 {
        if self.is_video() {
            33
        } else {
            20
        }
    }
}

/// The file's title and start, for Info.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Meta {
    /// The session's title.
    pub title: String,
    /// Milliseconds since the Unix epoch.
    pub started_at_ms: i64,
    /// Who recorded, and with whom (Matroska tags, for the Recordings list).
    pub recorded_by: String,
    pub partner: String,
}

/// A track as written so far.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackLog {
    pub spec: TrackSpec,
    pub frames: u64,
    pub first_ms: Option<u64>,
    pub last_ms: u64,
}

/// Everything needed to complete a file: where its parts are.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    pub meta: Meta,
    pub tracks: Vec<TrackLog>,
    /// Where the Segment's body starts (its size is the 8 bytes before).
    pub segment_start: u64,
    /// Each cluster's offset in the file and its time.
    pub clusters: Vec<(u64, u64)>,
    /// Seek points: (time, track, cluster offset in the file).
    pub cues: Vec<(u64, u64, u64)>,
    /// The end of the last whole block.
    pub end: u64,
}

impl Layout {
    /// A file with its head written and no frames yet.
    pub fn empty(meta: Meta, tracks: Vec<TrackSpec>, segment_start: u64) -> Layout {
        Layout {
            meta,
            tracks: tracks
                .into_iter()
                .map(|spec| TrackLog {
                    spec,
                    frames: 0,
                    first_ms: None,
                    last_ms: 0,
                })
                .collect(),
            segment_start,
            clusters: Vec::new(),
            cues: Vec::new(),
            end: segment_start + HEAD_LEN,
        }
    }

    /// What the file holds, `bytes` long.
    pub fn summary(&self, bytes: u64) -> Summary {
        Summary {
            duration_ms: self.duration_ms(),
            bytes,
            tracks: self
                .tracks
                .iter()
                .filter(|t| t.frames > 0)
                .map(|t| (t.spec.name.clone(), t.frames))
                .collect(),
        }
    }

    /// The recording's length: its last block and how long that shows.
    pub fn duration_ms(&self) -> u64 {
        self.tracks
            .iter()
            .filter(|t| t.frames > 0)
            .map(|t| t.last_ms + t.spec.frame_ms())
            .max()
            .unwrap_or(0)
    }
}

/// What a finished file holds.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Summary {
    pub duration_ms: u64,
    pub bytes: u64,
    /// (track name, frames) of each track that got any.
    pub tracks: Vec<(String, u64)>,
}

/// What became of one frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    Block,
    /// A video frame before its track's first keyframe: nothing could
    /// decode it.
    WaitingForKeyframe,
}

/// Writes frames as SimpleBlocks, in time order, flushing is the caller's.
pub struct WebmWriter {
    out: BufWriter<File>,
    layout: Layout,
    cluster_ms: Option<u64>,
    last_ms: u64,
    /// A write failed: what the buffer holds cannot be trusted.
    broken: bool,
}

impl WebmWriter {
    /// Writes the header, the head and no frames yet.
    pub fn create(file: File, meta: Meta, tracks: Vec<TrackSpec>) -> io::Result<WebmWriter> {
        let mut out = BufWriter::with_capacity(256 * 1024, file);
        let header = ebml_header();
        out.write_all(&header)?;
        out.write_all(&ebml::id_bytes(id::SEGMENT))?;
        out.write_all(&ebml::UNKNOWN_SIZE)?;
        let segment_start = header.len() as u64 + 12;
        let layout = Layout::empty(meta, tracks, segment_start);
        // While it records, the head declares every track that may come.
        out.write_all(&head(&layout, false, None))?;
        Ok(WebmWriter {
            out,
            layout,
            cluster_ms: None,
            last_ms: 0,
            broken: false,
        })
    }

    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// Bytes written so far.
    pub fn len(&self) -> u64 {
        self.layout.end
    }

    pub fn is_empty(&self) -> bool {
        self.layout.clusters.is_empty()
    }

    /// Writes one frame of `track` at `ms` since the start. Times go
    /// forward: a frame earlier than the last written one is written at
    /// that one's time.
    pub fn write(
        &mut self,
        track: u64,
        ms: u64,
        keyframe: bool,
        data: &[u8],
    ) -> io::Result<Written> {
        if self.broken {
            return Err(io::Error::other("an earlier write failed"));
        }
        if !self.layout.tracks.iter().any(|t| t.spec.number == track) {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "no such track"));
        }
        let result = self.write_block(track, ms, keyframe, data);
        self.broken |= result.is_err();
        result
    }

    fn write_block(
        &mut self,
        track: u64,
        ms: u64,
        keyframe: bool,
        data: &[u8],
    ) -> io::Result<Written> {
        let Some(index) = self
            .layout
            .tracks
            .iter()
            .position(|t| t.spec.number == track)
        else {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, "no such track"));
        };
        let video = self.layout.tracks[index].spec.is_video();
        if video && self.layout.tracks[index].frames == 0 && !keyframe {
            return Ok(Written::WaitingForKeyframe);
        }
        if video && keyframe {
            if let Some((w, h)) = vp8_size(data) {
                let spec = &mut self.layout.tracks[index].spec;
                spec.width = w;
                spec.height = h;
            }
        }
        let ms = ms.max(self.last_ms);
        let new_cluster = match self.cluster_ms {
            None => true,
            Some(start) => {
                let age = ms - start;
                age >= CLUSTER_MAX_MS || (video && keyframe && age >= CLUSTER_MIN_MS)
            }
        };
        if new_cluster {
            let offset = self.layout.end;
            let mut cluster = ebml::id_bytes(id::CLUSTER);
            cluster.extend(ebml::UNKNOWN_SIZE);
            cluster.extend(ebml::uint(id::TIMESTAMP, ms));
            self.out.write_all(&cluster)?;
            self.layout.end += cluster.len() as u64;
            self.layout.clusters.push((offset, ms));
            self.cluster_ms = Some(ms);
        }
        if video && keyframe {
            if let Some(&(offset, start)) = self.layout.clusters.last() {
                if start == ms || new_cluster {
                    self.layout.cues.push((ms, track, offset));
                }
            }
        }
        let relative = (ms - self.cluster_ms.unwrap_or(ms)) as i16;
        let mut body = ebml::size_bytes(track);
        body.extend(relative.to_be_bytes());
        body.push(if keyframe || !video { 0x80 } else { 0x00 });
        let mut block = ebml::id_bytes(id::SIMPLE_BLOCK);
        block.extend(ebml::size_bytes((body.len() + data.len()) as u64));
        self.out.write_all(&block)?;
        self.out.write_all(&body)?;
        self.out.write_all(data)?;
        self.layout.end += (block.len() + body.len() + data.len()) as u64;
        self.last_ms = ms;
        let log = &mut self.layout.tracks[index];
        log.frames += 1;
        log.first_ms.get_or_insert(ms);
        log.last_ms = ms;
        Ok(Written::Block)
    }

    /// Hands what is buffered to the OS (it survives the process being
    /// killed); `durable` also asks the disk to keep it (a power cut).
    pub fn flush(&mut self, durable: bool) -> io::Result<()> {
        let mut result = self.out.flush();
        if durable && result.is_ok() {
            result = self.out.get_ref().sync_data();
        }
        self.broken |= result.is_err();
        result
    }

    /// Completes the file. After a write error (a full disk) it is
    /// completed up to the last block that reached it whole.
    pub fn finish(self) -> io::Result<Summary> {
        let broken = self.broken;
        let mut out = self.out;
        if !broken && out.flush().is_ok() {
            let mut file = out.into_parts().0;
            return complete(&mut file, &self.layout);
        }
        // What is still buffered is dropped: part of it may be on disk
        // already, so the file is read back to find its last whole block.
        let mut file = out.into_parts().0;
        crate::repair::repair_open(&mut file).map(|outcome| outcome.summary)
    }
}

/// The EBML header of a WebM file.
fn ebml_header() -> Vec<u8> {
    ebml::master(
        id::EBML,
        &[
            ebml::uint(id::EBML_VERSION, 1),
            ebml::uint(id::EBML_READ_VERSION, 1),
            ebml::uint(id::EBML_MAX_ID_LENGTH, 4),
            ebml::uint(id::EBML_MAX_SIZE_LENGTH, 8),
            ebml::string(id::DOC_TYPE, "webm"),
            ebml::uint(id::DOC_TYPE_VERSION, 4),
            ebml::uint(id::DOC_TYPE_READ_VERSION, 2),
        ],
    )
}

/// The tags that name the two people.
pub const TAG_RECORDED_BY: &str = "MENTORLIVE_RECORDED_BY";
pub const TAG_PARTNER: &str = "MENTORLIVE_PARTNER";

/// Seconds between the Unix epoch and Matroska's (2001-01-01).
const MATROSKA_EPOCH_MS: i64 = 978_307_200_000;

/// The head region, exactly [`HEAD_LEN`] bytes: SeekHead (when complete),
/// Info, Tracks, Void. Complete, it holds only tracks that got frames.
fn head(layout: &Layout, complete: bool, cues_at: Option<u64>) -> Vec<u8> {
    let meta = &layout.meta;
    let mut info = vec![
        ebml::uint(id::TIMESTAMP_SCALE, 1_000_000),
        ebml::string(id::MUXING_APP, "mentorlive"),
        ebml::string(
            id::WRITING_APP,
            concat!("mentorlive ", env!("CARGO_PKG_VERSION")),
        ),
        ebml::int(
            id::DATE_UTC,
            (meta.started_at_ms - MATROSKA_EPOCH_MS).saturating_mul(1_000_000),
        ),
    ];
    if !meta.title.is_empty() {
        info.push(ebml::string(id::TITLE, &meta.title));
    }
    if complete {
        info.push(ebml::float(id::DURATION, layout.duration_ms() as f64));
    }
    let info = ebml::master(id::INFO, &info);
    let tag = |name: &str, value: &str| {
        ebml::master(
            id::SIMPLE_TAG,
            &[
                ebml::string(id::TAG_NAME, name),
                ebml::string(id::TAG_STRING, value),
            ],
        )
    };
    let tags = ebml::master(
        id::TAGS,
        &[ebml::master(
            id::TAG,
            &[
                ebml::master(id::TARGETS, &[]),
                tag(TAG_RECORDED_BY, &meta.recorded_by),
                tag(TAG_PARTNER, &meta.partner),
            ],
        )],
    );
    let entries: Vec<Vec<u8>> = layout
        .tracks
        .iter()
        .filter(|t| !complete || t.frames > 0)
        .map(|t| track_entry(&t.spec))
        .collect();
    let tracks = ebml::master(id::TRACKS, &entries);
    let seek_head = |positions: [u64; 3]| {
        let seek = |target: u32, at: u64| {
            ebml::master(
                id::SEEK,
                &[
                    ebml::element(id::SEEK_ID, &ebml::id_bytes(target)),
                    // Eight bytes, so the SeekHead's length does not depend on them.
                    ebml::element(id::SEEK_POSITION, &at.to_be_bytes()),
                ],
            )
        };
        let mut seeks = vec![seek(id::INFO, positions[0]), seek(id::TRACKS, positions[1])];
        // (The Tags follow the Tracks; readers find them by walking.)
        if cues_at.is_some() {
            seeks.push(seek(id::CUES, positions[2]));
        }
        ebml::master(id::SEEK_HEAD, &seeks)
    };
    let mut out = Vec::new();
    if complete {
        let len = seek_head([0; 3]).len() as u64;
        let cues = cues_at.map(|c| c - layout.segment_start).unwrap_or(0);
        out.extend(seek_head([len, len + info.len() as u64, cues]));
    }
    out.extend(info);
    out.extend(tracks);
    out.extend(tags);
    let used = out.len();
    // A head that does not fit (a very long title) loses its title's tail:
    // the budget is far above what six tracks take.
    if used + 2 > HEAD_LEN as usize {
        out.truncate(HEAD_LEN as usize - 2);
    }
    let fill = HEAD_LEN as usize - out.len();
    out.extend(ebml::void(fill));
    out
}

fn track_entry(spec: &TrackSpec) -> Vec<u8> {
    let mut fields = vec![
        ebml::uint(id::TRACK_NUMBER, spec.number),
        ebml::uint(id::TRACK_UID, spec.number),
        ebml::uint(id::FLAG_LACING, 0),
        ebml::string(id::NAME, &spec.name),
    ];
    match spec.codec {
        Codec::Vp8 => {
            fields.push(ebml::uint(id::TRACK_TYPE, 1));
            fields.push(ebml::string(id::CODEC_ID, "V_VP8"));
            // Before the first keyframe tells it, a usual camera's size.
            let (w, h) = if spec.width == 0 {
                (640, 480)
            } else {
                (spec.width, spec.height)
            };
            fields.push(ebml::master(
                id::VIDEO,
                &[
                    ebml::uint(id::PIXEL_WIDTH, w.into()),
                    ebml::uint(id::PIXEL_HEIGHT, h.into()),
                ],
            ));
        }
        Codec::Opus => {
            fields.push(ebml::uint(id::TRACK_TYPE, 2));
            fields.push(ebml::string(id::CODEC_ID, "A_OPUS"));
            fields.push(ebml::element(id::CODEC_PRIVATE, &opus_head()));
            fields.push(ebml::uint(id::CODEC_DELAY, 0));
            fields.push(ebml::uint(id::SEEK_PRE_ROLL, 80_000_000));
            fields.push(ebml::master(
                id::AUDIO,
                &[
                    ebml::float(id::SAMPLING_FREQUENCY, 48_000.0),
                    ebml::uint(id::CHANNELS, 1),
                ],
            ));
        }
    }
    ebml::master(id::TRACK_ENTRY, &fields)
}

/// Opus's identification header (RFC 7845 §5.1): mono, 48 kHz, no pre-skip
/// (WebRTC's packets carry none).
fn opus_head() -> Vec<u8> {
    let mut head = b"OpusHead".to_vec();
    head.push(1);
    head.push(1);
    head.extend(0u16.to_le_bytes());
    head.extend(48_000u32.to_le_bytes());
    head.extend(0i16.to_le_bytes());
    head.push(0);
    head
}

/// A VP8 keyframe's picture size (RFC 6386 §9.1).
pub fn vp8_size(frame: &[u8]) -> Option<(u32, u32)> {
    if frame.len() < 10 || frame[0] & 1 != 0 || frame[3..6] != [0x9d, 0x01, 0x2a] {
        return None;
    }
    let w = u16::from_le_bytes([frame[6], frame[7]]) & 0x3fff;
    let h = u16::from_le_bytes([frame[8], frame[9]]) & 0x3fff;
    Some((w.into(), h.into()))
}

/// Completes a file written up to `layout.end`: Cues after the last
/// block, every size known, the head with the duration and the tracks
/// that got frames. Each step is in place except the Cues; when they do
/// not fit (a full disk) the file is complete without them.
pub fn complete(file: &mut File, layout: &Layout) -> io::Result<Summary> {
    let cue_points: Vec<Vec<u8>> = layout
        .cues
        .iter()
        .map(|&(ms, track, cluster)| {
            ebml::master(
                id::CUE_POINT,
                &[
                    ebml::uint(id::CUE_TIME, ms),
                    ebml::master(
                        id::CUE_TRACK_POSITIONS,
                        &[
                            ebml::uint(id::CUE_TRACK, track),
                            ebml::uint(id::CUE_CLUSTER_POSITION, cluster - layout.segment_start),
                        ],
                    ),
                ],
            )
        })
        .collect();
    let mut end = layout.end;
    let mut cues_at = None;
    file.set_len(layout.end)?;
    if !cue_points.is_empty() {
        let cues = ebml::master(id::CUES, &cue_points);
        file.seek(SeekFrom::Start(layout.end))?;
        match file.write_all(&cues) {
            Ok(()) => {
                cues_at = Some(layout.end);
                end += cues.len() as u64;
            }
            Err(err) => {
                tracing::warn!(
                    "recording: no room for the seek index ({err}); the file plays without it"
                );
                file.set_len(layout.end)?;
            }
        }
    }
    for (i, &(offset, _)) in layout.clusters.iter().enumerate() {
        let cluster_end = layout
            .clusters
            .get(i + 1)
            .map(|c| c.0)
            .unwrap_or(layout.end);
        file.seek(SeekFrom::Start(offset + 4))?;
        file.write_all(&ebml::size8(cluster_end - offset - 12))?;
    }
    file.seek(SeekFrom::Start(layout.segment_start))?;
    file.write_all(&head(layout, true, cues_at))?;
    file.seek(SeekFrom::Start(layout.segment_start - 8))?;
    file.write_all(&ebml::size8(end - layout.segment_start))?;
    file.sync_all()?;
    Ok(layout.summary(end))
}
