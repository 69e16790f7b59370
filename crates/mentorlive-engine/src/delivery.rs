//! What the link delivers, from transport-wide feedback: what we sent over
//! the last half second against what of it arrived.
//!
//! Why: when a link narrows at once (2 Mbit/s to 300 kbit/s), its queue
//! fills in tens of milliseconds and then stays full, so GCC's delay half
//! sees a short rise and then no gradient, and the loss half hears of the
//! loss only in the partner's receiver reports, once a second, after NACK
//! has repaired part of it. Meanwhile most of what we send is dropped at
//! the bottleneck (docs/reliability.md measured 9.3 s to come down). The
//! feedback says so within a round trip: far less arrives than leaves.
//!
//! Reordering (jitter) makes the feedback report a few packets missing that
//! arrive later, and the `rtc` send history forgets them at the first
//! report (congestion.rs), so a fraction arrived a little under 1 is noise;
//! only [`SATURATED_BELOW`] counts, well below what jitter or random loss
//! bring (under ±20 ms of jitter, 7 to 20 % read as missing).

use rtc::interceptor::PacketReport;
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// The span of departures judged together.
pub const WINDOW: Duration = Duration::from_millis(500);
/// Fewer packets than this in the window say nothing.
const MIN_PACKETS: usize = 30;
/// Less than this share of what we sent arrived: the link is saturated.
pub const SATURATED_BELOW: f64 = 0.5;
/// At least this share arrived: the link carries what we send.
pub const CLEAR_FROM: f64 = 0.9;

/// What the last half second of feedback says of the link.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Delivery {
    /// Too few packets to say.
    Unknown,
    /// It delivers about this many bits per second, far less than we send.
    Saturated(f64),
    /// A queue of [`QUEUE_LIMIT`] or more stands on the path: it is full,
    /// delivering this many bits per second, and what we send beyond that
    /// only waits, and then is dropped when the buffer is full.
    Queued(f64),
    /// Nearly all of what we send arrives, at this many bits per second.
    Clear(f64),
    /// Some is missing (loss or reordering, for the other halves to judge);
    /// this many bits per second arrive.
    Lossy(f64),
}

impl Delivery {
    /// What arrives, in bits per second, when the window says.
    pub fn delivered(self) -> Option<f64> {
        match self {
            Delivery::Unknown => None,
            Delivery::Saturated(rate)
            | Delivery::Queued(rate)
            | Delivery::Clear(rate)
            | Delivery::Lossy(rate) => Some(rate),
        }
    }
}

/// One packet of the window.
#[derive(Debug, Clone, Copy)]
struct Fate {
    departed: Instant,
    bits: u64,
    /// On the partner's clock; `None`: reported missing.
    arrival: Option<Duration>,
    /// Which feedback reported it.
    feedback: u64,
}

/// One arrived packet, as [`DeliveryMeter::busy_rate`] reads it.
struct Arrived {
    at: Duration,
    bits: u64,
    /// One-way delay in seconds, plus the clocks' offset (the same for all).
    delay: f64,
    feedback: u64,
}

/// How long the lowest one-way delay seen is remembered as the path's own.
const BASE_HORIZON: Duration = Duration::from_secs(10);
/// Queueing past the path's own delay that says a queue has built.
pub const QUEUED_FROM: Duration = Duration::from_millis(30);
/// Queueing past the path's own delay that says we fill the link: GCC's
/// overuse, read from the fastest packet of a feedback, so a packet that
/// jitter held back does not count. A narrow link with a deep buffer
/// (bufferbloat) fills this long before it drops: sending more than a
/// 500 kbit/s link carries filled its 200 ms buffer in about a second, and
/// then dropped sound with the video (docs/reliability.md).
pub const QUEUE_LIMIT: Duration = Duration::from_millis(60);

/// The recent packets' departures, sizes and fates.
#[derive(Debug, Default)]
pub struct DeliveryMeter {
    window: VecDeque<Fate>,
    /// What one-way delays are measured from: our first departure.
    epoch: Option<Instant>,
    /// Each feedback's lowest one-way delay (plus the clocks' offset, the
    /// same for all), by its newest departure: the lowest of them is the
    /// path's own delay.
    lowest: VecDeque<(Instant, f64)>,
    /// How many feedbacks so far.
    feedbacks: u64,
}

