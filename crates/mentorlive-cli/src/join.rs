//! `join CODE`: a real call from files. Video is a VP8 IVF and audio an Opus
//! Ogg, both looped and paced in real time; a second VP8 IVF may go as a
//! screen share. What arrives is recorded to IVF and Ogg; with the
//! partner's consent the whole call is recorded to WebM as the desktop app
//! records it. Events (and stats, once a second) go to stdout.

use crate::frame_log::FrameLog;
use crate::ivf::IvfWriter;
use crate::ogg_opus::{packet_duration, OpusPackets};
use crate::video_source::{send_video, Renditions};
use anyhow::Context;
use bytes::Bytes;
use mentorlive_engine::machine::TheirRecording;
use mentorlive_engine::{
    Call, CallEvent, CallOptions, CallState, MediaKind, OpusPacket, ReceivedFrame, RecorderOptions,
    RecordingMeta,
};
use rtc::media::io::ogg_writer::OggWriter;
use rtc::media::io::Writer;
use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

#[derive(clap::Args)]
pub struct JoinArgs {
    /// The live code, as typed.
    code: String,
    /// VP8 video to send (IVF), looped. Given more than once: renditions of
    /// one video at different bitrates (the same source and keyframe
    /// interval); the one sent follows congestion control's target.
    #[arg(long)]
    video: Vec<PathBuf>,
    /// Opus audio to send (Ogg), looped.
    #[arg(long)]
    audio: Option<PathBuf>,
    /// Where to record the partner's video (IVF).
    #[arg(long)]
    record_video: Option<PathBuf>,
    /// Where to record the partner's audio (Ogg).
    #[arg(long)]
    record_audio: Option<PathBuf>,
    /// VP8 video to share as our screen (IVF), looped.
    #[arg(long)]
    screen: Option<PathBuf>,
    /// Start sharing the screen this long after the call first connects
    /// (default: at once).
    #[arg(long, value_parser = parse_duration, requires = "screen")]
    screen_after: Option<Duration>,
    /// Stop sharing after this long (default: share until the end).
    #[arg(long, value_parser = parse_duration, requires = "screen")]
    screen_for: Option<Duration>,
    /// Once stopped, share again after this long (with `--screen-for`: on
    /// and off in turn).
    #[arg(long, value_parser = parse_duration, requires = "screen_for")]
    screen_again_after: Option<Duration>,
    /// Where to record the partner's screen share (IVF).
    #[arg(long)]
    record_screen: Option<PathBuf>,
    /// Hang up after this long: `90` (seconds), `10s`, `1m30s`, `250ms`
    /// (default: stay until Ctrl+C).
    #[arg(long, value_parser = parse_duration)]
    duration: Option<Duration>,
    /// Leave when the partner leaves.
    #[arg(long)]
    leave_with_partner: bool,
    /// Send no call report to the server when the call ends (it is still
    /// printed).
    #[arg(long)]
    no_report: bool,
    /// Record the whole call (both people, the screen shares, the chat
    /// beside it) to this WebM file, once the partner consents: asked when
    /// the call first connects.
    #[arg(long)]
    record_call: Option<PathBuf>,
    /// Accept the partner's requests to record (the default declines).
    #[arg(long)]
    allow_recording: bool,
    /// Withdraw the consent this long after the partner starts recording.
    #[arg(long, value_parser = parse_duration, requires = "allow_recording")]
    revoke_recording_after: Option<Duration>,
    /// Never answer the partner's requests to record, as a client that
    /// does not know recording (for tests of the 30 s decline).
    #[arg(long, hide = true)]
    ignore_recording_requests: bool,
    /// The free space (MB) below which recording stops; twice it is needed
    /// to start (default: 100, so 500 to start).
    #[arg(long, hide = true)]
    record_min_free_mb: Option<u64>,
    /// Write a line for each camera frame sent and received (wall clock, a
    /// hash of its bytes, keyframe, size): for measuring delay, freezes and
    /// recoveries under an impaired path.
    #[arg(long, hide = true)]
    frame_log: Option<PathBuf>,
    /// Local address to gather ICE candidates on.
    #[arg(long, default_value = "0.0.0.0:0")]
    bind: String,
    /// Connect only through the server's relay (TURN): the partner learns
    /// no address of this machine.
    #[arg(long)]
    relay_only: bool,
}

