//! Emit-with-ack round trips through the reference server: two clients in one
//! room, one sends `live:signal` to the other and waits for each ack, with a
//! window of messages in flight. Prints one JSON line of figures.
//!
//! Usage: ack_bench SERVER_URL TOKEN_A TOKEN_B CODE COUNT WINDOW

use mentorlive_signaling::{ClientOptions, LiveClient};
use serde_json::json;
use std::time::{Duration, Instant};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let [_, url, token_a, token_b, code, count, window] = args.as_slice() else {
        return Err("usage: ack_bench SERVER_URL TOKEN_A TOKEN_B CODE COUNT WINDOW".into());
    };
    let count: usize = count.parse()?;
    let window: usize = window.parse()?;
    let (a, _a_events) = LiveClient::connect(url, token_a, ClientOptions::default()).await?;
    let (b, mut b_events) = LiveClient::connect(url, token_b, ClientOptions::default()).await?;
    a.join(code).await?;
    let joined_b = b.join(code).await?;
    let target = joined_b.peer_id.clone();
    // Drain what B receives so its queue never fills.
    tokio::spawn(async move { while b_events.recv().await.is_some() {} });
    let _keep_b = b;

    let payload = json!({"type": "candidate", "candidate": {"candidate": "candidate:1 1 udp 2122260223 127.0.0.1 54321 typ host", "sdpMid": "0", "sdpMLineIndex": 0}});
    // Warm-up.
    for _ in 0..200 {
        a.signal(&target, payload.clone()).await?;
    }
    let mut latencies: Vec<Duration> = Vec::with_capacity(count);
    let started = Instant::now();
    let mut in_flight = futures_util::stream::FuturesUnordered::new();
    let mut sent = 0;
    use futures_util::StreamExt;
    while latencies.len() < count {
        while sent < count && in_flight.len() < window {
            let a = a.clone();
            let target = target.clone();
            let payload = payload.clone();
            in_flight.push(async move {
                let t = Instant::now();
                a.signal(&target, payload).await.map(|()| t.elapsed())
            });
            sent += 1;
        }
        if let Some(result) = in_flight.next().await {
            latencies.push(result?);
        }
    }
    let elapsed = started.elapsed();
    latencies.sort_unstable();
    let pct = |p: f64| {
        latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)].as_secs_f64()
            * 1000.0
    };
    println!(
        "{}",
        json!({"client": "rust (mentorlive-signaling)", "messages": count, "window": window,
               "per_second": (count as f64 / elapsed.as_secs_f64()).round(),
               "p50_ms": pct(0.50), "p99_ms": pct(0.99)})
    );
    Ok(())
}
