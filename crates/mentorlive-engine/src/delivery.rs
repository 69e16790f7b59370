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
            Delivery::Saturated(rate) | Delivery::Clear(rate) | Delivery::Lossy(rate) => Some(rate),
        }
    }
}

/// One packet of the window: when it left, its size in bits, and when it
/// arrived on the partner's clock (`None`: reported missing).
type Fate = (Instant, u64, Option<Duration>);

/// The recent packets' departures, sizes and fates.
#[derive(Debug, Default)]
pub struct DeliveryMeter {
    window: VecDeque<Fate>,
}

impl DeliveryMeter {
    /// One feedback's reports, and what the window now says.
    pub fn on_reports(&mut self, reports: &[PacketReport]) -> Delivery {
        let batch = batch_rate(reports);
        for report in reports {
            let arrival = report.arrival.filter(|_| report.arrived);
            self.window
                .push_back((report.departure, report.size as u64 * 8, arrival));
        }
        let Some(newest) = self.window.iter().map(|(at, _, _)| *at).max() else {
            return Delivery::Unknown;
        };
        while self
            .window
            .front()
            .is_some_and(|(at, _, _)| newest.duration_since(*at) > WINDOW)
        {
            self.window.pop_front();
        }
        if self.window.len() < MIN_PACKETS {
            return Delivery::Unknown;
        }
        let sent: u64 = self.window.iter().map(|(_, bits, _)| bits).sum();
        let arrivals = self
            .window
            .iter()
            .filter_map(|(_, bits, at)| at.map(|at| (at, *bits)));
        let (first, last, arrived) = arrivals.fold(
            (Duration::MAX, Duration::ZERO, 0u64),
            |(first, last, sum), (at, bits)| (first.min(at), last.max(at), sum + bits),
        );
        // The rate they arrived at, on the partner's clock: at a full
        // bottleneck, the link's own rate. The span is floored so a few
        // packets arriving together do not read as a fast link.
        let span = last.saturating_sub(first).max(WINDOW / 5).as_secs_f64();
        // One feedback covers its packets whole; over the window, a
        // feedback lost on the way back (the partner's uplink may be full
        // too) leaves a hole that reads as a slower link.
        let rate = batch.unwrap_or(arrived as f64 / span);
        let share = arrived as f64 / sent.max(1) as f64;
        if share < SATURATED_BELOW {
            Delivery::Saturated(rate)
        } else if share >= CLEAR_FROM {
            Delivery::Clear(rate)
        } else {
            Delivery::Lossy(rate)
        }
    }
}

/// The rate one feedback's packets arrived at, when it holds enough of them
/// over long enough to say.
fn batch_rate(reports: &[PacketReport]) -> Option<f64> {
    let arrivals: Vec<(Duration, u64)> = reports
        .iter()
        .filter(|r| r.arrived)
        .filter_map(|r| r.arrival.map(|at| (at, r.size as u64 * 8)))
        .collect();
    let first = arrivals.iter().map(|(at, _)| *at).min()?;
    let last = arrivals.iter().map(|(at, _)| *at).max()?;
    let span = last.saturating_sub(first);
    if arrivals.len() < 10 || span < Duration::from_millis(40) {
        return None;
    }
    // The last packet's bits arrived at `last`; the first's before `first`.
    let bits: u64 = arrivals.iter().map(|(_, bits)| bits).sum::<u64>() - arrivals[0].1;
    Some(bits as f64 / span.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;
    use rtc::rtcp::transport_feedbacks::cc_feedback_report::Ecn;

    /// Packets of 1,200 bytes every `gap`, from `start`; `arrived(i)`.
    fn reports(
        start: Instant,
        count: u64,
        gap: Duration,
        arrived: impl Fn(u64) -> bool,
    ) -> Vec<PacketReport> {
        (0..count)
            .map(|i| PacketReport {
                ssrc: 1,
                id: i,
                rtp_sequence_number: i as u16,
                is_twcc: true,
                twcc_sequence_number: i as u16,
                size: 1200,
                arrived: arrived(i),
                departure: start + gap * i as u32,
                arrival: arrived(i).then(|| gap * i as u32),
                ecn: Ecn::default(),
            })
            .collect()
    }

    #[test]
    fn a_link_that_delivers_a_fifth_of_what_we_send_is_measured() {
        let mut meter = DeliveryMeter::default();
        // 1.5 Mbit/s sent (1,200 bytes every 6.4 ms); one packet in five
        // through a 300 kbit/s link.
        let gap = Duration::from_micros(6400);
        let Delivery::Saturated(rate) =
            meter.on_reports(&reports(Instant::now(), 100, gap, |i| i % 5 == 0))
        else {
            panic!("saturated")
        };
        assert!((250_000.0..350_000.0).contains(&rate), "{rate}");
    }

    #[test]
    fn jitter_and_random_loss_are_not_saturation() {
        let mut meter = DeliveryMeter::default();
        let gap = Duration::from_micros(6400);
        // A fifth reported missing (late, or lost): not saturated.
        assert_eq!(
            meter
                .on_reports(&reports(Instant::now(), 100, gap, |i| i % 5 != 0))
                .delivered()
                .map(|rate| matches!(rate as u64, 1_100_000..1_300_000)),
            Some(true)
        );
        // Too few packets to say anything.
        let mut meter = DeliveryMeter::default();
        assert_eq!(
            meter.on_reports(&reports(Instant::now(), 10, gap, |_| false)),
            Delivery::Unknown
        );
    }

    #[test]
    fn only_the_last_half_second_counts() {
        let mut meter = DeliveryMeter::default();
        let start = Instant::now();
        let gap = Duration::from_millis(5);
        // A second of loss, then half a second of everything arriving.
        let lossy = reports(start, 200, gap, |_| false);
        assert!(matches!(meter.on_reports(&lossy), Delivery::Saturated(_)));
        let clean = reports(start + Duration::from_secs(1), 120, gap, |_| true);
        assert!(matches!(meter.on_reports(&clean), Delivery::Clear(_)));
    }
}