impl JoinArgs {
    /// Whether this call records (and so needs the names and the title).
    pub fn records(&self) -> bool {
        self.record_call.is_some()
    }

    pub fn code(&self) -> &str {
        &self.code
    }
}

/// Who records what, for the recording's title and track names.
pub struct RecordingNames {
    pub me: String,
    pub title: String,
}

/// How long the call report may take to send once the call is over.
const REPORT_TIMEOUT: Duration = Duration::from_secs(5);

/// Sends the call's report; a refusal is said, never fatal (the call is
/// over whatever the server thinks of its figures).
async fn send_report(
    api: &mentorlive_api::ApiClient,
    session_id: &str,
    report: &mentorlive_protocol::analytics::CallReport,
    json: bool,
) {
    let send = async {
        api.send_call_report(session_id, report)
            .await
            .map_err(|e| e.to_string())
    };
    // A server out of reach must not hold the command up after the call.
    let sent = tokio::time::timeout(REPORT_TIMEOUT, send)
        .await
        .unwrap_or_else(|_| Err("the server did not answer in time".to_owned()));
    match (sent, json) {
        (Ok(stored), true) => println!(
            "{}",
            serde_json::json!({"event": "report_sent", "id": stored.id})
        ),
        (Ok(_), false) => println!("call report sent"),
        (Err(message), true) => println!(
            "{}",
            serde_json::json!({"event": "report_failed", "message": message})
        ),
        (Err(message), false) => eprintln!("the call report was not sent: {message}"),
    }
}

fn emit(json: bool, event: &CallEvent) {
    if json {
        if let Ok(line) = serde_json::to_string(event) {
            println!("{line}");
        }
    } else {
        println!("{event:?}");
    }
}

