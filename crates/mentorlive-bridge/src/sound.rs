//! The partner's sound, decoded here (libopus) and sent to the webview as
//! samples, ready for its AudioWorklet.
//!
//! Why not WebCodecs' `AudioDecoder` in the webview: in WebKitGTK 2.50 every
//! `AudioData.copyTo` leaks, and a call lost 24 MB a minute to it
//! (DEVELOPERS.md, "Memory in a long call"). Decoding here also lets us
//! conceal a lost packet the way libopus knows best (its PLC, and the
//! in-band FEC the next packet may carry) instead of playing silence.
//!
//! Sans-IO: a packet and its RTP timestamp in, samples out; no clock.

/// Opus always decodes at 48 kHz here; the worklet plays at the context's rate.
pub const SAMPLE_RATE: u32 = 48_000;
/// The longest gap worth concealing, in samples: the engine's count of
/// concealed sound assumes the same.
const MAX_CONCEAL: u32 =
    (SAMPLE_RATE as u128 * mentorlive_engine::quality::MADE_UP_AT_MOST.as_millis() / 1000) as u32;
/// libopus conceals in steps of 2.5 ms.
const PLC_STEP: u32 = SAMPLE_RATE / 400;
/// The longest Opus packet: 120 ms.
const MAX_PACKET: usize = 5_760;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SoundCounters {
    /// Packets decoded.
    pub decoded: u64,
    /// Samples made up by libopus' loss concealment.
    pub concealed_samples: u64,
    /// Lost packets rebuilt from the packet after them: from its in-band FEC
    /// where it carries some (libopus conceals where it does not, and
    /// libopus 1.3 does not say which).
    pub rebuilt_from_next: u64,
    /// Packets that came after their turn (reordered, repeated): skipped.
    pub late: u64,
    /// Packets libopus could not read: skipped.
    pub unreadable: u64,
}

pub struct SoundDecoder {
    decoder: opus::Decoder,
    /// The RTP timestamp the next packet should carry.
    next: Option<u32>,
    counters: SoundCounters,
}

impl SoundDecoder {
    pub fn new() -> Result<SoundDecoder, opus::Error> {
        Ok(SoundDecoder {
            decoder: opus::Decoder::new(SAMPLE_RATE, opus::Channels::Mono)?,
            next: None,
            counters: SoundCounters::default(),
        })
    }

    pub fn counters(&self) -> SoundCounters {
        self.counters
    }

    /// One received packet: the samples to play now, concealment for a short
    /// gap before it first. Empty when the packet is skipped.
    pub fn packet(&mut self, rtp_timestamp: u32, data: &[u8]) -> Vec<f32> {
        let Ok(length) = opus::packet::get_nb_samples(data, SAMPLE_RATE) else {
            self.counters.unreadable += 1;
            return Vec::new();
        };
        let gap = match self.next {
            None => 0,
            Some(next) => {
                let ahead = rtp_timestamp.wrapping_sub(next);
                // More than half the clock ahead is behind: a packet after
                // its turn, skipped; more than a second behind, the
                // sender's clock started again, followed from here.
                if ahead > u32::MAX / 2 {
                    if next.wrapping_sub(rtp_timestamp) <= SAMPLE_RATE {
                        self.counters.late += 1;
                        return Vec::new();
                    }
                    0
                } else {
                    ahead
                }
            }
        };
        let mut out = Vec::with_capacity(length + gap.min(MAX_CONCEAL) as usize);
        if gap > 0 && gap <= MAX_CONCEAL {
            self.conceal(gap, length as u32, data, &mut out);
        }
        let start = out.len();
        out.resize(start + MAX_PACKET, 0.0);
        match self.decoder.decode_float(data, &mut out[start..], false) {
            Ok(n) => {
                out.truncate(start + n);
                self.counters.decoded += 1;
                self.next = Some(rtp_timestamp.wrapping_add(n as u32));
            }
            Err(_) => {
                out.truncate(start);
                self.counters.unreadable += 1;
            }
        }
        out
    }

    /// `gap` samples are missing before a packet of `length`: the last
    /// packet's worth comes from that packet's FEC (libopus falls back to
    /// concealment when it carries none), the rest from concealment.
    fn conceal(&mut self, gap: u32, length: u32, data: &[u8], out: &mut Vec<f32>) {
        let gap = gap - gap % PLC_STEP;
        let (plc, fec) = if gap >= length {
            (gap - length, length)
        } else {
            (gap, 0)
        };
        let mut left = plc;
        while left > 0 {
            let step = left.min(MAX_PACKET as u32 - MAX_PACKET as u32 % PLC_STEP);
            self.decode_into(&[], step, false, out);
            left -= step;
        }
        if fec > 0 && self.decode_into(data, fec, true, out) {
            self.counters.rebuilt_from_next += 1;
        }
        self.counters.concealed_samples += u64::from(plc);
    }

