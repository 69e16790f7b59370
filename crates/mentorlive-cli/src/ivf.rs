//! IVF, the simple VP8 container: a 32-byte file header, then frames of
//! `size u32, timestamp u64, data`, all little-endian.

use std::io::{self, Read, Write};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IvfHeader {
    pub width: u16,
    pub height: u16,
    pub timebase_den: u32,
    pub timebase_num: u32,
}

pub struct IvfReader<R> {
    inner: R,
    pub header: IvfHeader,
}

fn u16_at(b: &[u8], i: usize) -> u16 {
    u16::from_le_bytes([b[i], b[i + 1]])
}

fn u32_at(b: &[u8], i: usize) -> u32 {
    u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]])
}

impl<R: Read> IvfReader<R> {
    pub fn new(mut inner: R) -> io::Result<Self> {
        let mut h = [0u8; 32];
        inner.read_exact(&mut h)?;
        if &h[0..4] != b"DKIF" {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "not an IVF file (no DKIF signature)",
            ));
        }
        if &h[8..12] != b"VP80" {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "the IVF file is not VP8",
            ));
        }
        let header = IvfHeader {
            width: u16_at(&h, 12),
            height: u16_at(&h, 14),
            timebase_den: u32_at(&h, 16).max(1),
            timebase_num: u32_at(&h, 20).max(1),
        };
        let skip = u64::from(u16_at(&h, 6).saturating_sub(32));
        io::copy(&mut (&mut inner).take(skip), &mut io::sink())?;
        Ok(IvfReader { inner, header })
    }

    /// The next frame and its timestamp, or `None` at the end.
    pub fn next_frame(&mut self) -> io::Result<Option<(Vec<u8>, u64)>> {
        let mut h = [0u8; 12];
        match self.inner.read_exact(&mut h) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
            Err(e) => return Err(e),
        }
        let size = u32_at(&h, 0) as usize;
        if size > 16 << 20 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "an IVF frame over 16 MiB",
            ));
        }
        let ts = u64::from_le_bytes([h[4], h[5], h[6], h[7], h[8], h[9], h[10], h[11]]);
        let mut data = vec![0u8; size];
        self.inner.read_exact(&mut data)?;
        Ok(Some((data, ts)))
    }
}

pub struct IvfWriter<W: Write> {
    inner: W,
}

impl<W: Write> IvfWriter<W> {
    /// A VP8 IVF with the given timebase (e.g. 1/90000 for RTP timestamps).
    pub fn new(
        mut inner: W,
        width: u16,
        height: u16,
        timebase_den: u32,
        timebase_num: u32,
    ) -> io::Result<Self> {
        let mut h = Vec::with_capacity(32);
        h.extend_from_slice(b"DKIF");
        h.extend_from_slice(&0u16.to_le_bytes());
        h.extend_from_slice(&32u16.to_le_bytes());
        h.extend_from_slice(b"VP80");
        h.extend_from_slice(&width.to_le_bytes());
        h.extend_from_slice(&height.to_le_bytes());
        h.extend_from_slice(&timebase_den.to_le_bytes());
        h.extend_from_slice(&timebase_num.to_le_bytes());
        h.extend_from_slice(&0u32.to_le_bytes());
        h.extend_from_slice(&0u32.to_le_bytes());
        inner.write_all(&h)?;
        Ok(IvfWriter { inner })
    }

    pub fn write_frame(&mut self, data: &[u8], timestamp: u64) -> io::Result<()> {
        self.inner.write_all(&(data.len() as u32).to_le_bytes())?;
        self.inner.write_all(&timestamp.to_le_bytes())?;
        self.inner.write_all(data)?;
        Ok(())
    }

    pub fn finish(mut self) -> io::Result<W> {
        self.inner.flush()?;
        Ok(self.inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_frames() {
        let mut w = IvfWriter::new(Vec::new(), 640, 480, 90_000, 1).expect("header");
        w.write_frame(&[0x10, 1, 2], 0).expect("frame");
        w.write_frame(&[0x31, 4], 3000).expect("frame");
        let bytes = w.finish().expect("finish");
        let mut r = IvfReader::new(&bytes[..]).expect("reader");
        assert_eq!(
            r.header,
            IvfHeader {
                width: 640,
                height: 480,
                timebase_den: 90_000,
                timebase_num: 1
            }
        );
        assert_eq!(r.next_frame().expect("read"), Some((vec![0x10, 1, 2], 0)));
        assert_eq!(r.next_frame().expect("read"), Some((vec![0x31, 4], 3000)));
        assert_eq!(r.next_frame().expect("read"), None);
        assert!(IvfReader::new(&b"nope"[..]).is_err());
    }
}