pub async fn run(
    api: &mentorlive_api::ApiClient,
    args: &JoinArgs,
    json: bool,
    names: Option<RecordingNames>,
) -> anyhow::Result<()> {
    let token = api.token().context("signed in without a token")?;
    let mut options = CallOptions::new(&api.server_url(), token, &args.code);
    options.udp_addrs = vec![args.bind.clone()];
    options.relay_only = args.relay_only;
    let (call, mut events, frames) = Call::join(options).await?;
    let keyframe = Arc::new(Notify::new());
    let video_restarted = Arc::new(Notify::new());
    // Until the first TargetBitrate, what congestion control starts from.
    let target_bps = Arc::new(AtomicU64::new(mentorlive_engine::INITIAL_BITRATE as u64));
    let frame_log = match &args.frame_log {
        Some(path) => {
            Some(FrameLog::create(path).with_context(|| format!("creating {}", path.display()))?)
        }
        None => None,
    };
    if !args.video.is_empty() {
        let renditions = Arc::new(Renditions::open(&args.video)?);
        tokio::spawn(send_video(
            call.clone(),
            renditions,
            target_bps.clone(),
            frame_log.clone(),
            keyframe.clone(),
            MediaKind::Video,
            Some(video_restarted.clone()),
        ));
    }
    let screen_keyframe = Arc::new(Notify::new());
    let connected = Arc::new(Notify::new());
    if let Some(path) = &args.screen {
        let screen = Arc::new(Renditions::open(std::slice::from_ref(path))?);
        tokio::spawn(share_screen(
            call.clone(),
            screen,
            screen_keyframe.clone(),
            connected.clone(),
            ScreenSchedule {
                after: args.screen_after.unwrap_or_default(),
                share_for: args.screen_for,
                again_after: args.screen_again_after,
            },
        ));
    }
    if let Some(path) = &args.audio {
        File::open(path).with_context(|| format!("opening {}", path.display()))?;
        tokio::spawn(send_audio(
            call.clone(),
            path.clone(),
            video_restarted.clone(),
        ));
    }
    let recorder = tokio::task::spawn_blocking({
        let video = args.record_video.clone();
        let audio = args.record_audio.clone();
        let screen = args.record_screen.clone();
        move || record(frames, video, audio, screen, frame_log)
    });

    let deadline = args.duration.map(|d| tokio::time::Instant::now() + d);
    let until = async {
        match deadline {
            Some(d) => tokio::time::sleep_until(d).await,
            None => std::future::pending().await,
        }
    };
    tokio::pin!(until);
    // One listener for the whole call: a fresh `ctrl_c()` each time round
    // the loop would miss a Ctrl+C (or a test's SIGINT) arriving between two
    // events, and the call would go on until `--duration` ran out.
    let interrupted = tokio::signal::ctrl_c();
    tokio::pin!(interrupted);
    let mut partner_name = String::from("Partner");
    let mut session_id = String::new();
    let mut asked_to_record = false;
    let revoke = tokio::time::sleep(Duration::MAX / 4);
    tokio::pin!(revoke);
    loop {
        tokio::select! {
            _ = &mut until => break,
            _ = &mut interrupted => break,
            _ = &mut revoke => {
                call.revoke_recording();
                revoke.as_mut().reset(tokio::time::Instant::now() + Duration::MAX / 4);
            }
            event = events.recv() => {
                let Some(event) = event else { break };
                emit(json, &event);
                match &event {
                    CallEvent::Joined { session_id: id, .. } => session_id = id.clone(),
                    CallEvent::KeyframeRequested => keyframe.notify_one(),
                    CallEvent::TargetBitrate { bps } => target_bps.store(*bps, Ordering::Relaxed),
                    CallEvent::ScreenKeyframeRequested => screen_keyframe.notify_one(),
                    CallEvent::PeerPresent { user, .. } => partner_name = user.name.clone(),
                    CallEvent::State { state: CallState::Connected } => {
                        connected.notify_one();
                        if let (Some(path), false) = (&args.record_call, asked_to_record) {
                            asked_to_record = true;
                            let options = recorder_options(path, names.as_ref(), &partner_name, args.record_min_free_mb);
                            if let Err(err) = call.record(options) {
                                // Said as an event, like the app shows it.
                                emit(json, &CallEvent::RecordingFailed { message: err.to_string() });
                            }
                        }
                    }
                    CallEvent::Recording { recording } => {
                        match recording.theirs {
                            TheirRecording::Asking if !args.ignore_recording_requests => {
                                call.answer_recording(args.allow_recording)
                            }
                            TheirRecording::Recording => {
                                if let Some(after) = args.revoke_recording_after {
                                    revoke.as_mut().reset(tokio::time::Instant::now() + after);
                                }
                            }
                            _ => {}
                        }
                    }
                    CallEvent::Replaced => break,
                    CallEvent::State { state: CallState::Ended } => break,
                    CallEvent::PeerLeft { .. } if args.leave_with_partner => break,
                    _ => {}
                }
            }
        }
    }
    call.hang_up().await;
    // Let the last events (the final stats, the report) out.
    let mut report = None;
    while let Ok(Some(event)) = tokio::time::timeout(Duration::from_millis(50), events.recv()).await
    {
        emit(json, &event);
        if let CallEvent::Report { report: r } = event {
            report = Some(*r);
        }
    }
    if let (Some(report), false) = (report, args.no_report || session_id.is_empty()) {
        send_report(api, &session_id, &report, json).await;
    }
    drop(events);
    drop(call);
    let summary = tokio::time::timeout(Duration::from_secs(5), recorder)
        .await
        .context("the recorder did not finish")???;
    if json {
        println!(
            "{}",
            serde_json::json!({
                "event": "recorded",
                "videoFrames": summary.video_frames,
                "audioPackets": summary.audio_packets,
                "screenFrames": summary.screen_frames,
            })
        );
    } else {
        println!(
            "recorded {} video frames, {} audio packets and {} screen frames",
            summary.video_frames, summary.audio_packets, summary.screen_frames
        );
    }
    Ok(())
}

