//! Congestion control: GCC's delay half from the `rtc` crate, and a loss
//! half of our own that reads the partner's receiver reports.
//!
//! Why not GCC's own loss half: it counts every packet a transport-wide
//! feedback reports missing, and the `rtc` send history forgets a packet at
//! its first report. A packet that arrives after the feedback that covered it
//! was sent (reordering, as jitter brings) is reported missing and then
//! present, and only the first report counts. Under ±20 ms of jitter and no
//! configured loss it measured 7 to 20 % loss and held the call at the
//! minimum bitrate. RTCP receiver reports count what finally arrived
//! (RFC 3550's fraction lost), as libwebrtc's loss-based estimate reads them.
//! What they miss: a packet repaired by NACK counts as received (we send no
//! RTX), so loss that retransmission repairs does not lower the rate, and a
//! report comes once a second: a link that narrows at once is seen sooner
//! by what the feedback says arrived (delivery.rs), which caps the rate too.

use crate::delivery::{Delivery, DeliveryMeter};
use rtc::interceptor::{BandwidthEstimator, EstimatorStats, Gcc, PacketReport};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Packets may leave this much faster than the estimate, as libwebrtc's
/// pacer allows (`kPacingFactor`): a 30 kB keyframe then leaves within tens of
/// milliseconds instead of queueing for a third of a second, while the
/// encoder is still held to the estimate itself.
pub const PACING_FACTOR: f64 = 2.5;

/// The latest loss the partner reported on our streams, shared between the
/// RTCP tap that reads it (keyframe_feedback.rs) and the estimator. Packed
/// in one word: how many reports so far, and the fraction lost (1/256ths).
#[derive(Default)]
pub struct ReportedLoss(AtomicU64);

impl ReportedLoss {
    /// One RTCP packet's report blocks about our streams (their fraction
    /// lost, RFC 3550); a packet with none changes nothing.
    pub fn record(&self, fractions: &[u8]) {
        if fractions.is_empty() {
            return;
        }
        let mean = fractions.iter().map(|f| u64::from(*f)).sum::<u64>() / fractions.len() as u64;
        let count = (self.0.load(Ordering::Relaxed) >> 8) + 1;
        self.0.store(count << 8 | mean.min(255), Ordering::Relaxed);
    }

    /// (reports so far, the latest fraction lost in 0..1).
    fn latest(&self) -> (u64, f64) {
        let word = self.0.load(Ordering::Relaxed);
        (word >> 8, (word & 0xff) as f64 / 256.0)
    }
}

/// GCC's loss-based controller (draft-ietf-rmcat-gcc-02, 6): over 10 %
/// loss the rate falls by half the loss; between 2 and 10 % it may not rise;
/// under 2 % it rises 8 % a report (as the delay half's increase) until the
/// delay half is the lower, and no longer limits. Lifting it at once let the
/// target jump to a delay estimate that had gone on rising meanwhile.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct LossCap {
    cap: Option<f64>,
    lifted_at: Option<Instant>,
    /// The last saturation: when, and what the link delivered then.
    saturated: Option<(Instant, f64)>,
}

/// GCC's decrease: to this share of what the path delivers.
pub const DECREASE_TO: f64 = 0.85;
/// What a receiver report's fraction lost covers: the interval since the
/// partner's last report (about a second), and the report's way back.
const REPORT_SPAN: Duration = Duration::from_millis(1500);
/// A delivery measure older than this says nothing of the path now.
const DELIVERED_FRESH: Duration = Duration::from_secs(1);

/// While the feedback says all we send arrives, the cap lifts this often:
/// 8 % at a time (about 45 % a second) far from the rate the link last
/// delivered when saturated, and by [`NEAR_CEILING_STEP`] near it (up to
/// [`NEAR_CEILING`] times it), as GCC's increase turns additive near the
/// last decrease (one packet an interval, as the `rtc` crate's delay half
/// adds). Far, so the rate comes back within seconds when a link widens;
/// near, so an encoder with coarse steps (a file's renditions, a camera's
/// resolutions) tries the step above a narrow link's rate every few
/// seconds instead of at once, each try filling the link's buffer.
pub const LIFT_EVERY: Duration = Duration::from_millis(200);
/// The additive step near the ceiling: 60 kbit/s a second.
pub const NEAR_CEILING_STEP: f64 = 12_000.0;
pub const NEAR_CEILING: f64 = 1.5;

