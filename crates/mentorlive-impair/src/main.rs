//! `mentorlive-impair`: a UDP proxy that impairs what crosses it, both ways:
//! delay with jitter, random or bursty loss, and a bottleneck with a queue
//! (see the library). Put it in front of a TURN server, name it as the TURN
//! server's address, and every relayed packet of a call goes through it.
//!
//! ```text
//! mentorlive-impair --listen 127.0.0.1:3479 --upstream 127.0.0.1:3478 \
//!     --delay 100ms --jitter 20ms --loss 3% --rate 500kbit --queue 200ms \
//!     --schedule 20s=300kbit,35s=2mbit
//! ```
//!
//! It prints one JSON line a second, or every `--report-every` (what it
//! passed, lost and dropped, the bottleneck's rate and queueing delay), for
//! plots and tests, and a line when the schedule changes the rate. The
//! schedule's times count from the first packet a client sends, so a step
//! falls at the same moment of a call however long the call took to start.

use mentorlive_impair::{Loss, Path, Profile};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;

struct Options {
    listen: SocketAddr,
    upstream: SocketAddr,
    profile: Profile,
    /// (after, rate): the bottleneck's rate changes at these times.
    schedule: Vec<(Duration, Option<u64>)>,
    /// How often the per-client counts are printed.
    report_every: Duration,
    seed: u64,
    /// Whether packets back to the clients are impaired too. In front of
    /// TURN with two relay-only peers, impairing only what each client sends
    /// gives each direction of the call one impaired path (its sender's
    /// uplink), with the round trip the two delays added.
    impair_back: bool,
}

fn duration(text: &str) -> Result<Duration, String> {
    let (number, unit) = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .map_or((text, "ms"), |at| text.split_at(at));
    let value: f64 = number
        .parse()
        .map_err(|_| format!("{text}: not a duration"))?;
    let seconds = match unit {
        "ms" => value / 1000.0,
        "s" => value,
        _ => return Err(format!("{text}: use ms or s")),
    };
    Ok(Duration::from_secs_f64(seconds))
}

fn rate(text: &str) -> Result<Option<u64>, String> {
    if text == "none" {
        return Ok(None);
    }
    let lower = text.to_ascii_lowercase();
    let (number, scale) = if let Some(n) = lower.strip_suffix("mbit") {
        (n, 1e6)
    } else if let Some(n) = lower.strip_suffix("kbit") {
        (n, 1e3)
    } else if let Some(n) = lower.strip_suffix("bit") {
        (n, 1.0)
    } else {
        return Err(format!("{text}: a rate such as 500kbit or 2mbit"));
    };
    let value: f64 = number.parse().map_err(|_| format!("{text}: not a rate"))?;
    Ok(Some((value * scale) as u64))
}

fn percent(text: &str) -> Result<f64, String> {
    let number = text.strip_suffix('%').unwrap_or(text);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("{text}: not a percentage"))?;
    if !(0.0..=100.0).contains(&value) {
        return Err(format!("{text}: between 0% and 100%"));
    }
    Ok(value / 100.0)
}

const USAGE: &str = "usage: mentorlive-impair --listen ADDR --upstream ADDR [--delay 50ms] [--jitter 10ms] \
[--loss 3%] [--burst PACKETS] [--rate 500kbit] [--queue 200ms] [--no-reorder] [--schedule 20s=300kbit,35s=2mbit] [--report-every 1s] [--seed N] [--impair out|both]\n\
Each way gets the delay, so the round trip is twice --delay; with --impair out only what clients send is impaired. --burst makes the loss come in bursts of that mean length. The schedule counts from the first packet a client sends.";

