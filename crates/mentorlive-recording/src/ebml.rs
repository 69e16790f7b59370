//! EBML, the binary format under Matroska and WebM: each element is an ID,
//! a size and a body, IDs and sizes as variable-length integers. Only what
//! a WebM writer and its repair need.

/// Element IDs (Matroska specification, RFC 9559).
pub mod id {
    pub const EBML: u32 = 0x1A45_DFA3;
    pub const EBML_VERSION: u32 = 0x4286;
    pub const EBML_READ_VERSION: u32 = 0x42F7;
    pub const EBML_MAX_ID_LENGTH: u32 = 0x42F2;
    pub const EBML_MAX_SIZE_LENGTH: u32 = 0x42F3;
    pub const DOC_TYPE: u32 = 0x4282;
    pub const DOC_TYPE_VERSION: u32 = 0x4287;
    pub const DOC_TYPE_READ_VERSION: u32 = 0x4285;
    pub const SEGMENT: u32 = 0x1853_8067;
    pub const SEEK_HEAD: u32 = 0x114D_9B74;
    pub const SEEK: u32 = 0x4DBB;
    pub const SEEK_ID: u32 = 0x53AB;
    pub const SEEK_POSITION: u32 = 0x53AC;
    pub const INFO: u32 = 0x1549_A966;
    pub const TIMESTAMP_SCALE: u32 = 0x2A_D7B1;
    pub const DURATION: u32 = 0x4489;
    pub const MUXING_APP: u32 = 0x4D80;
    pub const WRITING_APP: u32 = 0x5741;
    pub const TITLE: u32 = 0x7BA9;
    pub const DATE_UTC: u32 = 0x4461;
    pub const TRACKS: u32 = 0x1654_AE6B;
    pub const TRACK_ENTRY: u32 = 0xAE;
    pub const TRACK_NUMBER: u32 = 0xD7;
    pub const TRACK_UID: u32 = 0x73C5;
    pub const TRACK_TYPE: u32 = 0x83;
    pub const FLAG_LACING: u32 = 0x9C;
    pub const FLAG_DEFAULT: u32 = 0x88;
    pub const NAME: u32 = 0x536E;
    pub const CODEC_ID: u32 = 0x86;
    pub const CODEC_PRIVATE: u32 = 0x63A2;
    pub const CODEC_DELAY: u32 = 0x56AA;
    pub const SEEK_PRE_ROLL: u32 = 0x56BB;
    pub const VIDEO: u32 = 0xE0;
    pub const PIXEL_WIDTH: u32 = 0xB0;
    pub const PIXEL_HEIGHT: u32 = 0xBA;
    pub const AUDIO: u32 = 0xE1;
    pub const SAMPLING_FREQUENCY: u32 = 0xB5;
    pub const CHANNELS: u32 = 0x9F;
    pub const CLUSTER: u32 = 0x1F43_B675;
    pub const TIMESTAMP: u32 = 0xE7;
    pub const SIMPLE_BLOCK: u32 = 0xA3;
    pub const CUES: u32 = 0x1C53_BB6B;
    pub const CUE_POINT: u32 = 0xBB;
    pub const CUE_TIME: u32 = 0xB3;
    pub const CUE_TRACK_POSITIONS: u32 = 0xB7;
    pub const CUE_TRACK: u32 = 0xF7;
    pub const CUE_CLUSTER_POSITION: u32 = 0xF1;
    pub const VOID: u32 = 0xEC;
    pub const TAGS: u32 = 0x1254_C367;
    pub const TAG: u32 = 0x7373;
    pub const TARGETS: u32 = 0x63C0;
    pub const SIMPLE_TAG: u32 = 0x67C8;
    pub const TAG_NAME: u32 = 0x45A3;
    pub const TAG_STRING: u32 = 0x4487;
}

/// A size of eight bytes that says "unknown": the element runs until
/// something that cannot be inside it. Live writers use it, so that what is
/// written is readable before the size is.
pub const UNKNOWN_SIZE: [u8; 8] = [0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF];

/// An ID as it is written (its marker bits are part of it).
pub fn id_bytes(id: u32) -> Vec<u8> {
    let bytes = id.to_be_bytes();
    let skip = bytes.iter().take_while(|b| **b == 0).count().min(3);
    bytes[skip..].to_vec()
}

/// The shortest encoding of a size.
pub fn size_bytes(size: u64) -> Vec<u8> {
    // A length-n vint holds 7n bits; all ones is reserved for "unknown".
    for len in 1..=8u32 {
        let max = (1u64 << (7 * len)) - 1;
        if size < max {
            let mut out = size.to_be_bytes()[(8 - len as usize)..].to_vec();
            out[0] |= 0x80 >> (len - 1);
            return out;
        }
    }
    size8(size).to_vec()
}

/// A size in exactly eight bytes, to be patched in place later.
pub fn size8(size: u64) -> [u8; 8] {
    let mut out = size.to_be_bytes();
    out[0] = 0x01;
    out
}

pub fn element(id: u32, body: &[u8]) -> Vec<u8> {
    let mut out = id_bytes(id);
    out.extend(size_bytes(body.len() as u64));
    out.extend_from_slice(body);
    out
}

