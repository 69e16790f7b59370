//! Does Opus in-band FEC help the partner's sound at 5 % loss? Speech (48 kHz
//! mono f32 samples from a file, `scripts/bench-fec.sh` makes it with flite)
//! is encoded as the page's encoder does (Opus, 32 kbit/s, 20 ms, VoIP),
//! packets are dropped at random with a fixed seed, and the bridge's own
//! decoder (`SoundDecoder`) plays what is left. Printed: the bitrate FEC
//! costs, and the SNR against the original, over the lost packets and over
//! everything.
//!
//! `cargo run --release -p mentorlive-bridge --example fec_at_loss -- speech.f32 [loss%]`

use mentorlive_bridge::sound::SoundDecoder;

const FRAME: usize = 960;

fn snr_db(reference: &[f32], decoded: &[f32]) -> f64 {
    let signal: f64 = reference.iter().map(|s| f64::from(*s).powi(2)).sum();
    let noise: f64 = reference
        .iter()
        .zip(decoded)
        .map(|(r, d)| f64::from(r - d).powi(2))
        .sum();
    10.0 * (signal / noise.max(1e-12)).log10()
}

/// A small deterministic generator, so every run loses the same packets.
struct Lcg(u64);
impl Lcg {
    fn next_unit(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

struct Run {
    kbps: f64,
    lost: usize,
    rebuilt_from_next: u64,
    snr_lost: f64,
    snr_all: f64,
}

fn run(speech: &[f32], fec: bool, loss: f64) -> Run {
    let mut encoder =
        opus::Encoder::new(48_000, opus::Channels::Mono, opus::Application::Voip).expect("encoder");
    encoder
        .set_bitrate(opus::Bitrate::Bits(32_000))
        .expect("bitrate");
    encoder.set_inband_fec(fec).expect("fec");
    encoder
        .set_packet_loss_perc(if fec {
            (loss * 100.0).round() as i32
        } else {
            0
        })
        .expect("loss");
    let delay = encoder.get_lookahead().expect("lookahead") as usize;
    let packets: Vec<Vec<u8>> = speech
        .chunks_exact(FRAME)
        .map(|frame| encoder.encode_vec_float(frame, 4000).expect("encode"))
        .collect();
    let bytes: usize = packets.iter().map(Vec::len).sum();
    let mut random = Lcg(0x5eed);
    let mut decoder = SoundDecoder::new().expect("decoder");
    let mut played = Vec::with_capacity(speech.len());
    let mut lost_frames = Vec::new();
    for (i, packet) in packets.iter().enumerate() {
        // The first and last packets always arrive: a loss at either end
        // has nothing to conceal against.
        if i > 0 && i + 1 < packets.len() && random.next_unit() < loss {
            lost_frames.push(i);
            continue;
        }
        played.extend(decoder.packet((i * FRAME) as u32, packet));
    }
    // The decoder's output lags the input by the encoder's lookahead.
    let aligned = &played[delay.min(played.len())..];
    let n = aligned.len().min(speech.len());
    let (mut reference, mut decoded) = (Vec::new(), Vec::new());
    for i in &lost_frames {
        let range = i * FRAME..((i + 1) * FRAME).min(n);
        reference.extend_from_slice(&speech[range.clone()]);
        decoded.extend_from_slice(&aligned[range]);
    }
    Run {
        kbps: bytes as f64 * 8.0 / (packets.len() as f64 * 0.02) / 1000.0,
        lost: lost_frames.len(),
        rebuilt_from_next: decoder.counters().rebuilt_from_next,
        snr_lost: snr_db(&reference, &decoded),
        snr_all: snr_db(&speech[..n], &aligned[..n]),
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .expect("usage: fec_at_loss SPEECH.f32 [LOSS_PERCENT]");
    let loss: f64 = args
        .next()
        .map_or(5.0, |a| a.parse().expect("a percentage"))
        / 100.0;
    let raw = std::fs::read(&path).expect("read the speech file");
    let speech: Vec<f32> = raw
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    println!(
        "{:.1} s of speech, {:.0} % random loss, Opus 32 kbit/s VoIP 20 ms, decoded by the bridge",
        speech.len() as f64 / 48_000.0,
        loss * 100.0
    );
    println!("| encoder | payload kbit/s | packets lost | rebuilt from the next packet | SNR over lost packets | SNR overall |");
    println!("|---|---|---|---|---|---|");
    for fec in [false, true] {
        let r = run(&speech, fec, loss);
        println!(
            "| in-band FEC {} | {:.1} | {} | {} | {:.1} dB | {:.1} dB |",
            if fec { "on" } else { "off" },
            r.kbps,
            r.lost,
            r.rebuilt_from_next,
            r.snr_lost,
            r.snr_all
        );
    }
}