fn parse(mut args: impl Iterator<Item = String>) -> Result<Options, String> {
    let mut listen = None;
    let mut upstream = None;
    let mut profile = Profile::default();
    let mut loss = 0.0;
    let mut burst = None;
    let mut schedule = Vec::new();
    let mut seed = 1;
    let mut report_every = Duration::from_secs(1);
    let mut impair_back = true;
    while let Some(flag) = args.next() {
        if flag == "--no-reorder" {
            profile.reorder = false;
            continue;
        }
        let value = args
            .next()
            .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
        match flag.as_str() {
            "--listen" => listen = Some(value.parse().map_err(|_| format!("{value}: an address"))?),
            "--upstream" => {
                upstream = Some(value.parse().map_err(|_| format!("{value}: an address"))?)
            }
            "--delay" => profile.delay = duration(&value)?,
            "--jitter" => profile.jitter = duration(&value)?,
            "--loss" => loss = percent(&value)?,
            "--burst" => {
                burst = Some(
                    value
                        .parse::<f64>()
                        .map_err(|_| format!("{value}: packets"))?,
                )
            }
            "--rate" => profile.rate_bps = rate(&value)?,
            "--queue" => profile.queue = duration(&value)?,
            "--report-every" => {
                report_every = duration(&value)?;
                if report_every < Duration::from_millis(10) {
                    return Err(format!("--report-every {value}: 10ms or more"));
                }
            }
            "--seed" => seed = value.parse().map_err(|_| format!("{value}: a number"))?,
            "--impair" => {
                impair_back = match value.as_str() {
                    "both" => true,
                    "out" => false,
                    _ => return Err(format!("--impair {value}: out or both")),
                }
            }
            "--schedule" => {
                for step in value.split(',') {
                    let (at, to) = step
                        .split_once('=')
                        .ok_or_else(|| format!("{step}: TIME=RATE"))?;
                    schedule.push((duration(at)?, rate(to)?));
                }
            }
            _ => return Err(format!("unknown option {flag}\n{USAGE}")),
        }
    }
    profile.loss = match (loss, burst) {
        (l, _) if l <= 0.0 => Loss::None,
        (l, Some(b)) => Loss::bursts(l, b),
        (l, None) => Loss::Random(l),
    };
    schedule.sort_by_key(|(at, _)| *at);
    Ok(Options {
        listen: listen.ok_or(USAGE)?,
        upstream: upstream.ok_or(USAGE)?,
        profile,
        schedule,
        report_every,
        seed,
        impair_back,
    })
}

/// A packet on its way in, from a client or back from upstream.
enum Inbound {
    FromClient(SocketAddr, Vec<u8>),
    FromUpstream(SocketAddr, Vec<u8>),
}

/// One client's two directions and its socket towards upstream.
struct Flow {
    out: Path,
    back: Path,
    upstream: Arc<UdpSocket>,
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let options = match parse(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(2);
        }
    };
    if let Err(err) = run(options).await {
        eprintln!("mentorlive-impair: {err}");
        std::process::exit(1);
    }
}

