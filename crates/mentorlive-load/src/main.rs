//! Load on the reference server from a second process: ROOMS live rooms,
//! two clients each (joining, signaling both ways once a second with acks,
//! leaving at the end), plus REST traffic (each room's mentor validates its
//! code every 5 s). Rooms are added in steps; after each step the figures
//! for that step are printed as one JSON line: rooms held, ack round trips
//! p50/p99, REST p99, errors, and the server's memory. Setup (accounts,
//! sessions, codes) is not measured. Run with rate limits off.
//!
//! Usage: mentorlive-load SERVER_URL ROOMS STEPS HOLD_SECONDS [SERVER_PID]

use mentorlive_api::ApiClient;
use mentorlive_protocol::{CreateSessionRequest, RegisterRequest, Role};
use mentorlive_signaling::{ClientOptions, LiveClient, LiveEvent};
use serde_json::json;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Default)]
struct Figures {
    acks: Mutex<Vec<f64>>,
    rest: Mutex<Vec<f64>>,
    errors: AtomicU64,
    signals_received: AtomicU64,
}

impl Figures {
    fn take(&self) -> (Vec<f64>, Vec<f64>) {
        let mut acks = std::mem::take(&mut *self.acks.lock().unwrap_or_else(|p| p.into_inner()));
        let mut rest = std::mem::take(&mut *self.rest.lock().unwrap_or_else(|p| p.into_inner()));
        acks.sort_by(f64::total_cmp);
        rest.sort_by(f64::total_cmp);
        (acks, rest)
    }
}

fn pct(sorted: &[f64], p: f64) -> Option<f64> {
    if sorted.is_empty() {
        return None;
    }
    let v = sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)];
    Some((v * 100.0).round() / 100.0)
}

fn rss_mb(pid: Option<u32>) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{}/status", pid?)).ok()?;
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some((kb / 1024.0 * 10.0).round() / 10.0)
}

struct Room {
    code: String,
    mentor_token: String,
    learner_token: String,
}

/// Accounts, a session and a live code for one room, through the REST API.
async fn make_room(
    url: &str,
    run: &str,
    i: usize,
) -> Result<Room, Box<dyn std::error::Error + Send + Sync>> {
    let api = ApiClient::new(url)?;
    let mut tokens = Vec::new();
    let mut ids = Vec::new();
    for role in [Role::Mentor, Role::Learner] {
        let auth = api
            .register(&RegisterRequest {
                email: format!("load-{run}-{i}-{role:?}@example.com").to_lowercase(),
                password: "load-test-password".into(),
                name: format!("Load {role:?} {i}"),
                role,
            })
            .await?;
        ids.push(auth.user.id.clone());
        tokens.push(auth.token);
    }
    let mentor = api.clone().with_token(tokens[0].clone());
    let session = mentor
        .create_session(&CreateSessionRequest {
            title: format!("Load room {i}"),
            mentor_id: ids[0].clone(),
            learner_id: ids[1].clone(),
            scheduled_at: time::OffsetDateTime::now_utc() + time::Duration::hours(1),
            duration_minutes: 60,
        })
        .await?;
    let (info, _) = mentor.generate_live_code(&session.id).await?;
    Ok(Room {
        code: info.code,
        mentor_token: tokens.remove(0),
        learner_token: tokens.remove(0),
    })
}