fn recorder_options(
    path: &std::path::Path,
    names: Option<&RecordingNames>,
    partner: &str,
    min_free_mb: Option<u64>,
) -> RecorderOptions {
    let started_at_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    let mut options = RecorderOptions::new(
        path.to_path_buf(),
        RecordingMeta {
            title: names.map(|n| n.title.clone()).unwrap_or_default(),
            started_at_ms,
            recorded_by: names.map(|n| n.me.clone()).unwrap_or_else(|| "Me".into()),
            partner: partner.to_owned(),
        },
    );
    if let Some(mb) = min_free_mb {
        options.min_free_to_continue = mb * 1_000_000;
        options.min_free_to_start = mb * 2_000_000;
    }
    options
}

/// A duration as people write it: a bare number is seconds (`90`, `2.5`);
/// otherwise humantime's units (`10s`, `1m30s`, `250ms`).
fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if let Ok(secs) = text.parse::<f64>() {
        return Duration::try_from_secs_f64(secs)
            .map_err(|_| format!("{text:?} is not a length of time (use 90, 10s or 1m30s)"));
    }
    humantime::parse_duration(text)
        .map_err(|err| format!("{text:?} is not a length of time ({err}; use 90, 10s or 1m30s)"))
}

/// When the screen is shared: after a delay, for a while, and again.
struct ScreenSchedule {
    after: Duration,
    share_for: Option<Duration>,
    again_after: Option<Duration>,
}

/// Shares the IVF as our screen on the schedule.
async fn share_screen(
    call: Call,
    screen: Arc<Renditions>,
    keyframe: Arc<Notify>,
    connected: Arc<Notify>,
    schedule: ScreenSchedule,
) {
    connected.notified().await;
    tokio::time::sleep(schedule.after).await;
    loop {
        call.share_screen(true);
        // One rendition: the screen's bitrate does not follow the target.
        let sending = tokio::spawn(send_video(
            call.clone(),
            screen.clone(),
            Arc::new(AtomicU64::new(0)),
            None,
            keyframe.clone(),
            MediaKind::Screen,
            None,
        ));
        let Some(share_for) = schedule.share_for else {
            let _ = sending.await;
            return;
        };
        tokio::time::sleep(share_for).await;
        sending.abort();
        call.share_screen(false);
        match schedule.again_after {
            Some(pause) => tokio::time::sleep(pause).await,
            None => return,
        }
    }
}

/// Sends the Ogg's Opus packets in real time, each after the one before it
/// has played (20 ms packets every 20 ms), looped.
async fn send_audio(call: Call, path: PathBuf, video_restarted: Arc<Notify>) -> anyhow::Result<()> {
    let mut next = tokio::time::Instant::now();
    'file: loop {
        let mut packets = OpusPackets::new(BufReader::new(File::open(&path)?));
        let mut sent = 0u64;
        while let Some(packet) = packets
            .next_packet()
            .with_context(|| format!("reading {}", path.display()))?
        {
            let duration = packet_duration(&packet).unwrap_or(Duration::from_millis(20));
            tokio::select! {
                _ = tokio::time::sleep_until(next) => {}
                _ = video_restarted.notified() => {
                    next = tokio::time::Instant::now();
                    continue 'file;
                }
            }
            // Behind by more than a packet (a stall): start again from now.
            next = (next + duration).max(tokio::time::Instant::now());
            call.send_audio(OpusPacket {
                data: Bytes::from(packet),
                duration,
            });
            sent += 1;
        }
        anyhow::ensure!(sent > 0, "{} holds no Opus audio", path.display());
    }
}

/// What arrived.
struct Received {
    video_frames: u64,
    audio_packets: u64,
    screen_frames: u64,
}