    fn decode_into(&mut self, data: &[u8], samples: u32, fec: bool, out: &mut Vec<f32>) -> bool {
        let start = out.len();
        out.resize(start + samples as usize, 0.0);
        match self.decoder.decode_float(data, &mut out[start..], fec) {
            Ok(n) => {
                out.truncate(start + n);
                true
            }
            Err(_) => {
                // A decoder that cannot conceal still keeps time with silence.
                out[start..].fill(0.0);
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FRAME: usize = 960;

    /// A 440 Hz tone, Opus-encoded in 20 ms packets, with in-band FEC on as
    /// a browser's encoder has it (it needs an expected loss to spend bits).
    fn tone_packets(count: usize) -> Vec<Vec<u8>> {
        let mut encoder =
            opus::Encoder::new(SAMPLE_RATE, opus::Channels::Mono, opus::Application::Voip)
                .expect("encoder");
        encoder.set_inband_fec(true).expect("fec");
        encoder.set_packet_loss_perc(10).expect("loss");
        (0..count)
            .map(|i| {
                let pcm: Vec<f32> = (0..FRAME)
                    .map(|s| {
                        let t = (i * FRAME + s) as f32 / SAMPLE_RATE as f32;
                        0.5 * (t * 440.0 * std::f32::consts::TAU).sin()
                    })
                    .collect();
                encoder.encode_vec_float(&pcm, 4000).expect("encode")
            })
            .collect()
    }

    fn energy(samples: &[f32]) -> f32 {
        samples.iter().map(|s| s * s).sum::<f32>() / samples.len().max(1) as f32
    }

    #[test]
    fn packets_in_order_come_out_as_twenty_ms_of_sound_each() {
        let mut sound = SoundDecoder::new().expect("decoder");
        let packets = tone_packets(50);
        let mut total = 0;
        for (i, p) in packets.iter().enumerate() {
            let out = sound.packet(1_000 + (i * FRAME) as u32, p);
            assert_eq!(out.len(), FRAME);
            total += out.len();
        }
        assert_eq!(total, 50 * FRAME);
        assert_eq!(sound.counters().decoded, 50);
        assert_eq!(sound.counters().concealed_samples, 0);
    }

    #[test]
    fn a_lost_packet_is_rebuilt_from_the_next_ones_fec_and_time_is_kept() {
        let mut sound = SoundDecoder::new().expect("decoder");
        let packets = tone_packets(40);
        let mut played = Vec::new();
        for (i, p) in packets.iter().enumerate() {
            if i == 20 {
                continue;
            }
            played.extend(sound.packet((i * FRAME) as u32, p));
        }
        // Every sample of the 40 packets' time is there: none skipped.
        assert_eq!(played.len(), 40 * FRAME);
        assert_eq!(sound.counters().rebuilt_from_next, 1);
        // The rebuilt packet sounds like the tone, not like silence.
        let rebuilt = &played[20 * FRAME..21 * FRAME];
        let around = &played[25 * FRAME..26 * FRAME];
        assert!(
            energy(rebuilt) > 0.3 * energy(around),
            "rebuilt {} against {}",
            energy(rebuilt),
            energy(around)
        );
    }

    #[test]
    fn three_lost_packets_are_concealed_then_one_from_fec() {
        let mut sound = SoundDecoder::new().expect("decoder");
        let packets = tone_packets(20);
        let mut played = 0;
        for (i, p) in packets.iter().enumerate() {
            if (5..8).contains(&i) {
                continue;
            }
            played += sound.packet((i * FRAME) as u32, p).len();
        }
        assert_eq!(played, 20 * FRAME);
        assert_eq!(sound.counters().concealed_samples, 2 * FRAME as u64);
        assert_eq!(sound.counters().rebuilt_from_next, 1);
    }

    #[test]
    fn a_clock_that_starts_again_far_behind_is_followed() {
        let mut sound = SoundDecoder::new().expect("decoder");
        let packets = tone_packets(3);
        assert_eq!(sound.packet(900_000, &packets[0]).len(), FRAME);
        assert_eq!(sound.packet(5, &packets[1]).len(), FRAME);
        assert_eq!(sound.packet(5 + FRAME as u32, &packets[2]).len(), FRAME);
        assert_eq!(sound.counters().late, 0);
    }

    #[test]
    fn a_long_gap_is_a_pause_not_something_to_make_up() {
        let mut sound = SoundDecoder::new().expect("decoder");
        let packets = tone_packets(2);
        assert_eq!(sound.packet(0, &packets[0]).len(), FRAME);
        // A second later: the player's silence covers it.
        assert_eq!(sound.packet(48_000, &packets[1]).len(), FRAME);
        assert_eq!(sound.counters().concealed_samples, 0);
    }

    #[test]
    fn late_repeated_and_unreadable_packets_are_skipped_across_the_wrap() {
        let mut sound = SoundDecoder::new().expect("decoder");
        let packets = tone_packets(3);
        let start = u32::MAX - 500;
        assert_eq!(sound.packet(start, &packets[0]).len(), FRAME);
        let second = start.wrapping_add(FRAME as u32);
        assert_eq!(sound.packet(second, &packets[1]).len(), FRAME);
        assert!(sound.packet(start, &packets[0]).is_empty());
        assert!(sound.packet(second, &packets[1]).is_empty());
        assert_eq!(sound.counters().late, 2);
        assert!(sound.packet(second.wrapping_add(960), &[]).is_empty());
        assert!(sound
            .packet(second.wrapping_add(960), &[0xff; 3])
            .is_empty());
        assert_eq!(sound.counters().unreadable, 2);
        assert_eq!(sound.counters().decoded, 2);
    }
}