impl LossCap {
    /// One receiver report's fraction lost, against the target now and the
    /// delay half's estimate.
    pub fn on_report(&mut self, now: Instant, lost: f64, target: f64, delay: f64) {
        // A report covers the second before it was sent: loss it counts
        // that the feedback already answered, with a cut to what the link
        // delivers, is no reason to cut again (at a call's start, two
        // more cuts took a 500 kbit/s link's rate to 160 kbit/s).
        let answered = self
            .saturated
            .is_some_and(|(at, _)| now.duration_since(at) < REPORT_SPAN);
        self.cap = if lost > 0.10 && answered {
            self.cap
        } else if lost > 0.10 {
            Some(target * (1.0 - 0.5 * lost))
        } else if lost < 0.02 {
            // Near the ceiling, only the feedback lifts (`on_clear`).
            let near = self.near_ceiling();
            self.cap
                .map(|cap| if near { cap } else { cap * 1.08 })
                .filter(|cap| *cap < delay)
        } else {
            Some(self.cap.unwrap_or(target).min(target))
        };
    }

    /// The link delivers only `delivered` bits per second of what we send
    /// (delivery.rs): at most 85 % of that, as GCC's delay half backs off
    /// from what the path delivers. Lifted as loss is (`on_report`).
    /// Once a window: the next one shows what the cut did, and the
    /// windows between only repeat what this one said.
    pub fn on_saturated(&mut self, now: Instant, delivered: f64, target: f64) {
        if self
            .saturated
            .is_some_and(|(at, _)| now.duration_since(at) < crate::delivery::WINDOW)
        {
            return;
        }
        self.saturated = Some((now, delivered));
        self.cap = Some((DECREASE_TO * delivered).min(target));
    }

    fn near_ceiling(&self) -> bool {
        match (self.cap, self.saturated) {
            (Some(cap), Some((_, ceiling))) => cap < NEAR_CEILING * ceiling,
            _ => false,
        }
    }

    /// The feedback says what we send arrives (delivery.rs).
    pub fn on_clear(&mut self, now: Instant, delay: f64) {
        if self
            .lifted_at
            .is_some_and(|at| now.duration_since(at) < LIFT_EVERY)
        {
            return;
        }
        self.lifted_at = Some(now);
        let near = self.near_ceiling();
        self.cap = self
            .cap
            .map(|cap| {
                if near {
                    cap + NEAR_CEILING_STEP
                } else {
                    cap * 1.08
                }
            })
            .filter(|cap| *cap < delay);
    }

    /// No cap under the least rate we would send at anyway: lifting from
    /// below it would only take longer.
    fn floor(&mut self, least: f64) {
        if let Some(cap) = self.cap.as_mut() {
            *cap = cap.max(least);
        }
    }

    pub fn cap(&self) -> Option<f64> {
        self.cap
    }
}

/// GCC's delay half and our loss half, publishing the target for the
/// encoder and handing the pacer the target times [`PACING_FACTOR`].
pub struct PublishingEstimator {
    delay: Gcc,
    loss: LossCap,
    delivery: DeliveryMeter,
    /// What the link delivered lately, and when that was measured.
    delivered: Option<(f64, Instant)>,
    reported: Arc<ReportedLoss>,
    /// Told to the pacer, which then sends no retransmissions.
    link_full: Arc<crate::pacer::LinkFull>,
    reports_seen: u64,
    last_loss: f64,
    bounds: (f64, f64),
    current: f64,
    published: Arc<AtomicU64>,
    /// Told of each cut as it is made.
    on_cut: OnCut,
    /// The target the last cut was told from: the highest since.
    told: f64,
}

/// Called with the new target when congestion control cuts it by more than
/// [`CUT`]. The encoders otherwise hear the target once a second, with the
/// call's figures: a rise can wait that long, a cut cannot (a narrowed
/// link's buffer overflows meanwhile, and the partner's picture freezes).
pub type OnCut = Box<dyn Fn(u64) + Send + Sync>;

/// A fall of the target this large is a cut, told at once.
pub const CUT: f64 = 0.15;

impl PublishingEstimator {
    pub fn new(
        initial: f64,
        bounds: (f64, f64),
        reported: Arc<ReportedLoss>,
        published: Arc<AtomicU64>,
        link_full: Arc<crate::pacer::LinkFull>,
        on_cut: OnCut,
    ) -> Self {
        published.store(initial as u64, Ordering::Relaxed);
        Self {
            delay: Gcc::new(initial, bounds.0, bounds.1),
            loss: LossCap::default(),
            delivery: DeliveryMeter::default(),
            delivered: None,
            reported,
            link_full,
            reports_seen: 0,
            last_loss: 0.0,
            bounds,
            current: initial,
            published,
            on_cut,
            told: initial,
        }
    }

