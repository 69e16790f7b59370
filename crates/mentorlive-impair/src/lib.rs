//! A network path in user space, for calls under delay, jitter, loss and a
//! narrow link where the kernel has no `sch_netem`.
//!
//! [`Path`] is one direction of a link as a sans-IO machine: packets go in
//! with the time they arrived, come out when the path would deliver them,
//! and [`Path::next_release`] says when to look again. It models, in order:
//!
//! 1. **Loss**, random or bursty (Gilbert–Elliott: a good and a bad state,
//!    each with its own loss, and chances to move between them per packet).
//! 2. **A bottleneck**: a token bucket drained at the link's rate, with a
//!    queue bounded in time (a packet that would wait longer than the queue
//!    holds is dropped at its tail, as a router's buffer does). A large queue
//!    is bufferbloat: delay grows before anything is lost, which is what a
//!    delay-based congestion controller (GCC) must notice.
//! 3. **Propagation delay with jitter**: each packet's delay is drawn
//!    uniformly within `delay ± jitter`; packets may overtake each other, as
//!    they do on real paths, unless `reorder` is off.
//!
//! The random source is seeded, so a run is repeatable in tests.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::time::{Duration, Instant};

/// How packets are lost.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Loss {
    None,
    /// Each packet lost with this chance.
    Random(f64),
    /// Gilbert–Elliott: `enter_bad` and `leave_bad` are the chances per
    /// packet of moving into and out of the bad state; `in_bad` is the loss
    /// there (the good state loses nothing). Mean burst length is
    /// `1 / leave_bad`; the long-run loss is
    /// `enter_bad / (enter_bad + leave_bad) * in_bad`.
    Bursty {
        enter_bad: f64,
        leave_bad: f64,
        in_bad: f64,
    },
}

impl Loss {
    /// Bursts of `mean_burst` packets that lose `rate` of all packets overall
    /// (every packet of a burst lost).
    pub fn bursts(rate: f64, mean_burst: f64) -> Loss {
        let leave_bad = 1.0 / mean_burst.max(1.0);
        let enter_bad = rate * leave_bad / (1.0 - rate).max(1e-9);
        Loss::Bursty {
            enter_bad,
            leave_bad,
            in_bad: 1.0,
        }
    }
}

/// One direction of a path.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    pub delay: Duration,
    pub jitter: Duration,
    pub loss: Loss,
    /// The bottleneck's rate in bits per second; `None`: no bottleneck.
    pub rate_bps: Option<u64>,
    /// The longest a packet may wait in the bottleneck's queue.
    pub queue: Duration,
    /// Whether packets may overtake each other.
    pub reorder: bool,
}

impl Default for Profile {
    fn default() -> Self {
        Profile {
            delay: Duration::ZERO,
            jitter: Duration::ZERO,
            loss: Loss::None,
            rate_bps: None,
            queue: Duration::from_millis(200),
            reorder: true,
        }
    }
}

/// What happened to the packets so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub sent: u64,
    /// The bytes of the packets sent into the path: the sender's rate on
    /// the wire, before any loss or queue.
    pub sent_bytes: u64,
    pub lost: u64,
    /// Dropped at the tail of a full bottleneck queue.
    pub overflowed: u64,
    pub delivered: u64,
    /// The longest a delivered packet waited in the bottleneck's queue.
    pub max_queueing: Duration,
}

/// xorshift64*: small, fast, seedable; nothing here needs more.
#[derive(Debug, Clone)]
struct Rng(u64);

