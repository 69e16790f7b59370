//! Figures for the call engine on loopback, printed as JSON lines:
//! - `join_to_first_frame`: the second joiner's `live:join` to its first
//!   remote video frame, N fresh calls, median and spread;
//! - `transport_latency`: a frame handed to one engine to the same frame out
//!   of the other, p50/p99, at 30 fps with 640x480-sized frames.
//!
//! Usage: call_bench SERVER_URL MENTOR_TOKEN LEARNER_TOKEN CODE [TRIALS] [SECONDS]

use bytes::Bytes;
use mentorlive_engine::join_timeline::JoinStep;
use mentorlive_engine::{Call, CallOptions, EncodedVideoFrame, MediaKind};
use serde_json::json;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn options(server: &str, token: &str, code: &str) -> CallOptions {
    let mut o = CallOptions::new(server, token, code);
    o.udp_addrs = vec!["127.0.0.1:0".into()];
    o
}

/// A synthetic VP8-shaped frame: the keyframe bit clear (so every frame is
/// decodable on its own), a sequence number, and padding to `size` bytes.
fn frame(seq: u64, size: usize) -> EncodedVideoFrame {
    let mut data = vec![0u8; size.max(16)];
    data[0] = 0x10;
    data[1..9].copy_from_slice(&seq.to_le_bytes());
    EncodedVideoFrame {
        data: Bytes::from(data),
        duration: Duration::from_millis(33),
        keyframe: true,
    }
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)]
}