/// Writes received frames to the recordings.
fn record(
    mut frames: tokio::sync::mpsc::Receiver<ReceivedFrame>,
    video: Option<PathBuf>,
    audio: Option<PathBuf>,
    screen: Option<PathBuf>,
    frame_log: Option<FrameLog>,
) -> anyhow::Result<Received> {
    // The sizes in the IVF headers are nominal: a decoder takes the real
    // one from each keyframe.
    let ivf = |path: &Option<PathBuf>, width: u16, height: u16| match path {
        Some(p) => File::create(p)
            .map_err(anyhow::Error::from)
            .and_then(|f| Ok(IvfWriter::new(BufWriter::new(f), width, height, 90_000, 1)?))
            .map(Some),
        None => Ok(None),
    };
    let mut video_out = ivf(&video, 640, 480)?;
    let mut screen_out = ivf(&screen, 1280, 720)?;
    let mut audio_out = match &audio {
        Some(p) => Some(
            OggWriter::new(BufWriter::new(File::create(p)?), 48_000, 2)
                .map_err(|e| anyhow::anyhow!("{e}"))?,
        ),
        None => None,
    };
    let (mut video_frames, mut audio_packets, mut screen_frames) = (0u64, 0u64, 0u64);
    // A replaced or reconnected partner starts a new RTP clock; the files
    // need one that only moves forward.
    let mut video_clock = Rebase::new(3_000);
    let mut screen_clock = Rebase::new(9_000);
    let mut audio_clock = Rebase::new(960);
    let mut sequence = 0u16;
    while let Some(frame) = frames.blocking_recv() {
        match frame.kind {
            MediaKind::Video => {
                video_frames += 1;
                if let Some(log) = &frame_log {
                    log.received(&frame);
                }
                let ts = video_clock.next(frame.rtp_timestamp);
                if let Some(w) = video_out.as_mut() {
                    w.write_frame(&frame.data, ts)?;
                }
            }
            MediaKind::Screen => {
                screen_frames += 1;
                let ts = screen_clock.next(frame.rtp_timestamp);
                if let Some(w) = screen_out.as_mut() {
                    w.write_frame(&frame.data, ts)?;
                }
            }
            MediaKind::Audio => {
                audio_packets += 1;
                let ts = audio_clock.next(frame.rtp_timestamp);
                if let Some(w) = audio_out.as_mut() {
                    sequence = sequence.wrapping_add(1);
                    let packet = rtc::rtp::Packet {
                        header: rtc::rtp::Header {
                            version: 2,
                            sequence_number: sequence,
                            timestamp: ts as u32,
                            ..Default::default()
                        },
                        payload: frame.data,
                    };
                    w.write_rtp(&packet).map_err(|e| anyhow::anyhow!("{e}"))?;
                }
            }
        }
    }
    for w in [video_out, screen_out].into_iter().flatten() {
        w.finish()?;
    }

    if let Some(mut w) = audio_out {
        w.close().map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    Ok(Received {
        video_frames,
        audio_packets,
        screen_frames,
    })
}

/// Turns RTP timestamps from one or more streams into one clock that starts
/// at 0 and never goes back: a jump (a new stream) counts as one frame.
struct Rebase {
    last_in: Option<u32>,
    out: u64,
    step: u32,
}

impl Rebase {
    fn new(step: u32) -> Rebase {
        Rebase {
            last_in: None,
            out: 0,
            step,
        }
    }

    fn next(&mut self, ts: u32) -> u64 {
        if let Some(last) = self.last_in {
            let delta = ts.wrapping_sub(last);
            // Forward by at most ten seconds is the same stream; anything
            // else (backwards, or a far jump) is a new one.
            let delta = if delta <= 900_000 { delta } else { self.step };
            self.out += u64::from(delta);
        }
        self.last_in = Some(ts);
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::{parse_duration, Rebase};
    use std::time::Duration;

    #[test]
    fn durations_are_read_as_people_write_them() {
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("2.5"), Ok(Duration::from_millis(2500)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        for bad in ["-3", "ten", "", "10 parsecs"] {
            let err = parse_duration(bad).expect_err(bad);
            assert!(err.contains("not a length of time"), "{err}");
        }
    }

    #[test]
    fn a_new_stream_continues_the_clock() {
        let mut clock = Rebase::new(960);
        assert_eq!(clock.next(1_000), 0);
        assert_eq!(clock.next(1_960), 960);
        assert_eq!(clock.next(50), 1_920, "backwards: a new stream");
        assert_eq!(clock.next(1_010), 2_880);
        assert_eq!(clock.next(4_000_000_000), 3_840, "a far jump: a new stream");
    }
}
