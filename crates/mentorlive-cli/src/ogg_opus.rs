//! Opus packets out of an Ogg file, as RFC 7845 lays them out: a page holds
//! any number of packets, and a packet may run on into the next page. The
//! segment table (lacing) says where each packet ends: a segment shorter than
//! 255 bytes ends one. ffmpeg's default muxing, opusenc and voice memos put
//! about a second of packets in a page; reading a page as one packet sends
//! a second of audio in one go.

use std::io::{self, Read};
use std::time::Duration;

/// Why an Ogg file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum OggError {
    #[error("reading the file: {0}")]
    Io(#[from] io::Error),
    #[error("not an Ogg file (no page starts with \"OggS\" at byte {0})")]
    NotOgg(u64),
    #[error("not an Opus stream (the first packet is not OpusHead)")]
    NotOpus,
}

/// Reads one logical stream's Opus audio packets, headers skipped.
pub struct OpusPackets<R> {
    input: R,
    offset: u64,
    /// A packet that continues on the next page.
    partial: Vec<u8>,
    /// Packets of the current page not handed out yet.
    ready: std::collections::VecDeque<Vec<u8>>,
    serial: Option<u32>,
    headers_left: u8,
    done: bool,
}

impl<R: Read> OpusPackets<R> {
    pub fn new(input: R) -> OpusPackets<R> {
        OpusPackets {
            input,
            offset: 0,
            partial: Vec::new(),
            ready: Default::default(),
            serial: None,
            headers_left: 2, // OpusHead, then OpusTags
            done: false,
        }
    }

    /// The next audio packet, or `None` at the end of the stream.
    pub fn next_packet(&mut self) -> Result<Option<Vec<u8>>, OggError> {
        loop {
            if let Some(packet) = self.ready.pop_front() {
                if self.headers_left > 0 {
                    if self.headers_left == 2 && !packet.starts_with(b"OpusHead") {
                        return Err(OggError::NotOpus);
                    }
                    self.headers_left -= 1;
                    continue;
                }
                return Ok(Some(packet));
            }
            if self.done || !self.read_page()? {
                return Ok(None);
            }
        }
    }

    /// Reads one page into `ready`; false at the end of the file.
    fn read_page(&mut self) -> Result<bool, OggError> {
        let mut header = [0u8; 27];
        match read_full(&mut self.input, &mut header)? {
            0 => return Ok(false),
            27 => {}
            _ => return Err(OggError::NotOgg(self.offset)), // a truncated page
        }
        if &header[0..4] != b"OggS" {
            return Err(OggError::NotOgg(self.offset));
        }
        let header_type = header[5];
        let serial = u32::from_le_bytes([header[14], header[15], header[16], header[17]]);
        let segments = usize::from(header[26]);
        let mut table = vec![0u8; segments];
        self.input.read_exact(&mut table)?;
        let body_len: usize = table.iter().map(|&s| usize::from(s)).sum();
        let mut body = vec![0u8; body_len];
        self.input.read_exact(&mut body)?;
        self.offset += (27 + segments + body_len) as u64;
        // Only the first logical stream (a chained or multiplexed file's
        // others are not ours to send).
        if *self.serial.get_or_insert(serial) != serial {
            return Ok(true);
        }
        if header_type & 0x01 == 0 {
            // Not a continuation: a half packet left over was never finished.
            self.partial.clear();
        }
        let mut at = 0;
        for &lace in &table {
            let end = at + usize::from(lace);
            self.partial.extend_from_slice(&body[at..end]);
            at = end;
            if lace < 255 {
                self.ready.push_back(std::mem::take(&mut self.partial));
            }
        }
        if header_type & 0x04 != 0 {
            self.done = true; // end of stream
        }
        Ok(true)
    }
}

fn read_full(input: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match input.read(&mut buf[got..])? {
            0 => break,
            n => got += n,
        }
    }
    Ok(got)
}

