//! VP8 frames from RTP packets, as soon as their last packet arrives.
//!
//! The crate's sample builder waits for the first packet of the *next* frame
//! before it gives a frame out (to learn its duration): a whole frame interval
//! of added latency. This assembler gives a frame out the moment it is
//! complete (first packet with the start bit through the marker packet, no
//! gap), and holds later frames only while an earlier one may still be
//! repaired by a retransmission. No I/O: packets and instants in, frames out.

use bytes::{Bytes, BytesMut};
use rtc::rtp::codec::vp8::Vp8Packet;
use rtc::rtp::packetizer::Depacketizer;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// How long a complete frame waits for an incomplete earlier one (NACK round
/// trips on a bad network) before the earlier one is given up.
pub const REPAIR_WAIT: Duration = Duration::from_millis(250);
/// Packets kept at most; older ones are dropped (a stalled stream).
const MAX_PACKETS: usize = 2048;

#[derive(Debug, Clone, PartialEq)]
pub struct Frame {
    pub data: Bytes,
    pub rtp_timestamp: u32,
    /// Frames given up before this one (their packets never all arrived).
    pub frames_lost_before: u32,
}

struct Packet {
    timestamp: u32,
    marker: bool,
    payload: Bytes,
}

#[derive(Default)]
pub struct Vp8Assembler {
    /// By extended sequence number.
    packets: BTreeMap<u64, Packet>,
    last_ext_seq: Option<u64>,
    /// The extended sequence number the next frame must start at, once known.
    next_seq: Option<u64>,
    /// When a later frame was first seen complete while this one was not.
    blocked_since: Option<Instant>,
    lost: u32,
}

fn is_frame_start(payload: &[u8]) -> bool {
    // S bit set and partition id 0.
    payload
        .first()
        .is_some_and(|b| b & 0x10 != 0 && b & 0x0f == 0)
}

impl Vp8Assembler {
    fn extend(&mut self, seq: u16) -> u64 {
        let ext = match self.last_ext_seq {
            None => u64::from(seq) + (1 << 32),
            Some(last) => {
                let base = last & !0xffff;
                let candidates = [base.wrapping_sub(1 << 16), base, base + (1 << 16)];
                candidates
                    .into_iter()
                    .map(|b| b + u64::from(seq))
                    .min_by_key(|c| c.abs_diff(last))
                    .unwrap_or(base + u64::from(seq))
            }
        };
        if self.last_ext_seq.is_none_or(|last| ext > last) {
            self.last_ext_seq = Some(ext);
        }
        ext
    }

    pub fn push(&mut self, seq: u16, timestamp: u32, marker: bool, payload: Bytes) {
        let ext = self.extend(seq);
        if self.next_seq.is_some_and(|next| ext < next) {
            return; // A late duplicate of something already given out.
        }
        self.packets.insert(
            ext,
            Packet {
                timestamp,
                marker,
                payload,
            },
        );
        while self.packets.len() > MAX_PACKETS {
            self.packets.pop_first();
        }
    }

    /// The complete frame starting at `start`, as (last seq, frame).
    fn complete_from(&self, start: u64) -> Option<(u64, u32)> {
        let first = self.packets.get(&start)?;
        if !is_frame_start(&first.payload) {
            return None;
        }
        let mut seq = start;
        loop {
            let packet = self.packets.get(&seq)?;
            if packet.timestamp != first.timestamp {
                return None;
            }
            if packet.marker {
                return Some((seq, first.timestamp));
            }
            seq += 1;
        }
    }

    fn take(&mut self, start: u64, end: u64, timestamp: u32) -> Option<Frame> {
        let mut data = BytesMut::new();
        let mut depacketizer = Vp8Packet::default();
        for seq in start..=end {
            let packet = self.packets.remove(&seq)?;
            match depacketizer.depacketize(&packet.payload) {
                Ok(part) => data.extend_from_slice(&part),
                Err(_) => return None,
            }
        }
        let lost = std::mem::take(&mut self.lost);
        Some(Frame {
            data: data.freeze(),
            rtp_timestamp: timestamp,
            frames_lost_before: lost,
        })
    }