async fn run(options: Options) -> std::io::Result<()> {
    let listener = Arc::new(UdpSocket::bind(options.listen).await?);
    println!("{{\"listening\":\"{}\"}}", listener.local_addr()?);
    let (tx, mut rx) = mpsc::unbounded_channel();
    {
        let (listener, tx) = (listener.clone(), tx.clone());
        tokio::spawn(async move {
            let mut buf = vec![0u8; 65_536];
            while let Ok((n, from)) = listener.recv_from(&mut buf).await {
                let _ = tx.send(Inbound::FromClient(from, buf[..n].to_vec()));
            }
        });
    }
    let started = Instant::now();
    let mut profile = options.profile.clone();
    let mut schedule = options.schedule.into_iter().peekable();
    // The schedule's clock starts with the first packet from a client.
    let mut first_packet: Option<Instant> = None;
    let mut flows: HashMap<SocketAddr, Flow> = HashMap::new();
    let mut next_report = started + options.report_every;
    loop {
        let now = Instant::now();
        // The bottleneck's rate changes on schedule, for every flow.
        let due = |at: &Duration| first_packet.map(|first| first + *at);
        while schedule
            .peek()
            .and_then(|(at, _)| due(at))
            .is_some_and(|when| when <= now)
        {
            if let Some((_, rate)) = schedule.next() {
                println!(
                    "{{\"t\":{:.3},\"rateBps\":{},\"step\":true}}",
                    started.elapsed().as_secs_f64(),
                    rate.map_or("null".into(), |r| r.to_string()),
                );
                profile.rate_bps = rate;
                for flow in flows.values_mut() {
                    flow.out.set_profile(profile.clone());
                    if options.impair_back {
                        flow.back.set_profile(profile.clone());
                    }
                }
            }
        }
        for (client, flow) in flows.iter_mut() {
            while let Some(packet) = flow.out.poll(now) {
                let _ = flow.upstream.send(&packet).await;
            }
            while let Some(packet) = flow.back.poll(now) {
                let _ = listener.send_to(&packet, client).await;
            }
        }
        if now >= next_report {
            next_report += options.report_every;
            for (client, flow) in &flows {
                let (out, back) = (flow.out.counts(), flow.back.counts());
                println!(
                    "{{\"t\":{:.3},\"client\":\"{client}\",\"rateBps\":{},\"out\":{{\"sent\":{},\"sentBytes\":{},\"lost\":{},\"overflowed\":{},\"delivered\":{},\"queueingMs\":{}}},\"back\":{{\"sent\":{},\"sentBytes\":{},\"lost\":{},\"overflowed\":{},\"delivered\":{},\"queueingMs\":{}}}}}",
                    started.elapsed().as_secs_f64(),
                    profile.rate_bps.map_or("null".into(), |r| r.to_string()),
                    out.sent, out.sent_bytes, out.lost, out.overflowed, out.delivered, flow.out.queueing_now().as_millis(),
                    back.sent, back.sent_bytes, back.lost, back.overflowed, back.delivered, flow.back.queueing_now().as_millis(),
                );
            }
        }
        let wake = flows
            .values()
            .flat_map(|f| [f.out.next_release(), f.back.next_release()])
            .flatten()
            .chain([next_report])
            .chain(schedule.peek().and_then(|(at, _)| due(at)))
            .min()
            .unwrap_or(next_report);
        tokio::select! {
            inbound = rx.recv() => {
                let Some(inbound) = inbound else { return Ok(()) };
                let now = Instant::now();
                match inbound {
                    Inbound::FromClient(client, packet) => {
                        first_packet.get_or_insert(now);
                        if !flows.contains_key(&client) {
                            let upstream = Arc::new(UdpSocket::bind(if options.upstream.is_ipv4() { "0.0.0.0:0" } else { "[::]:0" }).await?);
                            upstream.connect(options.upstream).await?;
                            let (socket, tx) = (upstream.clone(), tx.clone());
                            tokio::spawn(async move {
                                let mut buf = vec![0u8; 65_536];
                                while let Ok(n) = socket.recv(&mut buf).await {
                                    let _ = tx.send(Inbound::FromUpstream(client, buf[..n].to_vec()));
                                }
                            });
                            let seed = options.seed.wrapping_add(flows.len() as u64 * 2);
                            flows.insert(client, Flow {
                                out: Path::new(profile.clone(), seed),
                                back: Path::new(if options.impair_back { profile.clone() } else { Profile::default() }, seed + 1),
                                upstream,
                            });
                        }
                        if let Some(flow) = flows.get_mut(&client) {
                            flow.out.push(now, packet);
                        }
                    }
                    Inbound::FromUpstream(client, packet) => {
                        if let Some(flow) = flows.get_mut(&client) {
                            flow.back.push(now, packet);
                        }
                    }
                }
            }
            _ = tokio::time::sleep_until(wake.into()) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_read_as_a_person_writes_them() {
        let args = "--listen 127.0.0.1:0 --upstream 127.0.0.1:3478 --delay 50ms --jitter 0.02s --loss 10% --burst 12 --rate 500kbit --schedule 20s=300kbit,35s=2mbit --report-every 250ms";
        let options = parse(args.split(' ').map(str::to_owned)).expect("options");
        assert_eq!(options.profile.delay, Duration::from_millis(50));
        assert_eq!(options.profile.jitter, Duration::from_millis(20));
        assert_eq!(options.profile.rate_bps, Some(500_000));
        assert_eq!(options.report_every, Duration::from_millis(250));
        assert!(matches!(options.profile.loss, Loss::Bursty { .. }));
        assert_eq!(
            options.schedule,
            vec![
                (Duration::from_secs(20), Some(300_000)),
                (Duration::from_secs(35), Some(2_000_000))
            ]
        );
        for bad in [
            "--loss 120%",
            "--rate fast",
            "--delay 5min",
            "--listen here",
            "--report-every 0s",
        ] {
            let mut args: Vec<String> = "--listen 127.0.0.1:0 --upstream 127.0.0.1:1"
                .split(' ')
                .map(str::to_owned)
                .collect();
            args.extend(bad.split(' ').map(str::to_owned));
            assert!(parse(args.into_iter()).is_err(), "{bad}");
        }
    }
}