async fn send_frames(call: Call, stamps: Arc<Mutex<HashMap<u64, Instant>>>, stop: Instant) {
    let mut tick = tokio::time::interval(Duration::from_millis(33));
    let mut seq = 0u64;
    while Instant::now() < stop {
        tick.tick().await;
        // Sizes of a 640x480 VP8 stream at ~800 kbit/s: a 30 kB keyframe
        // each second, 3 kB deltas between.
        let size = if seq.is_multiple_of(30) {
            30_000
        } else {
            3_000
        };
        stamps
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(seq, Instant::now());
        call.send_video(frame(seq, size));
        seq += 1;
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (server, mentor, learner, code) =
        match args.as_slice() {
            [_, s, m, l, c, ..] => (s.as_str(), m.as_str(), l.as_str(), c.as_str()),
            _ => return Err(
                "usage: call_bench SERVER_URL MENTOR_TOKEN LEARNER_TOKEN CODE [TRIALS] [SECONDS]"
                    .into(),
            ),
        };
    let trials: usize = args.get(5).map(|s| s.parse()).transpose()?.unwrap_or(10);
    let seconds: u64 = args.get(6).map(|s| s.parse()).transpose()?.unwrap_or(10);

    // 1. Join to first remote frame, fresh calls each time.
    let mut joins = Vec::new();
    let mut timelines = Vec::new();
    let mut first_timelines = Vec::new();
    for _ in 0..trials {
        let first_started = Instant::now();
        let (first, _first_events, _first_frames) =
            Call::join(options(server, mentor, code)).await?;
        let stop = Instant::now() + Duration::from_secs(10);
        let sender = tokio::spawn(send_frames(
            first.clone(),
            Arc::new(Mutex::new(HashMap::new())),
            stop,
        ));
        let started = Instant::now();
        let (second, _events, mut frames) = Call::join(options(server, learner, code)).await?;
        let elapsed = loop {
            match tokio::time::timeout(Duration::from_secs(10), frames.recv()).await {
                Ok(Some(f)) if f.kind == MediaKind::Video => break started.elapsed(),
                Ok(Some(_)) => continue,
                _ => return Err("no first frame within 10 s".into()),
            }
        };
        joins.push(elapsed.as_secs_f64() * 1000.0);
        timelines.push(second.join_timeline());
        // The first joiner's steps on the second's clock: both calls run in
        // this process, so one Instant serves both.
        let behind = started.duration_since(first_started);
        first_timelines.push(
            first
                .join_timeline()
                .into_iter()
                .filter_map(|(step, at)| at.checked_sub(behind).map(|at| (step, at)))
                .collect::<Vec<_>>(),
        );
        sender.abort();
        second.hang_up().await;
        first.hang_up().await;
    }
    let mut sorted = joins.clone();
    sorted.sort_by(f64::total_cmp);
    println!(
        "{}",
        json!({"figure": "join_to_first_frame", "peer": "native (mentorlive-engine)", "trials": trials,
        "median_ms": pct(&sorted, 0.5), "min_ms": sorted[0], "max_ms": sorted[sorted.len() - 1], "all_ms": joins})
    );

    for (who, timelines) in [
        ("the second joiner", &timelines),
        ("the first joiner, on the second's clock", &first_timelines),
    ] {
        println!(
            "{}",
            json!({"figure": "join_timeline", "peer": format!("native (mentorlive-engine), {who}"),
            "trials": trials, "median_ms": median_steps(timelines)?})
        );
    }

    // 2. Transport latency over one call.
    let (first, _e1, _f1) = Call::join(options(server, mentor, code)).await?;
    let (second, _e2, mut frames) = Call::join(options(server, learner, code)).await?;
    // Wait for the path, then measure.
    let _ = tokio::time::timeout(Duration::from_secs(10), frames.recv()).await;
    let stamps = Arc::new(Mutex::new(HashMap::new()));
    let began = Instant::now();
    // The first seconds hold the congestion estimate's ramp, when the pacer
    // spreads the first keyframes: reported apart, as issue 19 asks.
    let settled = began + Duration::from_secs(5);
    let stop = began + Duration::from_secs(seconds);
    let sender = tokio::spawn(send_frames(first.clone(), stamps.clone(), stop));
    let mut latencies = Vec::new();
    let mut settled_latencies = Vec::new();
    while Instant::now() < stop + Duration::from_millis(500) {
        let Ok(Some(f)) = tokio::time::timeout(Duration::from_millis(600), frames.recv()).await
        else {
            break;
        };
        if f.kind != MediaKind::Video || f.data.len() < 9 {
            continue;
        }
        let seq = u64::from_le_bytes(f.data[1..9].try_into().unwrap_or([0; 8]));
        if let Some(sent) = stamps
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&seq)
        {
            let ms = f.arrival.duration_since(sent).as_secs_f64() * 1000.0;
            latencies.push(ms);
            if sent >= settled {
                settled_latencies.push(ms);
            }
        }
    }
    let _ = sender.await;
    let sent = seconds * 30;
    latencies.sort_by(f64::total_cmp);
    settled_latencies.sort_by(f64::total_cmp);
    if latencies.is_empty() || settled_latencies.is_empty() {
        return Err("no frames measured".into());
    }
    println!(
        "{}",
        json!({"figure": "transport_latency", "peer": "native (mentorlive-engine)", "frames_sent": sent,
        "frames_measured": latencies.len(), "p50_ms": pct(&latencies, 0.5), "p99_ms": pct(&latencies, 0.99), "max_ms": latencies[latencies.len() - 1],
        "after_5s_p50_ms": pct(&settled_latencies, 0.5), "after_5s_p99_ms": pct(&settled_latencies, 0.99)})
    );
    second.hang_up().await;
    first.hang_up().await;
    Ok(())
}

/// Each step's median over the trials, in the order of the first trial.
fn median_steps(
    timelines: &[Vec<(JoinStep, Duration)>],
) -> Result<serde_json::Map<String, serde_json::Value>, serde_json::Error> {
    let mut steps = serde_json::Map::new();
    for (step, _) in timelines.first().cloned().unwrap_or_default() {
        let mut at: Vec<f64> = timelines
            .iter()
            .filter_map(|t| t.iter().find(|(s, _)| *s == step))
            .map(|(_, d)| d.as_secs_f64() * 1000.0)
            .collect();
        at.sort_by(f64::total_cmp);
        steps.insert(
            serde_json::to_value(step)?
                .as_str()
                .unwrap_or("?")
                .to_owned(),
            json!(pct(&at, 0.5)),
        );
    }
    Ok(steps)
}
