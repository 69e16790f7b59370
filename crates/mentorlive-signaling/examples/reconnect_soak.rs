//! One signaling client that connects, joins a room, leaves and disconnects,
//! over and over, reading its own and the server's resident memory every
//! tenth of the run. Prints one JSON line per sample, then the growth.
//!
//! Usage: reconnect_soak SERVER_URL TOKEN CODE COUNT SERVER_PID

use mentorlive_signaling::{ClientOptions, LiveClient};
use serde_json::json;
use std::time::Instant;

/// VmRSS of a process, in KiB, from /proc.
fn rss_kib(pid: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, url, token, code, count, server_pid] = args.as_slice() else {
        return Err("usage: reconnect_soak SERVER_URL TOKEN CODE COUNT SERVER_PID".into());
    };
    let count: usize = count.parse()?;
    let every = (count / 10).max(1);
    let started = Instant::now();
    let mut samples: Vec<(usize, u64, u64)> = Vec::new();
    for round in 0..=count {
        if round % every == 0 {
            let ours = rss_kib("self").unwrap_or(0);
            let server = rss_kib(server_pid).unwrap_or(0);
            samples.push((round, ours, server));
            println!(
                "{}",
                json!({"reconnects": round, "clientRssKiB": ours, "serverRssKiB": server,
                       "seconds": started.elapsed().as_secs_f64().round()})
            );
        }
        if round == count {
            break;
        }
        let (client, events) = LiveClient::connect(url, token, ClientOptions::default()).await?;
        client.join(code).await?;
        client.leave().await?;
        client.close();
        drop(events);
    }
    // Growth after the first tenth (start-up allocations are not growth).
    let settled = &samples[1.min(samples.len() - 1)..];
    let (first, last) = (settled[0], settled[settled.len() - 1]);
    println!(
        "{}",
        json!({"reconnects": count,
               "perSecond": (count as f64 / started.elapsed().as_secs_f64()).round(),
               "clientRssGrowthKiB": last.1 as i64 - first.1 as i64,
               "serverRssGrowthKiB": last.2 as i64 - first.2 as i64,
               "from": first.0, "to": last.0})
    );
    Ok(())
}