    fn update(&mut self, now: Instant) {
        let (count, lost) = self.reported.latest();
        if count != self.reports_seen {
            self.reports_seen = count;
            self.last_loss = lost;
            let delay = self.delay.delay_based_bitrate();
            self.loss.on_report(now, lost, self.current, delay);
        }
        // GCC's rule: when the delay half backs off, it backs off to 85 %
        // of what the path delivers. The `rtc` crate's estimate of that rate
        // is coarse; what the transport feedback says arrived over the last
        // half second is the better measure, so the delay half never goes
        // below 85 % of it.
        let delivered = self
            .delivered
            .filter(|(_, at)| now.duration_since(*at) < DELIVERED_FRESH)
            .map_or(0.0, |(rate, _)| DECREASE_TO * rate);
        let delay = self.delay.delay_based_bitrate().max(delivered);
        self.loss.floor(self.bounds.0);
        let before = self.current;
        self.current = self
            .loss
            .cap()
            .map_or(delay, |cap| cap.min(delay))
            .clamp(self.bounds.0, self.bounds.1);
        if (self.current - before).abs() > 0.2 * before {
            tracing::debug!(
                target = self.current,
                delay,
                cap = ?self.loss.cap(),
                lost = self.last_loss,
                "congestion target moved"
            );
        }
        self.published.store(self.current as u64, Ordering::Relaxed);
        if self.current < self.told * (1.0 - CUT) {
            (self.on_cut)(self.current as u64);
            self.told = self.current;
        } else {
            self.told = self.told.max(self.current);
        }
    }
}

impl BandwidthEstimator for PublishingEstimator {
    fn on_reports(&mut self, now: Instant, reports: &[PacketReport]) {
        if reports.is_empty() {
            return;
        }
        self.delay.on_reports(now, reports);
        let delivery = self.delivery.on_reports(reports);
        self.link_full.set(matches!(
            delivery,
            Delivery::Saturated(_) | Delivery::Queued(_)
        ));
        match delivery {
            Delivery::Saturated(delivered) => {
                tracing::debug!(delivered, "the link is saturated");
                self.loss.on_saturated(now, delivered, self.current);
            }
            Delivery::Queued(delivered) => {
                tracing::debug!(delivered, "a queue stands on the link");
                self.loss.on_saturated(now, delivered, self.current);
            }
            Delivery::Clear(_) => self.loss.on_clear(now, self.delay.delay_based_bitrate()),
            Delivery::Lossy(_) | Delivery::Unknown => {}
        }
        if let Some(rate) = delivery.delivered() {
            self.delivered = Some((rate, now));
        }
        self.update(now);
    }

    /// What the congestion-control interceptor passes to the pacer.
    fn target_bitrate(&self) -> f64 {
        self.current * PACING_FACTOR
    }

    fn handle_timeout(&mut self, now: Instant) {
        self.delay.handle_timeout(now);
        self.update(now);
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.delay.poll_timeout()
    }