impl DeliveryMeter {
    /// One feedback's reports, and what the window now says.
    pub fn on_reports(&mut self, reports: &[PacketReport]) -> Delivery {
        let queue = self.queueing(reports);
        let queued = queue.map(|(now, _)| now);
        self.feedbacks += 1;
        for report in reports {
            let arrival = report.arrival.filter(|_| report.arrived);
            self.window.push_back(Fate {
                departed: report.departure,
                bits: report.size as u64 * 8,
                arrival,
                feedback: self.feedbacks,
            });
        }
        let Some(newest) = self.window.iter().map(|f| f.departed).max() else {
            return Delivery::Unknown;
        };
        while self
            .window
            .front()
            .is_some_and(|f| newest.duration_since(f.departed) > WINDOW)
        {
            self.window.pop_front();
        }
        if self.window.len() < MIN_PACKETS {
            return Delivery::Unknown;
        }
        let busy = queue.and_then(|(_, base)| self.busy_rate(base));
        let sent: u64 = self.window.iter().map(|f| f.bits).sum();
        let arrivals = self
            .window
            .iter()
            .filter_map(|f| f.arrival.map(|at| (at, f.bits)));
        let (first, last, arrived) = arrivals.fold(
            (Duration::MAX, Duration::ZERO, 0u64),
            |(first, last, sum), (at, bits)| (first.min(at), last.max(at), sum + bits),
        );
        // The rate they arrived at, on the partner's clock: at a full
        // bottleneck, the link's own rate. The span is floored so a few
        // packets arriving together do not read as a fast link.
        let span = last.saturating_sub(first).max(WINDOW / 5).as_secs_f64();
        // While a queue stands, the link's own rate; otherwise what arrived.
        let rate = busy.unwrap_or(arrived as f64 / span);
        let share = arrived as f64 / sent.max(1) as f64;
        // A full queue, not loss alone: bursts of loss on a path with no
        // queue (radio, a flaky hop) lose as much in a window and are no
        // reason to send less (10 % in bursts of 12 cut a call to a
        // quarter of its rate, and its fixed-rate video then queued).
        if share < SATURATED_BELOW && queued.is_some_and(|q| q > QUEUED_FROM) {
            Delivery::Saturated(rate)
        } else if let Some(rate) = busy.filter(|_| queued.is_some_and(|q| q > QUEUE_LIMIT)) {
            // A cap under the link's rate drains the queue, and one above
            // what we send changes nothing.
            Delivery::Queued(rate)
        } else if share >= CLEAR_FROM {
            Delivery::Clear(rate)
        } else {
            Delivery::Lossy(rate)
        }
    }
}

impl DeliveryMeter {
    /// How much longer than the path's own delay this feedback's fastest
    /// packet took (the queue standing on the path now), and the path's
    /// own delay.
    fn queueing(&mut self, reports: &[PacketReport]) -> Option<(Duration, f64)> {
        let epoch = *self.epoch.get_or_insert_with(|| {
            reports
                .iter()
                .map(|r| r.departure)
                .min()
                .unwrap_or_else(Instant::now)
        });
        let newest = reports.iter().map(|r| r.departure).max()?;
        let fastest = reports
            .iter()
            .filter(|r| r.arrived)
            .filter_map(|r| {
                let sent = r.departure.checked_duration_since(epoch)?.as_secs_f64();
                r.arrival.map(|at| at.as_secs_f64() - sent)
            })
            .reduce(f64::min)?;
        while self
            .lowest
            .front()
            .is_some_and(|(at, _)| newest.duration_since(*at) > BASE_HORIZON)
        {
            self.lowest.pop_front();
        }
        self.lowest.push_back((newest, fastest));
        let base = self.lowest.iter().map(|(_, d)| *d).reduce(f64::min)?;
        Some((Duration::from_secs_f64((fastest - base).max(0.0)), base))
    }