pub fn uint(id: u32, value: u64) -> Vec<u8> {
    let bytes = value.to_be_bytes();
    let skip = bytes.iter().take_while(|b| **b == 0).count().min(7);
    element(id, &bytes[skip..])
}

pub fn int(id: u32, value: i64) -> Vec<u8> {
    element(id, &value.to_be_bytes())
}

pub fn float(id: u32, value: f64) -> Vec<u8> {
    element(id, &value.to_be_bytes())
}

pub fn string(id: u32, value: &str) -> Vec<u8> {
    element(id, value.as_bytes())
}

pub fn master(id: u32, children: &[Vec<u8>]) -> Vec<u8> {
    element(id, &children.concat())
}

/// A Void element of exactly `total` bytes (at least 2), to fill a gap.
pub fn void(total: usize) -> Vec<u8> {
    debug_assert!(total >= 2);
    let mut out = vec![0xEC];
    if total - 2 < 127 {
        out.extend(size_bytes((total - 2) as u64));
    } else {
        out.extend(size8((total - 9) as u64));
    }
    out.resize(total, 0);
    out
}

/// Reads an ID at the start of `buf`: (id, its length).
pub fn read_id(buf: &[u8]) -> Option<(u32, usize)> {
    let first = *buf.first()?;
    let len = first.leading_zeros() as usize + 1;
    if len > 4 || buf.len() < len {
        return None;
    }
    let id = buf[..len]
        .iter()
        .fold(0u32, |acc, b| (acc << 8) | u32::from(*b));
    Some((id, len))
}

/// Reads a size at the start of `buf`: (`None` for unknown, its length).
pub fn read_size(buf: &[u8]) -> Option<(Option<u64>, usize)> {
    let first = *buf.first()?;
    let len = first.leading_zeros() as usize + 1;
    if len > 8 || buf.len() < len {
        return None;
    }
    let mask = if len == 8 { 0 } else { 0xFFu8 >> len };
    let mut value = u64::from(first & mask);
    let mut all_ones = first & mask == mask;
    for b in &buf[1..len] {
        value = (value << 8) | u64::from(*b);
        all_ones &= *b == 0xFF;
    }
    Some((if all_ones { None } else { Some(value) }, len))
}

/// An unsigned integer body.
pub fn read_uint(body: &[u8]) -> u64 {
    body.iter()
        .take(8)
        .fold(0, |acc, b| (acc << 8) | u64::from(*b))
}

/// A float body (4 or 8 bytes).
pub fn read_float(body: &[u8]) -> Option<f64> {
    match body.len() {
        4 => Some(f64::from(f32::from_be_bytes(body.try_into().ok()?))),
        8 => Some(f64::from_be_bytes(body.try_into().ok()?)),
        _ => None,
    }
}

/// The children of a master element's body: (id, body) for each whole one.
pub fn children(body: &[u8]) -> Vec<(u32, &[u8])> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some((id, id_len)) = read_id(&body[at..]) {
        let Some((Some(size), size_len)) = read_size(&body[at + id_len..]) else {
            break;
        };
        let start = at + id_len + size_len;
        let Some(end) = usize::try_from(size)
            .ok()
            .and_then(|s| start.checked_add(s))
        else {
            break;
        };
        if end > body.len() {
            break;
        }
        out.push((id, &body[start..end]));
        at = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_ids_round_trip() {
        for size in [0u64, 1, 126, 127, 128, 16_382, 16_383, 1 << 20, 1 << 40] {
            let bytes = size_bytes(size);
            assert_eq!(read_size(&bytes), Some((Some(size), bytes.len())), "{size}");
        }
        assert_eq!(read_size(&UNKNOWN_SIZE), Some((None, 8)));
        assert_eq!(read_size(&size8(300)), Some((Some(300), 8)));
        assert_eq!(read_size(&[0xFF]), Some((None, 1)), "all ones is unknown");
        assert_eq!(id_bytes(id::SEGMENT), vec![0x18, 0x53, 0x80, 0x67]);
        assert_eq!(
            read_id(&[0x1F, 0x43, 0xB6, 0x75, 0]),
            Some((id::CLUSTER, 4))
        );
        assert_eq!(read_id(&[0xA3]), Some((id::SIMPLE_BLOCK, 1)));
        assert_eq!(read_id(&[0x00]), None, "no ID starts with a zero byte");
    }

    #[test]
    fn void_fills_exactly() {
        for total in [2usize, 9, 128, 129, 130, 4000] {
            let v = void(total);
            assert_eq!(v.len(), total);
            let (id, id_len) = read_id(&v).expect("an id");
            let (size, size_len) = read_size(&v[id_len..]).expect("a size");
            assert_eq!(id, id::VOID);
            assert_eq!(size, Some((total - id_len - size_len) as u64), "{total}");
        }
    }

    #[test]
    fn children_stop_at_a_cut() {
        let body = [uint(id::TRACK_NUMBER, 3), string(id::CODEC_ID, "V_VP8")].concat();
        let kids = children(&body);
        assert_eq!(kids.len(), 2);
        assert_eq!(read_uint(kids[0].1), 3);
        assert_eq!(children(&body[..body.len() - 1]).len(), 1);
    }
}
