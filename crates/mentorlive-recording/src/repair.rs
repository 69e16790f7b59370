//! Completing a recording that was cut off (`kill -9`, a power cut, a full
//! disk): read its head and its clusters up to the last whole block, drop
//! what follows, and complete it as a clean stop would
//! ([`crate::webm::complete`]).

use crate::ebml::{self, id};
use crate::webm::{self, Codec, Layout, Meta, Summary, TrackSpec, HEAD_LEN};
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

/// What a repair found and did.
#[derive(Debug, Clone, PartialEq)]
pub struct Repaired {
    pub summary: Summary,
    /// The file was already complete: nothing was changed.
    pub was_complete: bool,
    /// Bytes after the last whole block that were dropped.
    pub cut_bytes: u64,
}

/// Whether a recording was left incomplete (its Segment's size unknown).
pub fn is_incomplete(path: &Path) -> io::Result<bool> {
    let mut file = File::open(path)?;
    let (_, size_known) = segment(&mut file)?;
    Ok(!size_known)
}

/// A recording as its head describes it, without reading its frames.
#[derive(Debug, Clone, PartialEq)]
pub struct Description {
    pub meta: Meta,
    pub tracks: Vec<TrackSpec>,
    /// Known once the file is complete.
    pub duration_ms: Option<u64>,
    pub bytes: u64,
}

pub fn describe(path: &Path) -> io::Result<Description> {
    let mut file = File::open(path)?;
    let bytes = file.metadata()?.len();
    let (segment_start, size_known) = segment(&mut file)?;
    let head = read_at(&mut file, segment_start, HEAD_LEN as usize)?;
    let (meta, tracks, duration) = read_head(&head)?;
    Ok(Description {
        meta,
        tracks,
        duration_ms: duration.filter(|_| size_known).map(|d| d.round() as u64),
        bytes,
    })
}

/// Completes the recording at `path` in place.
pub fn repair(path: &Path) -> io::Result<Repaired> {
    let mut file = OpenOptions::new().read(true).write(true).open(path)?;
    repair_open(&mut file)
}

pub fn repair_open(file: &mut File) -> io::Result<Repaired> {
    let len = file.metadata()?.len();
    let (segment_start, size_known) = segment(file)?;
    let head = read_at(file, segment_start, HEAD_LEN as usize)?;
    let (meta, tracks, duration) = read_head(&head)?;
    let mut layout = Layout::empty(meta, tracks, segment_start);
    scan_clusters(file, len, &mut layout)?;
    let was_complete = size_known && duration.is_some();
    let summary = if was_complete {
        layout.summary(len)
    } else {
        webm::complete(file, &layout)?
    };
    Ok(Repaired {
        summary,
        was_complete,
        cut_bytes: if was_complete {
            0
        } else {
            len.saturating_sub(layout.end)
        },
    })
}

fn not_ours(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("not a mentorlive recording: {what}"),
    )
}

fn read_at(file: &mut File, offset: u64, len: usize) -> io::Result<Vec<u8>> {
    file.seek(SeekFrom::Start(offset))?;
    let mut out = Vec::with_capacity(len);
    file.take(len as u64).read_to_end(&mut out)?;
    Ok(out)
}

/// Where the Segment's body starts, and whether its size is known.
fn segment(file: &mut File) -> io::Result<(u64, bool)> {
    let start = read_at(file, 0, 64)?;
    let (header_id, id_len) = ebml::read_id(&start).ok_or_else(|| not_ours("empty"))?;
    let (Some(size), size_len) =
        ebml::read_size(&start[id_len..]).ok_or_else(|| not_ours("no header"))?
    else {
        return Err(not_ours("no header size"));
    };
    if header_id != id::EBML {
        return Err(not_ours("no EBML header"));
    }
    let at = (id_len + size_len) as u64 + size;
    let seg = read_at(file, at, 12)?;
    match (ebml::read_id(&seg), seg.get(4..).and_then(ebml::read_size)) {
        (Some((id::SEGMENT, 4)), Some((size, 8))) => Ok((at + 12, size.is_some())),
        _ => Err(not_ours("no Segment of eight-byte size")),
    }
}