impl Rng {
    fn next_f64(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let x = self.0.wrapping_mul(0x2545_F491_4F6C_DD1D);
        (x >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// One direction of a link (see the module's comment).
#[derive(Debug)]
pub struct Path {
    profile: Profile,
    rng: Rng,
    bad: bool,
    /// When the bottleneck is free to send the next packet.
    free_at: Option<Instant>,
    /// Packets on their way: (release time, order of arrival, bytes).
    flight: BinaryHeap<Reverse<(Instant, u64, Vec<u8>)>>,
    /// The latest release so far (no overtaking when `reorder` is off).
    last_release: Option<Instant>,
    seq: u64,
    counts: Counts,
    /// Queueing delays of recent packets, for `queueing_now`.
    recent_queueing: VecDeque<(Instant, Duration)>,
}

impl Path {
    pub fn new(profile: Profile, seed: u64) -> Path {
        Path {
            profile,
            rng: Rng(seed | 1),
            bad: false,
            free_at: None,
            flight: BinaryHeap::new(),
            last_release: None,
            seq: 0,
            counts: Counts::default(),
            recent_queueing: VecDeque::new(),
        }
    }

    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    /// Changes the path from now on (a bottleneck that narrows mid-call);
    /// packets already on their way keep their times.
    pub fn set_profile(&mut self, profile: Profile) {
        self.profile = profile;
    }

    pub fn counts(&self) -> Counts {
        self.counts
    }

    /// The queueing delay of the last packet that entered the bottleneck.
    pub fn queueing_now(&self) -> Duration {
        self.recent_queueing
            .back()
            .map_or(Duration::ZERO, |(_, d)| *d)
    }

    fn lost(&mut self) -> bool {
        match self.profile.loss {
            Loss::None => false,
            Loss::Random(p) => self.rng.next_f64() < p,
            Loss::Bursty {
                enter_bad,
                leave_bad,
                in_bad,
            } => {
                let flip = self.rng.next_f64();
                self.bad = if self.bad {
                    flip >= leave_bad
                } else {
                    flip < enter_bad
                };
                self.bad && self.rng.next_f64() < in_bad
            }
        }
    }

    /// A packet arrives at the path at `now`.
    pub fn push(&mut self, now: Instant, packet: Vec<u8>) {
        self.counts.sent += 1;
        self.counts.sent_bytes += packet.len() as u64;
        if self.lost() {
            self.counts.lost += 1;
            return;
        }
        let mut leaves = now;
        if let Some(rate) = self.profile.rate_bps.filter(|r| *r > 0) {
            let start = self.free_at.map_or(now, |free| free.max(now));
            let waited = start - now;
            if waited > self.profile.queue {
                self.counts.overflowed += 1;
                return;
            }
            let bits = packet.len() as u64 * 8;
            let sending = Duration::from_nanos(bits.saturating_mul(1_000_000_000) / rate);
            leaves = start + sending;
            self.free_at = Some(leaves);
            self.counts.max_queueing = self.counts.max_queueing.max(waited);
            self.recent_queueing.push_back((now, waited));
            if self.recent_queueing.len() > 64 {
                self.recent_queueing.pop_front();
            }
        }
        let jitter = self.profile.jitter.as_secs_f64();
        let spread = (self.rng.next_f64() * 2.0 - 1.0) * jitter;
        let delay = (self.profile.delay.as_secs_f64() + spread).max(0.0);
        let mut release = leaves + Duration::from_secs_f64(delay);
        if !self.profile.reorder {
            if let Some(last) = self.last_release {
                release = release.max(last);
            }
        }
        self.last_release = Some(self.last_release.map_or(release, |l| l.max(release)));
        self.seq += 1;
        self.flight.push(Reverse((release, self.seq, packet)));
    }

    /// The next packet the path delivers by `now`, if any.
    pub fn poll(&mut self, now: Instant) -> Option<Vec<u8>> {
        let ready = self
            .flight
            .peek()
            .is_some_and(|Reverse((at, _, _))| *at <= now);
        if !ready {
            return None;
        }
        let Reverse((_, _, packet)) = self.flight.pop()?;
        self.counts.delivered += 1;
        Some(packet)
    }

    /// When the next packet is due.
    pub fn next_release(&self) -> Option<Instant> {
        self.flight.peek().map(|Reverse((at, _, _))| *at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sends `count` packets of `size` bytes, one every `every`, and returns
    /// each delivered packet's index with its one-way delay.
    fn run(path: &mut Path, count: usize, size: usize, every: Duration) -> Vec<(usize, Duration)> {
        let start = Instant::now();
        let mut sent_at = Vec::new();
        let mut out = Vec::new();
        let mut now = start;
        let end = start + every * count as u32 + Duration::from_secs(5);
        let mut next_send = 0;
        while now < end {
            if next_send < count && now >= start + every * next_send as u32 {
                let mut packet = vec![0u8; size.max(8)];
                packet[..8].copy_from_slice(&(next_send as u64).to_le_bytes());
                sent_at.push(now);
                path.push(now, packet);
                next_send += 1;
            }
            while let Some(packet) = path.poll(now) {
                let index = u64::from_le_bytes(packet[..8].try_into().expect("8 bytes")) as usize;
                out.push((index, now - sent_at[index]));
            }
            now += Duration::from_micros(500);
        }
        out
    }

    #[test]
    fn delay_and_jitter_stay_in_their_window_and_packets_may_overtake() {
        let mut path = Path::new(
            Profile {
                delay: Duration::from_millis(100),
                jitter: Duration::from_millis(40),
                ..Profile::default()
            },
            7,
        );
        let out = run(&mut path, 1000, 200, Duration::from_millis(5));
        assert_eq!(out.len(), 1000, "nothing lost");
        for (_, delay) in &out {
            assert!(
                *delay >= Duration::from_millis(60) && *delay <= Duration::from_millis(141),
                "{delay:?}"
            );
        }
        let reordered = out.windows(2).filter(|w| w[1].0 < w[0].0).count();
        assert!(
            reordered > 50,
            "jitter of ±40 ms at 5 ms spacing reorders: {reordered}"
        );
        let mut in_order = Path::new(
            Profile {
                delay: Duration::from_millis(100),
                jitter: Duration::from_millis(40),
                reorder: false,
                ..Profile::default()
            },
            7,
        );
        let out = run(&mut in_order, 300, 200, Duration::from_millis(5));
        assert!(
            out.windows(2).all(|w| w[1].0 > w[0].0),
            "no overtaking when asked"
        );
    }

    #[test]
    fn bursty_loss_comes_in_bursts_at_the_rate_asked() {
        let mut path = Path::new(
            Profile {
                loss: Loss::bursts(0.10, 10.0),
                ..Profile::default()
            },
            11,
        );
        let out = run(&mut path, 20_000, 100, Duration::from_micros(500));
        let delivered: std::collections::HashSet<usize> = out.iter().map(|(i, _)| *i).collect();
        let lost: Vec<usize> = (0..20_000).filter(|i| !delivered.contains(i)).collect();
        let rate = lost.len() as f64 / 20_000.0;
        assert!((0.07..0.13).contains(&rate), "loss {rate}");
        let bursts = lost.windows(2).filter(|w| w[1] != w[0] + 1).count() + 1;
        let mean_burst = lost.len() as f64 / bursts as f64;
        assert!((7.0..14.0).contains(&mean_burst), "mean burst {mean_burst}");
        let mut random = Path::new(
            Profile {
                loss: Loss::Random(0.10),
                ..Profile::default()
            },
            11,
        );
        let out = run(&mut random, 20_000, 100, Duration::from_micros(500));
        let delivered: std::collections::HashSet<usize> = out.iter().map(|(i, _)| *i).collect();
        let lost: Vec<usize> = (0..20_000).filter(|i| !delivered.contains(i)).collect();
        let bursts = lost.windows(2).filter(|w| w[1] != w[0] + 1).count() + 1;
        assert!(
            lost.len() as f64 / (bursts as f64) < 1.3,
            "random loss is not bursty"
        );
    }

    #[test]
    fn a_bottleneck_passes_its_rate_queues_up_to_its_buffer_and_drops_beyond() {
        // 1 Mbit/s offered into 500 kbit/s with a 200 ms buffer.
        let mut path = Path::new(
            Profile {
                rate_bps: Some(500_000),
                queue: Duration::from_millis(200),
                ..Profile::default()
            },
            3,
        );
        let out = run(&mut path, 2000, 1250, Duration::from_millis(10));
        let counts = path.counts();
        let delivered_bits = out.len() as f64 * 1250.0 * 8.0;
        let seconds = 20.0;
        let throughput = delivered_bits / seconds;
        assert!(
            (450_000.0..560_000.0).contains(&throughput),
            "throughput {throughput}"
        );
        assert!(counts.overflowed > 800, "the excess is dropped: {counts:?}");
        assert!(
            counts.max_queueing <= Duration::from_millis(200),
            "{counts:?}"
        );
        assert!(
            counts.max_queueing >= Duration::from_millis(180),
            "the buffer fills: {counts:?}"
        );
        // Offered below the rate, nothing waits and nothing is dropped.
        let mut easy = Path::new(
            Profile {
                rate_bps: Some(500_000),
                ..Profile::default()
            },
            3,
        );
        let out = run(&mut easy, 500, 1250, Duration::from_millis(40));
        assert_eq!(out.len(), 500);
        assert!(
            easy.counts().max_queueing < Duration::from_millis(21),
            "{:?}",
            easy.counts()
        );
    }
}