/// One room held until `stop`: both join, each signals the other once a
/// second (acked), the mentor validates the code every 5 s over REST.
async fn hold_room(
    url: String,
    room: Room,
    figures: Arc<Figures>,
    stop: tokio::sync::watch::Receiver<bool>,
) {
    let options = ClientOptions::default();
    let result: Result<(), Box<dyn std::error::Error + Send + Sync>> = async {
        let (mentor, mut mentor_events) = LiveClient::connect(&url, &room.mentor_token, options.clone()).await?;
        let (learner, mut learner_events) = LiveClient::connect(&url, &room.learner_token, options).await?;
        let a = mentor.join(&room.code).await?;
        let b = learner.join(&room.code).await?;
        for events in [&mut mentor_events, &mut learner_events] {
            // Count what arrives (signals from the partner), so queues drain.
            let figures = figures.clone();
            let mut events = std::mem::replace(events, tokio::sync::mpsc::channel(1).1);
            tokio::spawn(async move {
                while let Some(event) = events.recv().await {
                    if matches!(event, LiveEvent::Signal(_)) {
                        figures.signals_received.fetch_add(1, Ordering::Relaxed);
                    }
                }
            });
        }
        let api = ApiClient::new(&url)?.with_token(room.mentor_token.clone());
        let payload = json!({"type": "candidate", "candidate": {"candidate": "candidate:1 1 udp 2122260223 127.0.0.1 54321 typ host", "sdpMid": "0", "sdpMLineIndex": 0}});
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        // Spread the rooms' ticks over the second.
        tokio::time::sleep(Duration::from_millis(rand_ms())).await;
        let mut n = 0u64;
        let mut stop = stop;
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = stop.changed() => break,
            }
            n += 1;
            for (client, to) in [(&mentor, &b.peer_id), (&learner, &a.peer_id)] {
                let t = Instant::now();
                match client.signal(to, payload.clone()).await {
                    Ok(()) => figures.acks.lock().unwrap_or_else(|p| p.into_inner()).push(t.elapsed().as_secs_f64() * 1000.0),
                    Err(_) => { figures.errors.fetch_add(1, Ordering::Relaxed); }
                }
            }
            if n.is_multiple_of(5) {
                let t = Instant::now();
                match api.validate_live_code(&room.code).await {
                    Ok(_) => figures.rest.lock().unwrap_or_else(|p| p.into_inner()).push(t.elapsed().as_secs_f64() * 1000.0),
                    Err(_) => { figures.errors.fetch_add(1, Ordering::Relaxed); }
                }
            }
        }
        let _ = mentor.leave().await;
        let _ = learner.leave().await;
        mentor.close();
        learner.close();
        Ok(())
    }
    .await;
    if let Err(err) = result {
        figures.errors.fetch_add(1, Ordering::Relaxed);
        eprintln!("room error: {err}");
    }
}

fn rand_ms() -> u64 {
    let mut b = [0u8; 2];
    let _ = getrandom::getrandom(&mut b);
    u64::from(u16::from_le_bytes(b)) % 1000
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 5 {
        return Err(
            "usage: mentorlive-load SERVER_URL ROOMS STEPS HOLD_SECONDS [SERVER_PID]".into(),
        );
    }
    let url = args[1].clone();
    let rooms: usize = args[2].parse()?;
    let steps: usize = args[3].parse::<usize>()?.max(1);
    let hold: u64 = args[4].parse()?;
    let server_pid: Option<u32> = args.get(5).and_then(|p| p.parse().ok());
    let run = format!("{:x}", rand_ms() * 1_000_003 + std::process::id() as u64);

    // Setup, not measured: 16 at a time (argon2 makes registration slow on purpose).
    let started = Instant::now();
    let mut made = Vec::with_capacity(rooms);
    let sem = Arc::new(tokio::sync::Semaphore::new(16));
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..rooms {
        let (url, run, sem) = (url.clone(), run.clone(), sem.clone());
        tasks.spawn(async move {
            let _permit = sem.acquire().await;
            make_room(&url, &run, i).await
        });
    }
    while let Some(room) = tasks.join_next().await {
        made.push(room??);
    }
    eprintln!(
        "setup: {rooms} rooms in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let figures = Arc::new(Figures::default());
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut holders = tokio::task::JoinSet::new();
    let per_step = rooms.div_ceil(steps);
    let mut held = 0;
    while !made.is_empty() {
        for room in made.drain(..per_step.min(made.len())) {
            holders.spawn(hold_room(
                url.clone(),
                room,
                figures.clone(),
                stop_rx.clone(),
            ));
            held += 1;
        }
        // Let the step's joins settle, then measure a clean window.
        tokio::time::sleep(Duration::from_secs(3)).await;
        let _ = figures.take();
        let errors_before = figures.errors.load(Ordering::Relaxed);
        tokio::time::sleep(Duration::from_secs(hold)).await;
        let (acks, rest) = figures.take();
        println!(
            "{}",
            json!({
                "rooms": held, "clients": held * 2,
                "acks": acks.len(), "ack_p50_ms": pct(&acks, 0.5), "ack_p99_ms": pct(&acks, 0.99),
                "rest_calls": rest.len(), "rest_p50_ms": pct(&rest, 0.5), "rest_p99_ms": pct(&rest, 0.99),
                "errors": figures.errors.load(Ordering::Relaxed) - errors_before,
                "server_rss_mb": rss_mb(server_pid),
            })
        );
    }
    let _ = stop_tx.send(true);
    while holders.join_next().await.is_some() {}
    println!(
        "{}",
        json!({"done": true, "rooms": held, "errors_total": figures.errors.load(Ordering::Relaxed),
               "signals_received": figures.signals_received.load(Ordering::Relaxed)})
    );
    Ok(())
}