    /// The link's own rate, from the packets that waited in its queue: the
    /// link was busy from the arrival before each such packet to its own,
    /// sending it. What arrived at an idle link says only what we sent
    /// (the pump sheds video past a long backlog, so a full link has idle
    /// moments), and read as the link's rate it had cut a 500 kbit/s link
    /// to 180 kbit/s. Pairs are taken within one feedback: a feedback lost
    /// on the way back leaves a hole that is no busy time.
    fn busy_rate(&self, base: f64) -> Option<f64> {
        let epoch = self.epoch?;
        let mut arrivals: Vec<Arrived> = self
            .window
            .iter()
            .filter_map(|f| {
                let at = f.arrival?;
                let sent = f.departed.checked_duration_since(epoch)?.as_secs_f64();
                Some(Arrived {
                    at,
                    bits: f.bits,
                    delay: at.as_secs_f64() - sent,
                    feedback: f.feedback,
                })
            })
            .collect();
        arrivals.sort_by_key(|a| a.at);
        let queued_from = base + QUEUED_FROM.as_secs_f64();
        let (busy, bits, pairs) = arrivals
            .windows(2)
            .filter_map(|pair| match pair {
                [before, it] if before.feedback == it.feedback && it.delay >= queued_from => {
                    Some((before, it))
                }
                _ => None,
            })
            .fold(
                (Duration::ZERO, 0u64, 0usize),
                |(busy, bits, n), (before, it)| {
                    // No longer than the packet waited: the link may have
                    // idled before what it waited behind came.
                    let waited = Duration::from_secs_f64(it.delay - base);
                    let span = (it.at - before.at).min(waited);
                    (busy + span, bits + it.bits, n + 1)
                },
            );
        (pairs >= MIN_BUSY_PAIRS && busy >= MIN_BUSY).then(|| bits as f64 / busy.as_secs_f64())
    }
}

/// Fewer queued packets than this, or less busy time, say too little of the
/// link's rate.
const MIN_BUSY_PAIRS: usize = 10;
const MIN_BUSY: Duration = Duration::from_millis(40);

#[cfg(test)]
mod tests {
    use super::*;
    use rtc::rtcp::transport_feedbacks::cc_feedback_report::Ecn;

    static ORIGIN: std::sync::LazyLock<Instant> = std::sync::LazyLock::new(Instant::now);

    /// Packets of 1,200 bytes every `gap`, `at` after the origin; `delay(i)`
    /// is packet i's one-way delay, `None` if it was lost.
    fn reports(
        at: Duration,
        count: u64,
        gap: Duration,
        delay: impl Fn(u64) -> Option<Duration>,
    ) -> Vec<PacketReport> {
        (0..count)
            .map(|i| {
                let sent = at + gap * i as u32;
                PacketReport {
                    ssrc: 1,
                    id: i,
                    rtp_sequence_number: i as u16,
                    is_twcc: true,
                    twcc_sequence_number: i as u16,
                    size: 1200,
                    arrived: delay(i).is_some(),
                    departure: *ORIGIN + sent,
                    arrival: delay(i).map(|d| sent + d),
                    ecn: Ecn::default(),
                }
            })
            .collect()
    }

    const PATH: Duration = Duration::from_millis(20);
    /// 1.5 Mbit/s: 1,200 bytes every 6.4 ms.
    const GAP: Duration = Duration::from_micros(6400);

    /// Half a second of all arriving after the path's own delay.
    fn clean(meter: &mut DeliveryMeter) {
        meter.on_reports(&reports(Duration::ZERO, 80, GAP, |_| Some(PATH)));
    }

    /// One packet in five through a 300 kbit/s link with 200 ms queued:
    /// those that get through arrive 32 ms apart, the link's pace.
    fn narrowed(i: u64) -> Option<Duration> {
        i.is_multiple_of(5)
            .then(|| PATH + Duration::from_millis(200))
    }

    #[test]
    fn a_full_link_that_delivers_a_fifth_of_what_we_send_is_measured() {
        let mut meter = DeliveryMeter::default();
        clean(&mut meter);
        let Delivery::Saturated(rate) =
            meter.on_reports(&reports(Duration::from_secs(1), 100, GAP, narrowed))
        else {
            panic!("saturated")
        };
        assert!((250_000.0..350_000.0).contains(&rate), "{rate}");
    }

