//! Our pacer, in the chain's pacer slot in place of the `rtc` crate's: the
//! same leaky bucket, with sound first and the video queue's length told.
//!
//! Why not the crate's: it is one FIFO with a limit of 4,096 packets. On a
//! narrow link a packet of sound waited behind every video packet queued
//! before it (a keyframe: tens of packets), and when the target fell under
//! what the encoder could make, the queue grew to seconds and every frame
//! arrived seconds late (docs/reliability.md, "Narrow links"). Here sound
//! leaves at once, charged to the same budget so video yields to it, and
//! how long the queued video will take to leave is published as
//! [`Backlog`], which the pumps read to stop adding frames behind a long
//! queue (`shedding.rs`).

use rtc::interceptor::{Attribute, Interceptor, Pacer, Packet, StreamInfo, TaggedPacket};
use rtc::sansio::Protocol;
use rtc::shared::marshal::MarshalSize;
use std::collections::{HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Packets held before new ones are refused, as the crate's pacer: a
/// bound on memory only; the pumps keep the queue far shorter.
const QUEUE_LIMIT: usize = 4096;

/// How long the video queued in the pacer will take to leave at the pacing
/// rate now, shared with the pumps (in microseconds).
#[derive(Debug, Default)]
pub struct Backlog(AtomicU64);

impl Backlog {
    pub fn get(&self) -> Duration {
        Duration::from_micros(self.0.load(Ordering::Relaxed))
    }

    fn set(&self, backlog: Duration) {
        self.0.store(
            u64::try_from(backlog.as_micros()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
    }
}

/// Whether the latest transport feedback found the link full (a queue
/// standing on it, or most of what we send dropped: delivery.rs), shared
/// from congestion control with the pacer.
#[derive(Debug, Default)]
pub struct LinkFull(AtomicBool);

impl LinkFull {
    pub fn get(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    pub fn set(&self, full: bool) {
        self.0.store(full, Ordering::Relaxed);
    }
}

/// Releases video at the congestion controller's pacing rate and sound at
/// once; RTCP is not paced.
pub struct MediaPacer {
    bucket: Pacer,
    /// Our streams of sound, from their binding (their MIME type).
    sound_ssrcs: HashSet<u32>,
    video: VecDeque<(TaggedPacket, f64)>,
    video_bits: f64,
    backlog: Arc<Backlog>,
    link_full: Arc<LinkFull>,
    released: VecDeque<TaggedPacket>,
    read: VecDeque<TaggedPacket>,
}

impl MediaPacer {
    pub fn new(bits_per_second: f64, backlog: Arc<Backlog>, link_full: Arc<LinkFull>) -> Self {
        Self {
            bucket: Pacer::new(bits_per_second),
            sound_ssrcs: HashSet::new(),
            video: VecDeque::new(),
            video_bits: 0.0,
            backlog,
            link_full,
            released: VecDeque::new(),
            read: VecDeque::new(),
        }
    }

    fn bits_of(packet: &TaggedPacket) -> f64 {
        match &packet.message.packet {
            Packet::Rtp(rtp) => (rtp.marshal_size() * 8) as f64,
            // RTCP, and whatever else may ride the chain: not paced.
            _ => 0.0,
        }
    }

    fn is_sound(&self, packet: &TaggedPacket) -> bool {
        matches!(&packet.message.packet, Packet::Rtp(rtp) if self.sound_ssrcs.contains(&rtp.header.ssrc))
    }

    /// A retransmission is worth queueing only behind a short queue, and
    /// only once. The partner asks again every 20 ms until the packet
    /// comes (peer.rs); queued behind a long queue, each request added a
    /// copy, and after a second of congestion the copies held the queue
    /// for many seconds. Behind a long queue the pump is dropping frames
    /// and will start again from a keyframe, which makes the repair moot.
    /// Nor onto a full link: what it lost, it dropped for want of room,
    /// and a copy only takes the room of the next packet, sound included
    /// (on a 500 kbit/s link, copies kept its buffer full for seconds after
    /// the encoder had come down to 280 kbit/s).
    fn worth_resending(&self, msg: &TaggedPacket) -> bool {
        let Packet::Rtp(rtp) = &msg.message.packet else {
            return true;
        };
        if self.backlog.get() > crate::shedding::SHED_ABOVE || self.link_full.get() {
            return false;
        }
        let (ssrc, seq) = (rtp.header.ssrc, rtp.header.sequence_number);
        !self.video.iter().any(|(queued, _)| {
            matches!(&queued.message.packet, Packet::Rtp(q) if q.header.ssrc == ssrc && q.header.sequence_number == seq)
        })
    }

    fn publish(&self) {
        let rate = self.bucket.target_bitrate();
        let backlog = if self.video_bits <= 0.0 {
            Duration::ZERO
        } else if rate <= 0.0 {
            Duration::MAX
        } else {
            Duration::from_secs_f64((self.video_bits / rate).min(3600.0))
        };
        self.backlog.set(backlog);
    }

    /// Releases what the budget affords at `now`, oldest video first.
    fn release(&mut self, now: Instant) {
        self.bucket.refill(now);
        while let Some((_, bits)) = self.video.front() {
            if !self.bucket.can_release(*bits) {
                break;
            }
            let Some((mut packet, bits)) = self.video.pop_front() else {
                break;
            };
            self.bucket.consume(bits);
            self.video_bits -= bits;
            // It departs now: the send history congestion control reads
            // must see the release, not the queueing.
            packet.now = now;
            self.released.push_back(packet);
        }
        if self.video.is_empty() {
            self.video_bits = 0.0;
        }
        self.publish();
    }
}

impl Protocol<TaggedPacket, TaggedPacket, ()> for MediaPacer {
    type Rout = TaggedPacket;
    type Wout = TaggedPacket;
    type Eout = ();
    type Error = rtc::shared::error::Error;
    type Time = Instant;

    fn handle_read(&mut self, msg: TaggedPacket) -> Result<(), Self::Error> {
        // The congestion controller's rate rides inbound feedback past here
        // (it sits wire-most), as for the crate's pacer.
        if let Some(Attribute::TargetBitrateChanged { bits_per_second }) =
            msg.message.get(&Attribute::TargetBitrateChanged {
                bits_per_second: 0.0,
            })
        {
            self.bucket.set_target_bitrate(*bits_per_second);
            self.publish();
        }
        self.read.push_back(msg);
        Ok(())
    }

    fn poll_read(&mut self) -> Option<TaggedPacket> {
        self.read.pop_front()
    }

    fn handle_write(&mut self, msg: TaggedPacket) -> Result<(), Self::Error> {
        let bits = Self::bits_of(&msg);
        if bits == 0.0 {
            // RTCP: only useful fresh, so never held.
            self.released.push_back(msg);
            return Ok(());
        }
        if self.is_sound(&msg) {
            // Sound at once, charged to the budget so video waits instead.
            self.bucket.refill(msg.now);
            self.bucket.consume(bits);
            self.released.push_back(msg);
            return Ok(());
        }
        if msg.message.has(&Attribute::Retransmission) && !self.worth_resending(&msg) {
            return Ok(());
        }
        if self.video.len() >= QUEUE_LIMIT {
            // Refused, as the crate's pacer does: the pumps keep the queue
            // far shorter, so this bounds memory only.
            return Ok(());
        }
        let now = msg.now;
        self.video_bits += bits;
        self.video.push_back((msg, bits));
        self.release(now);
        Ok(())
    }

    fn poll_write(&mut self) -> Option<TaggedPacket> {
        self.released.pop_front()
    }

    fn handle_timeout(&mut self, now: Instant) -> Result<(), Self::Error> {
        self.release(now);
        Ok(())
    }

    fn poll_timeout(&mut self) -> Option<Instant> {
        let (_, bits) = self.video.front()?;
        self.bucket.releasable_at(*bits)
    }
}

impl Interceptor for MediaPacer {
    fn bind_local_stream(&mut self, info: &StreamInfo) {
        if info.mime_type.to_ascii_lowercase().starts_with("audio/") {
            self.sound_ssrcs.insert(info.ssrc);
        }
    }

    fn unbind_local_stream(&mut self, info: &StreamInfo) {
        self.sound_ssrcs.remove(&info.ssrc);
    }

    fn bind_remote_stream(&mut self, _info: &StreamInfo) {}
    fn unbind_remote_stream(&mut self, _info: &StreamInfo) {}
}

#[cfg(test)]
mod tests {
    use super::*;
    use rtc::interceptor::AttributedPacket;
    use rtc::shared::TransportContext;

    fn tagged(now: Instant, packet: Packet) -> TaggedPacket {
        TaggedPacket {
            now,
            transport: TransportContext::default(),
            message: AttributedPacket::new(packet),
        }
    }

    fn rtp(ssrc: u32, seq: u16, payload: usize, now: Instant) -> TaggedPacket {
        let packet = rtc::rtp::Packet {
            header: rtc::rtp::header::Header {
                ssrc,
                sequence_number: seq,
                ..Default::default()
            },
            payload: vec![0u8; payload].into(),
        };
        tagged(now, Packet::Rtp(packet))
    }

    fn pacer(bps: f64) -> (MediaPacer, Arc<Backlog>) {
        let backlog = Arc::new(Backlog::default());
        let mut pacer = MediaPacer::new(bps, backlog.clone(), Arc::default());
        pacer.bind_local_stream(&StreamInfo {
            ssrc: 7,
            mime_type: "audio/opus".into(),
            ..Default::default()
        });
        (pacer, backlog)
    }

    fn drain(pacer: &mut MediaPacer) -> Vec<(u32, u16)> {
        std::iter::from_fn(|| pacer.poll_write())
            .filter_map(|p| match p.message.packet {
                Packet::Rtp(rtp) => Some((rtp.header.ssrc, rtp.header.sequence_number)),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn sound_overtakes_a_queued_keyframe_and_the_backlog_is_told() {
        // 500 kbit/s; a 30 kB keyframe (25 packets of 1,200 bytes) queued.
        let (mut pacer, backlog) = pacer(500_000.0);
        let start = Instant::now();
        for seq in 0..25 {
            pacer
                .handle_write(rtp(1, seq, 1200, start))
                .expect("the pacer takes it");
        }
        let first = drain(&mut pacer);
        assert!(first.len() < 25, "the bucket holds most back: {first:?}");
        // What is left takes about (25 − released) × 9,600 bits / 500 kbit/s.
        let left = (25 - first.len()) as f64 * (1200.0 + 12.0) * 8.0 / 500_000.0;
        let told = backlog.get().as_secs_f64();
        assert!((told - left).abs() < 0.01, "told {told} s, left {left} s");
        // A packet of sound now leaves at once, ahead of the queued video.
        pacer
            .handle_write(rtp(7, 0, 80, start))
            .expect("the pacer takes it");
        assert_eq!(drain(&mut pacer), vec![(7, 0)]);
        // The video follows at the rate, in order, and the backlog empties.
        let mut video = first;
        let mut now = start;
        while let Some(at) = pacer.poll_timeout() {
            now = at.max(now);
            pacer.handle_timeout(now).expect("the pacer takes it");
            video.extend(drain(&mut pacer));
        }
        assert_eq!(video, (0..25).map(|s| (1, s)).collect::<Vec<_>>());
        assert_eq!(backlog.get(), Duration::ZERO);
        let took = now.duration_since(start).as_secs_f64();
        assert!(
            (0.37..0.42).contains(&took),
            "30 kB at 500 kbit/s, less the first burst (0.1 s of it), plus the sound: {took} s"
        );
    }

    #[test]
    fn a_retransmission_is_queued_once_and_not_behind_a_long_queue_or_onto_a_full_link() {
        let (mut pacer, backlog) = pacer(250_000.0);
        let start = Instant::now();
        let resend = |seq| {
            let mut packet = rtp(1, seq, 1200, start);
            packet.message.add(Attribute::Retransmission);
            packet
        };
        // Two packets fill the first burst (25 kbit); the next ones queue.
        for seq in 0..6 {
            pacer
                .handle_write(rtp(1, seq, 1200, start))
                .expect("the pacer takes it");
        }
        assert_eq!(drain(&mut pacer), vec![(1, 0), (1, 1)]);
        let queued = |pacer: &MediaPacer| pacer.video.len();
        let before = queued(&pacer);
        // The partner asks for packet 0 again, three times (sent, lost).
        for _ in 0..3 {
            pacer.handle_write(resend(0)).expect("the pacer takes it");
        }
        assert_eq!(queued(&pacer), before + 1, "one copy queued");
        // And for packet 3, still queued: its original will do.
        pacer.handle_write(resend(3)).expect("the pacer takes it");
        assert_eq!(queued(&pacer), before + 1, "no copy of a queued packet");
        // While the feedback finds the link full: no copy.
        pacer.link_full.set(true);
        pacer.handle_write(resend(1)).expect("the pacer takes it");
        assert_eq!(queued(&pacer), before + 1, "not onto a full link");
        pacer.link_full.set(false);
        // A long queue (a lower rate): no copy at all.
        let mut feedback = tagged(start, Packet::Rtcp(vec![]));
        feedback.message.add(Attribute::TargetBitrateChanged {
            bits_per_second: 50_000.0,
        });
        pacer.handle_read(feedback).expect("the pacer takes it");
        assert!(backlog.get() > crate::shedding::SHED_ABOVE);
        pacer.handle_write(resend(1)).expect("the pacer takes it");
        assert_eq!(queued(&pacer), before + 1, "not behind a long queue");
    }

    #[test]
    fn a_lower_rate_lengthens_the_backlog_told() {
        let (mut pacer, backlog) = pacer(1_000_000.0);
        let start = Instant::now();
        for seq in 0..50 {
            pacer
                .handle_write(rtp(1, seq, 1200, start))
                .expect("the pacer takes it");
        }
        let before = backlog.get();
        let mut feedback = tagged(start, Packet::Rtcp(vec![]));
        feedback.message.add(Attribute::TargetBitrateChanged {
            bits_per_second: 250_000.0,
        });
        pacer.handle_read(feedback).expect("the pacer takes it");
        let after = backlog.get();
        assert!(
            after.as_secs_f64() > before.as_secs_f64() * 3.9,
            "{before:?} → {after:?}"
        );
    }
}