/// The head's title, start, tracks, and whether it has a duration.
fn read_head(head: &[u8]) -> io::Result<(Meta, Vec<TrackSpec>, Option<f64>)> {
    let mut meta = Meta::default();
    let mut tracks = Vec::new();
    let mut duration = None;
    for (element, body) in ebml::children(head) {
        match element {
            id::INFO => {
                for (field, value) in ebml::children(body) {
                    match field {
                        id::TITLE => meta.title = String::from_utf8_lossy(value).into_owned(),
                        id::DATE_UTC if value.len() == 8 => {
                            let ns = i64::from_be_bytes(value.try_into().unwrap_or_default());
                            meta.started_at_ms = ns / 1_000_000 + 978_307_200_000;
                        }
                        id::DURATION => duration = ebml::read_float(value),
                        _ => {}
                    }
                }
            }
            id::TAGS => {
                for (_, tag) in ebml::children(body) {
                    for (_, simple) in ebml::children(tag)
                        .into_iter()
                        .filter(|(i, _)| *i == id::SIMPLE_TAG)
                    {
                        let fields = ebml::children(simple);
                        let field = |want: u32| {
                            fields
                                .iter()
                                .find(|(i, _)| *i == want)
                                .map(|(_, v)| String::from_utf8_lossy(v).into_owned())
                                .unwrap_or_default()
                        };
                        match field(id::TAG_NAME).as_str() {
                            webm::TAG_RECORDED_BY => meta.recorded_by = field(id::TAG_STRING),
                            webm::TAG_PARTNER => meta.partner = field(id::TAG_STRING),
                            _ => {}
                        }
                    }
                }
            }
            id::TRACKS => {
                for (entry, body) in ebml::children(body) {
                    if entry == id::TRACK_ENTRY {
                        tracks.push(read_track(body)?);
                    }
                }
            }
            _ => {}
        }
    }
    if tracks.is_empty() {
        return Err(not_ours("no tracks"));
    }
    Ok((meta, tracks, duration))
}

fn read_track(body: &[u8]) -> io::Result<TrackSpec> {
    let mut spec = TrackSpec::audio(0, "");
    for (field, value) in ebml::children(body) {
        match field {
            id::TRACK_NUMBER => spec.number = ebml::read_uint(value),
            id::VIDEO => {
                for (dim, v) in ebml::children(value) {
                    match dim {
                        id::PIXEL_WIDTH => spec.width = ebml::read_uint(v) as u32,
                        id::PIXEL_HEIGHT => spec.height = ebml::read_uint(v) as u32,
                        _ => {}
                    }
                }
            }
            id::NAME => spec.name = String::from_utf8_lossy(value).into_owned(),
            id::CODEC_ID => {
                spec.codec = match value {
                    b"V_VP8" => Codec::Vp8,
                    b"A_OPUS" => Codec::Opus,
                    _ => return Err(not_ours("a codec other than VP8 and Opus")),
                }
            }
            _ => {}
        }
    }
    if spec.number == 0 {
        return Err(not_ours("a track without a number"));
    }
    // A repair reads the sizes again from the keyframes.
    Ok(spec)
}

/// Follows the clusters from the head's end to the last whole block.
fn scan_clusters(file: &mut File, len: u64, layout: &mut Layout) -> io::Result<()> {
    let mut pos = layout.end;
    loop {
        let header = read_at(file, pos, 12)?;
        let Some((element, id_len)) = ebml::read_id(&header) else {
            return Ok(());
        };
        let Some((size, size_len)) = header.get(id_len..).and_then(ebml::read_size) else {
            return Ok(());
        };
        if element != id::CLUSTER {
            // Cues (rebuilt) or the cut.
            return Ok(());
        }
        let body_start = pos + (id_len + size_len) as u64;
        let limit = size.map_or(len, |s| (body_start + s).min(len));
        let mut at = body_start;
        let mut cluster_ms = None;
        let mut first_block = true;
        while at < limit {
            let child = read_at(file, at, 12 + 4 + 10)?;
            let Some((child_id, cil)) = ebml::read_id(&child) else {
                return Ok(());
            };
            if child_id == id::CLUSTER || child_id == id::CUES {
                break;
            }
            let Some((Some(child_size), csl)) = child.get(cil..).and_then(ebml::read_size) else {
                return Ok(());
            };
            let child_body = at + (cil + csl) as u64;
            let child_end = child_body.saturating_add(child_size);
            if child_end > len {
                return Ok(());
            }
            let body = &child[(cil + csl).min(child.len())..];
            match child_id {
                id::TIMESTAMP => {
                    let bytes = read_at(file, child_body, child_size as usize)?;
                    cluster_ms = Some(ebml::read_uint(&bytes));
                    layout.clusters.push((pos, ebml::read_uint(&bytes)));
                }
                id::SIMPLE_BLOCK => {
                    let Some(start) = cluster_ms else {
                        return Ok(());
                    };
                    let Some((Some(track), tl)) = ebml::read_size(body) else {
                        return Ok(());
                    };
                    if body.len() < tl + 3 {
                        return Ok(());
                    }
                    let relative = i16::from_be_bytes([body[tl], body[tl + 1]]);
                    let keyframe = body[tl + 2] & 0x80 != 0;
                    let ms = start.saturating_add_signed(relative.into());
                    let Some(log) = layout.tracks.iter_mut().find(|t| t.spec.number == track)
                    else {
                        return Ok(());
                    };
                    if log.spec.codec == Codec::Vp8 && keyframe {
                        if let Some((w, h)) = webm::vp8_size(&body[tl + 3..]) {
                            log.spec.width = w;
                            log.spec.height = h;
                        }
                        if first_block || ms == start {
                            layout.cues.push((ms, track, pos));
                        }
                    }
                    log.frames += 1;
                    log.first_ms.get_or_insert(ms);
                    log.last_ms = ms;
                    first_block = false;
                }
                id::VOID => {}
                _ => return Ok(()),
            }
            at = child_end;
            layout.end = child_end;
        }
        if at == body_start {
            return Ok(());
        }
        pos = at;
    }
}