    fn stats(&self) -> EstimatorStats {
        // Non-exhaustive: filled in from the delay half's.
        let mut stats = self.delay.stats();
        stats.loss_based_bitrate = self.loss.cap();
        stats.packet_loss = Some(self.last_loss);
        stats
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rtc::rtcp::transport_feedbacks::cc_feedback_report::Ecn;
    use std::time::Duration;

    #[test]
    fn loss_over_ten_percent_cuts_by_half_the_loss() {
        let at = Instant::now();
        let mut loss = LossCap::default();
        loss.on_report(at, 0.2, 1_000_000.0, 2_000_000.0);
        assert_eq!(loss.cap(), Some(900_000.0));
    }

    #[test]
    fn moderate_loss_holds_and_low_loss_lifts_the_cap_step_by_step() {
        let at = Instant::now();
        let mut loss = LossCap::default();
        loss.on_report(at, 0.05, 500_000.0, 600_000.0);
        assert_eq!(loss.cap(), Some(500_000.0));
        // The delay half asked for more meanwhile: still held.
        loss.on_report(at, 0.05, 700_000.0, 700_000.0);
        assert_eq!(loss.cap(), Some(500_000.0));
        // Little loss: 8 % a report, not at once to the delay half's 2 Mbit/s.
        loss.on_report(at, 0.01, 500_000.0, 2_000_000.0);
        assert_eq!(loss.cap(), Some(540_000.0));
        // Once the delay half is the lower, no cap.
        loss.on_report(at, 0.01, 540_000.0, 560_000.0);
        assert_eq!(loss.cap(), None);
    }

    #[test]
    fn loss_the_feedback_already_answered_is_not_cut_for_twice() {
        let at = Instant::now();
        let mut loss = LossCap::default();
        // The feedback saw a full link delivering 500 kbit/s: 425.
        loss.on_saturated(at, 500_000.0, 800_000.0);
        assert_eq!(loss.cap(), Some(425_000.0));
        // The partner's report of the second before: 40 % lost. Held.
        loss.on_report(at + Duration::from_millis(600), 0.4, 425_000.0, 2e6);
        assert_eq!(loss.cap(), Some(425_000.0));
        // Loss that goes on after that is new: cut.
        loss.on_report(at + Duration::from_millis(1600), 0.4, 425_000.0, 2e6);
        assert_eq!(loss.cap(), Some(340_000.0));
    }

    /// One feedback's reports: 20 packets sent 5 ms apart, arriving 50 ms
    /// later, except those `missing` says.
    fn feedback(batch: u64, missing: impl Fn(u64) -> bool) -> (Instant, Vec<PacketReport>) {
        let epoch = *EPOCH;
        let at = epoch + Duration::from_millis(batch * 100);
        let reports = (0..20u64)
            .map(|index| {
                let id = batch * 20 + index;
                let arrived = !missing(index);
                PacketReport {
                    ssrc: 1,
                    id,
                    rtp_sequence_number: id as u16,
                    is_twcc: true,
                    twcc_sequence_number: id as u16,
                    size: 1200,
                    arrived,
                    departure: at + Duration::from_millis(index * 5),
                    arrival: arrived.then(|| Duration::from_millis(batch * 100 + index * 5 + 50)),
                    ecn: Ecn::default(),
                }
            })
            .collect();
        (at + Duration::from_millis(120), reports)
    }

    static EPOCH: std::sync::LazyLock<Instant> = std::sync::LazyLock::new(Instant::now);

    /// Reordering: the packets just before the newest are still on their way
    /// when the feedback leaves.
    fn late(index: u64) -> bool {
        (16..=18).contains(&index)
    }

    #[test]
    fn reordering_is_not_taken_for_loss_and_loss_is() {
        let reported = Arc::new(ReportedLoss::default());
        let published = Arc::new(AtomicU64::new(0));
        let cuts = Arc::new(std::sync::Mutex::new(Vec::new()));
        let told = cuts.clone();
        let mut ours = PublishingEstimator::new(
            800_000.0,
            (100_000.0, 2_500_000.0),
            reported.clone(),
            published.clone(),
            Arc::default(),
            Box::new(move |bps| told.lock().expect("cuts").push(bps)),
        );
        let mut rtc_gcc = Gcc::new(800_000.0, 100_000.0, 2_500_000.0);
        for batch in 0..50 {
            if batch % 10 == 0 {
                // The partner's receiver report: all arrived in the end.
                reported.record(&[0]);
            }
            let (at, reports) = feedback(batch, late);
            ours.on_reports(at, &reports);
            rtc_gcc.on_reports(at, &reports);
        }
        assert!(
            published.load(Ordering::Relaxed) >= 800_000,
            "reordering was taken for loss: {} bit/s",
            published.load(Ordering::Relaxed)
        );
        assert!(
            rtc_gcc.target_bitrate() < 800_000.0,
            "the case shows the difference: rtc's GCC alone cuts to {}",
            rtc_gcc.target_bitrate()
        );
        assert_eq!(
            *cuts.lock().expect("cuts"),
            Vec::<u64>::new(),
            "no cut to tell"
        );
        // Then a fifth of the packets lost, as the partner reports each second.
        let before = published.load(Ordering::Relaxed);
        for batch in 50..100 {
            if batch % 10 == 0 {
                reported.record(&[51, 51]);
            }
            let (at, reports) = feedback(batch, |i| i % 5 == 1);
            ours.on_reports(at, &reports);
        }
        let after = published.load(Ordering::Relaxed);
        // Each second cuts by half the loss: 0.9⁴ or more in 5 s.
        assert!(
            after * 10 < before * 7,
            "20 % loss for 5 s: {before} → {after}"
        );
        // Each cut of 15 % or more was told as it was made (the encoder
        // would otherwise hear it with the next second's figures), and
        // the smaller steps between are left to those figures.
        let cuts = cuts.lock().expect("cuts").clone();
        assert!(!cuts.is_empty(), "the cuts are told");
        let mut from = before as f64;
        for cut in &cuts {
            assert!((*cut as f64) < from * (1.0 - CUT), "{before}: {cuts:?}");
            from = *cut as f64;
        }
        assert!(
            after as f64 > from * (1.0 - CUT),
            "the last cut is told: {cuts:?}, now {after}"
        );
        // The pacer gets the same target, times the pacing factor (published
        // in whole bits per second).
        assert!((after as f64 * PACING_FACTOR - ours.target_bitrate()).abs() < PACING_FACTOR);
    }
}