/// How much audio one Opus packet holds, from its TOC byte (RFC 6716 §3.1).
/// `None` for an empty or malformed packet.
pub fn packet_duration(packet: &[u8]) -> Option<Duration> {
    let toc = *packet.first()?;
    let config = toc >> 3;
    // Frame size in tenths of a millisecond.
    let frame: u64 = match config {
        0..=11 => [100, 200, 400, 600][usize::from(config % 4)],
        12..=15 => [100, 200][usize::from(config % 2)],
        _ => [25, 50, 100, 200][usize::from(config % 4)],
    };
    let frames: u64 = match toc & 0x03 {
        0 => 1,
        1 | 2 => 2,
        _ => u64::from(*packet.get(1)? & 0x3F),
    };
    let total = frame * frames;
    // RFC 6716: a packet holds at most 120 ms.
    (total > 0 && total <= 1_200).then(|| Duration::from_micros(total * 100))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;
    use std::process::Command;

    fn packets(path: &Path) -> Vec<Vec<u8>> {
        let mut reader = OpusPackets::new(std::fs::File::open(path).expect("open"));
        let mut out = Vec::new();
        while let Some(p) = reader.next_packet().expect("readable") {
            out.push(p);
        }
        out
    }

    fn ffprobe_value(path: &Path, args: &[&str]) -> String {
        let out = Command::new("ffprobe")
            .args(["-v", "error"])
            .args(args)
            .args(["-of", "csv=p=0"])
            .arg(path)
            .output()
            .expect("ffprobe (Debian's ffmpeg) is installed");
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// What ffprobe counts in the file: (packets, duration in ms).
    fn ffprobe(path: &Path) -> (usize, u64) {
        let count = ffprobe_value(
            path,
            &[
                "-count_packets",
                "-select_streams",
                "a",
                "-show_entries",
                "stream=nb_read_packets",
            ],
        );
        let secs: f64 = ffprobe_value(path, &["-show_entries", "format=duration"])
            .parse()
            .expect("a duration");
        (
            count.parse().expect("a count"),
            (secs * 1000.0).round() as u64,
        )
    }

    fn check(path: &Path) {
        let got = packets(path);
        let (count, ms) = ffprobe(path);
        assert_eq!(got.len(), count, "packets in {}", path.display());
        let total: Duration = got
            .iter()
            .map(|p| packet_duration(p).expect("a test fixture"))
            .sum();
        // The container's duration trims the encoder's pre-skip (6.5 ms).
        let diff = (total.as_millis() as i64 - ms as i64).abs();
        assert!(
            diff <= 40,
            "{} ms of packets against {ms} ms",
            total.as_millis()
        );
        assert!(got.iter().all(|p| p.len() < 1500), "packets, not pages");
    }

    #[test]
    fn reads_packets_of_ffmpegs_default_muxing() {
        let dir = tempfile::tempdir().expect("a test fixture");
        let path = dir.path().join("default.ogg");
        let status = Command::new("ffmpeg")
            .args(["-hide_banner", "-loglevel", "error", "-f", "lavfi"])
            .args(["-i", "sine=frequency=440:sample_rate=48000", "-t", "5"])
            .args(["-c:a", "libopus", "-b:a", "48k"])
            .arg(&path)
            .status()
            .expect("ffmpeg");
        assert!(status.success());
        check(&path);
        // 5 s of 20 ms packets, and one more for the encoder's pre-skip.
        assert!((250..=251).contains(&packets(&path).len()));
    }

    #[test]
    fn reads_packets_of_opusenc() {
        let dir = tempfile::tempdir().expect("a test fixture");
        let wav = dir.path().join("tone.wav");
        let ogg = dir.path().join("opusenc.ogg");
        let status = Command::new("ffmpeg")
            .args(["-hide_banner", "-loglevel", "error", "-f", "lavfi"])
            .args(["-i", "sine=frequency=300:sample_rate=48000", "-t", "3"])
            .arg(&wav)
            .status()
            .expect("ffmpeg");
        assert!(status.success());
        let status = Command::new("opusenc")
            .args(["--quiet", "--framesize", "40"])
            .arg(&wav)
            .arg(&ogg)
            .status()
            .expect("opusenc (Debian's opus-tools) is installed");
        assert!(status.success());
        check(&ogg);
        let durations: Vec<_> = packets(&ogg).iter().map(|p| packet_duration(p)).collect();
        // Two 20 ms CELT frames a packet; the last may be shorter.
        let (_last, whole) = durations.split_last().expect("packets");
        assert!(whole.iter().all(|d| *d == Some(Duration::from_millis(40))));
    }

    #[test]
    fn a_packet_spanning_two_pages_is_one_packet() {
        // Page 1: OpusHead, OpusTags; page 2: 300 bytes begun (255 + 45 in
        // two pages); page 3 continues and ends it.
        fn page(flags: u8, serial: u32, table: &[u8], body: &[u8]) -> Vec<u8> {
            let mut p = b"OggS\0".to_vec();
            p.push(flags);
            p.extend_from_slice(&[0; 8]);
            p.extend_from_slice(&serial.to_le_bytes());
            p.extend_from_slice(&[0; 8]);
            p.push(table.len() as u8);
            p.extend_from_slice(table);
            p.extend_from_slice(body);
            p
        }
        let mut file = page(2, 7, &[8, 8], b"OpusHeadOpusTags");
        file.extend(page(0, 7, &[255], &[0x78; 255]));
        file.extend(page(
            1,
            7,
            &[45, 3],
            &[[0x78; 45].as_slice(), &[0x78; 3]].concat(),
        ));
        let mut reader = OpusPackets::new(file.as_slice());
        assert_eq!(
            reader
                .next_packet()
                .expect("a test fixture")
                .expect("a test fixture")
                .len(),
            300
        );
        assert_eq!(
            reader
                .next_packet()
                .expect("a test fixture")
                .expect("a test fixture")
                .len(),
            3
        );
        assert!(reader.next_packet().expect("a test fixture").is_none());
    }

    #[test]
    fn bad_files_are_errors_not_panics() {
        assert!(matches!(
            OpusPackets::new(&b"RIFF0000WAVEfmt garbage here...."[..]).next_packet(),
            Err(OggError::NotOgg(0))
        ));
        assert!(OpusPackets::new(&b""[..])
            .next_packet()
            .expect("a test fixture")
            .is_none());
        assert_eq!(packet_duration(&[]), None);
        assert_eq!(packet_duration(&[0x78]), Some(Duration::from_millis(20)));
        assert_eq!(
            packet_duration(&[0x7B, 0x03]),
            Some(Duration::from_millis(60))
        );
    }
}