    /// The next frame ready at `now`, if any. Call until `None`.
    pub fn pop(&mut self, now: Instant) -> Option<Frame> {
        loop {
            let start = match self.next_seq {
                Some(next) => next,
                None => {
                    *self
                        .packets
                        .iter()
                        .find(|(_, p)| is_frame_start(&p.payload))?
                        .0
                }
            };
            if let Some((end, ts)) = self.complete_from(start) {
                self.next_seq = Some(end + 1);
                self.blocked_since = None;
                let frame = self.take(start, end, ts);
                // Anything older is of frames already given out or given up.
                self.packets.retain(|seq, _| *seq > end);
                if let Some(frame) = frame {
                    return Some(frame);
                }
                self.lost += 1;
                continue;
            }
            // The frame at `start` is not complete. Is a later one?
            let later = self
                .packets
                .range(start + 1..)
                .filter(|(_, p)| is_frame_start(&p.payload))
                .map(|(seq, _)| *seq)
                .find(|seq| self.complete_from(*seq).is_some())?;
            let since = *self.blocked_since.get_or_insert(now);
            if now.duration_since(since) < REPAIR_WAIT {
                return None;
            }
            // Give up what lies before the later complete frame.
            self.packets.retain(|seq, _| *seq >= later);
            self.lost += 1;
            self.next_seq = Some(later);
            self.blocked_since = None;
        }
    }

    /// When `pop` should be called again even without new packets.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.blocked_since.map(|t| t + REPAIR_WAIT)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A frame of `parts` packets, starting at `seq`; descriptor byte 0x10 on the first.
    fn frame(a: &mut Vp8Assembler, seq: u16, ts: u32, parts: u8, skip: Option<u16>) {
        for i in 0..parts {
            let s = seq.wrapping_add(u16::from(i));
            if Some(s) == skip {
                continue;
            }
            let descriptor = if i == 0 { 0x10 } else { 0x00 };
            a.push(
                s,
                ts,
                i + 1 == parts,
                Bytes::from(vec![descriptor, i, i, i, i]),
            );
        }
    }

    #[test]
    fn a_frame_comes_out_as_soon_as_its_marker_packet_arrives() {
        let mut a = Vp8Assembler::default();
        let t = Instant::now();
        frame(&mut a, 10, 3000, 3, None);
        let f = a.pop(t).expect("complete");
        assert_eq!(f.rtp_timestamp, 3000);
        assert_eq!(f.data.len(), 3 * 4);
        assert!(a.pop(t).is_none());
    }

    #[test]
    fn out_of_order_packets_wait_for_each_other() {
        let mut a = Vp8Assembler::default();
        let t = Instant::now();
        a.push(11, 3000, false, Bytes::from_static(&[0x00, 1, 1, 1]));
        a.push(12, 3000, true, Bytes::from_static(&[0x00, 2, 2, 2]));
        assert!(a.pop(t).is_none());
        a.push(10, 3000, false, Bytes::from_static(&[0x10, 0, 0, 0]));
        assert_eq!(
            a.pop(t).expect("complete").data.as_ref(),
            &[0, 0, 0, 1, 1, 1, 2, 2, 2]
        );
    }

    #[test]
    fn a_lost_packet_holds_later_frames_briefly_then_is_given_up() {
        let mut a = Vp8Assembler::default();
        let t = Instant::now();
        frame(&mut a, 1, 0, 2, None);
        assert!(a.pop(t).is_some());
        frame(&mut a, 3, 3000, 3, Some(4)); // packet 4 lost
        frame(&mut a, 6, 6000, 2, None);
        assert!(a.pop(t).is_none(), "held for a retransmission");
        assert_eq!(a.poll_timeout(), Some(t + REPAIR_WAIT));
        // The retransmission arrives in time: both frames, in order.
        a.push(4, 3000, false, Bytes::from_static(&[0x00, 9, 9, 9]));
        assert_eq!(a.pop(t).expect("repaired").rtp_timestamp, 3000);
        assert_eq!(a.pop(t).expect("next").rtp_timestamp, 6000);

        frame(&mut a, 8, 9000, 3, Some(9));
        frame(&mut a, 11, 12000, 2, None);
        assert!(a.pop(t + Duration::from_millis(100)).is_none());
        let f = a
            .pop(t + Duration::from_millis(100) + REPAIR_WAIT)
            .expect("given up, moved on");
        assert_eq!((f.rtp_timestamp, f.frames_lost_before), (12000, 1));
    }

    #[test]
    fn sequence_numbers_wrap() {
        let mut a = Vp8Assembler::default();
        let t = Instant::now();
        frame(&mut a, 65534, 0, 4, None);
        assert_eq!(a.pop(t).expect("across the wrap").data.len(), 16);
        frame(&mut a, 2, 3000, 1, None);
        assert_eq!(a.pop(t).expect("after").rtp_timestamp, 3000);
    }
}