    #[test]
    fn a_queue_that_builds_with_nothing_lost_is_found_before_the_buffer_fills() {
        // 600 kbit/s into a 500 kbit/s link: every packet arrives, each a
        // little later than the one before, at the link's pace.
        let mut meter = DeliveryMeter::default();
        clean(&mut meter);
        let sent = Duration::from_millis(16);
        let link = Duration::from_micros(19_200);
        let queue = |i: u64| Some(PATH + (link - sent) * i as u32);
        let mut readings = (0..6u64).map(|batch| {
            let at = Duration::from_secs(1) + sent * (10 * batch) as u32;
            let reports = reports(at, 10, sent, |i| queue(10 * batch + i));
            meter.on_reports(&reports)
        });
        // 3.2 ms more queue a packet: 64 ms after 20 packets, in the third
        // feedback, while a 200 ms buffer is a third full.
        let first = readings.position(|d| matches!(d, Delivery::Queued(_)));
        assert_eq!(first, Some(2));
        let Some(Delivery::Queued(rate)) = readings.next() else {
            panic!("still queued")
        };
        assert!((450_000.0..550_000.0).contains(&rate), "{rate}");
    }

    #[test]
    fn the_links_rate_is_read_from_its_busy_time_not_its_idle_moments() {
        // Ten packets 30 ms apart through an idle link, then a burst of
        // twenty (a keyframe) that queue on a 500 kbit/s link, leaving it
        // 19.2 ms apart.
        let mut meter = DeliveryMeter::default();
        clean(&mut meter);
        let start = Duration::from_secs(1);
        let idle = (0..10u32).map(|i| (start + Duration::from_millis(30) * i, PATH));
        let burst = start + Duration::from_millis(300);
        let queued = (1..=20u32).map(|i| (burst, PATH + Duration::from_micros(19_200) * i));
        let reports: Vec<PacketReport> = idle
            .chain(queued)
            .enumerate()
            .flat_map(|(i, (sent, delay))| {
                reports(sent, 1, GAP, move |_| Some(delay))
                    .into_iter()
                    .map(move |mut r| {
                        r.id = i as u64;
                        r
                    })
            })
            .collect();
        let rate = meter.on_reports(&reports).delivered().expect("a rate");
        assert!((450_000.0..550_000.0).contains(&rate), "{rate}");
    }

    #[test]
    fn a_burst_that_drains_within_a_feedback_is_no_standing_queue() {
        // The packets behind a keyframe waited 90 ms, and the queue drained
        // to 31 ms by the feedback's last packet: clear.
        let mut meter = DeliveryMeter::default();
        clean(&mut meter);
        let waited = |i: u64| Some(PATH + Duration::from_micros(90_000 - 1_500 * i));
        assert!(matches!(
            meter.on_reports(&reports(Duration::from_secs(1), 40, GAP, waited)),
            Delivery::Clear(_)
        ));
    }

    #[test]
    fn loss_with_no_queue_is_not_saturation() {
        // Three packets in five lost in bursts, the rest on time: a lossy
        // path, not a full one.
        let mut meter = DeliveryMeter::default();
        clean(&mut meter);
        let bursts = |i: u64| (i % 10 >= 6).then_some(PATH);
        assert!(matches!(
            meter.on_reports(&reports(Duration::from_secs(1), 100, GAP, bursts)),
            Delivery::Lossy(_)
        ));
    }

    #[test]
    fn jitter_and_random_loss_are_not_saturation() {
        let mut meter = DeliveryMeter::default();
        // A fifth reported missing (late, or lost): not saturated.
        let delivered = meter
            .on_reports(&reports(Duration::ZERO, 100, GAP, |i| {
                (i % 5 != 0).then_some(PATH)
            }))
            .delivered();
        assert!(
            delivered.is_some_and(|rate| (1_100_000.0..1_300_000.0).contains(&rate)),
            "{delivered:?}"
        );
        // Too few packets to say anything.
        let mut meter = DeliveryMeter::default();
        assert_eq!(
            meter.on_reports(&reports(Duration::ZERO, 10, GAP, |_| None)),
            Delivery::Unknown
        );
    }

    #[test]
    fn only_the_last_half_second_counts() {
        let mut meter = DeliveryMeter::default();
        clean(&mut meter);
        let full = reports(Duration::from_secs(1), 100, GAP, narrowed);
        assert!(matches!(meter.on_reports(&full), Delivery::Saturated(_)));
        let after = reports(Duration::from_secs(2), 100, GAP, |_| Some(PATH));
        assert!(matches!(meter.on_reports(&after), Delivery::Clear(_)));
    }
}
