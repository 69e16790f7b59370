//! Media fixtures made with ffmpeg from lavfi test sources, and checks with
//! ffprobe (Debian's packages).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The media files the CLI sends (see [`fixtures`]).
pub struct Fixtures {
    _dir: tempfile::TempDir,
    /// Black with a white flash, and silence with a beep, at the same
    /// instant every 2 s: lip sync made measurable.
    pub sync_video: PathBuf,
    pub sync_audio: PathBuf,
    pub video: PathBuf,
    pub audio: PathBuf,
    /// A screen to share: a 1280x720 page of small text (see [`screen_page`]).
    pub screen_png: PathBuf,
    /// That page as a 10 fps VP8 screen share at 800 kbit/s (a keyframe every 2 s).
    pub screen: PathBuf,
}

/// A 640x480 30 fps VP8 test pattern (keyframe every second) and a 440 Hz
/// Opus tone in 20 ms packets, muxed as ffmpeg does by default (about a
/// second of packets in each Ogg page); made once per test binary.
pub fn fixtures() -> &'static Fixtures {
    static FIXTURES: OnceLock<Fixtures> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tmp");
        let video = dir.path().join("testsrc.ivf");
        let audio = dir.path().join("tone.ogg");
        run_ffmpeg(
            &[
                "-f",
                "lavfi",
                "-i",
                "testsrc=size=640x480:rate=30",
                "-t",
                "4",
                "-c:v",
                "libvpx",
                "-deadline",
                "realtime",
                "-cpu-used",
                "8",
                "-g",
                "30",
                "-b:v",
                "800k",
            ],
            &video,
        );
        run_ffmpeg(
            &[
                "-f",
                "lavfi",
                "-i",
                "sine=frequency=440:sample_rate=48000",
                "-t",
                "4",
                "-ac",
                "2",
                "-c:a",
                "libopus",
                "-b:a",
                "48k",
                "-frame_duration",
                "20",
            ],
            &audio,
        );
        let screen_png = dir.path().join("screen.png");
        let screen = dir.path().join("screen.ivf");
        screen_page(&screen_png, 1280, 720);
        run_ffmpeg(
            &[
                "-loop",
                "1",
                "-framerate",
                "10",
                "-i",
                screen_png.to_str().expect("utf-8 path"),
                "-t",
                "4",
                "-pix_fmt",
                "yuv420p",
                "-c:v",
                "libvpx",
                "-deadline",
                "realtime",
                "-cpu-used",
                "8",
                "-g",
                "20",
                // Constant bitrate with a small buffer, as a realtime
                // encoder sends: a 40 KB keyframe, not a 170 KB one.
                "-b:v",
                "800k",
                "-minrate",
                "800k",
                "-maxrate",
                "800k",
                "-bufsize",
                "400k",
            ],
            &screen,
        );
        let sync_video = dir.path().join("flash.ivf");
        let sync_audio = dir.path().join("beep.ogg");
        run_ffmpeg(
            &[
                "-f",
                "lavfi",
                "-i",
                "color=c=black:s=640x480:r=30,drawbox=c=white:t=fill:enable='lt(mod(t,2),0.1)'",
                "-t",
                "4",
                "-c:v",
                "libvpx",
                "-deadline",
                "realtime",
                "-cpu-used",
                "8",
                "-g",
                "30",
                "-b:v",
                "400k",
            ],
            &sync_video,
        );
        run_ffmpeg(
            &[
                "-f",
                "lavfi",
                "-i",
                "aevalsrc='if(lt(mod(t,2),0.1),0.8*sin(2*PI*1000*t),0)':s=48000",
                "-t",
                "4",
                "-ac",
                "1",
                "-c:a",
                "libopus",
                "-b:a",
                "48k",
                "-frame_duration",
                "20",
            ],
            &sync_audio,
        );
        Fixtures {
            _dir: dir,
            sync_video,
            sync_audio,
            video,
            audio,
            screen_png,
            screen,
        }
    })
}

/// The test pattern of [`fixtures`] in five renditions (100, 250, 400, 600
/// and 1500 kbit/s asked, constant bitrate, the same keyframes), leanest
/// first: a `join` given them all sends the one congestion control allows,
/// as a live encoder would. Made once per test binary.
///
/// The leanest is made from the pattern at 160x120, shown at 640x480: the
/// soft picture a live encoder makes at such a rate. From the sharp
/// pattern libvpx made 204 kbit/s of the 100 asked, so on a 300 kbit/s
/// link that rung with its sound kept a queue of 150-190 ms standing for
/// as long as the link was narrow, while congestion control asked for
/// 226 kbit/s; now it makes 104. (The richer rungs make what the pattern
/// needs: 248, 377, 526 and 547 kbit/s.) Soft rather than smaller, so that
/// every rung keeps the picture's size, as the app's encoder does.
pub fn video_ladder() -> &'static [PathBuf] {
    static LADDER: OnceLock<(tempfile::TempDir, Vec<PathBuf>)> = OnceLock::new();
    let (_, paths) = LADDER.get_or_init(|| {
        let dir = tempfile::tempdir().expect("tmp");
        let paths = [100, 250, 400, 600, 1500]
            .iter()
            .map(|kbps| {
                let out = dir.path().join(format!("testsrc-{kbps}k.ivf"));
                let (rate, buffer) = (format!("{kbps}k"), format!("{}k", kbps / 2));
                let picture = if *kbps <= 100 {
                    "scale=160x120,scale=640x480"
                } else {
                    "null"
                };
                run_ffmpeg(
                    &[
                        "-f",
                        "lavfi",
                        "-i",
                        "testsrc=size=640x480:rate=30",
                        "-vf",
                        picture,
                        "-t",
                        "4",
                        "-c:v",
                        "libvpx",
                        "-deadline",
                        "realtime",
                        "-cpu-used",
                        "8",
                        "-g",
                        "120",
                        "-keyint_min",
                        "120",
                        "-b:v",
                        &rate,
                        "-minrate",
                        &rate,
                        "-maxrate",
                        &rate,
                        "-bufsize",
                        &buffer,
                    ],
                    &out,
                );
                out
            })
            .collect();
        (dir, paths)
    });
    paths
}

fn run_ffmpeg(args: &[&str], out: &Path) {
    let status = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-y"])
        .args(args)
        .arg(out)
        .status()
        .expect("ffmpeg (Debian's package) is installed");
    assert!(status.success(), "ffmpeg failed for {}", out.display());
}

/// Frames ffprobe decodes from the file's first stream of `kind` ("v" or "a").
pub fn decoded_frames(path: &Path, kind: &str) -> u64 {
    let entry = if kind == "v" {
        "nb_read_frames"
    } else {
        "nb_read_packets"
    };
    let count = if kind == "v" {
        "-count_frames"
    } else {
        "-count_packets"
    };
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            count,
            "-select_streams",
            kind,
            "-show_entries",
            &format!("stream={entry}"),
            "-of",
            "csv=p=0",
        ])
        .arg(path)
        .output()
        .expect("ffprobe is installed");
    assert!(
        out.status.success(),
        "ffprobe could not read {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or(0)
}

/// A page of small text, as a code editor shows it: 13 px DejaVu Sans Mono
/// lines on white, the legibility a shared screen must keep.
pub fn screen_page(out: &Path, width: u32, height: u32) {
    let font = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf";
    let mut filters = Vec::new();
    for line in 0..(height / 18).saturating_sub(1) {
        let text = format!(
            "{line:03}  fn share_screen(call: &Call, on: bool) -> Result<(), Error> {{ /* legible at 13 px: 0O 1lI */ }}"
        );
        filters.push(format!(
            "drawtext=fontfile={font}:fontsize=13:fontcolor=black:x=12:y={}:text='{}'",
            8 + line * 18,
            text.replace(':', "\\:").replace('\'', "")
        ));
    }
    run_ffmpeg(
        &[
            "-f",
            "lavfi",
            "-i",
            &format!("color=c=white:s={width}x{height}:d=1"),
            "-vf",
            &filters.join(","),
            "-frames:v",
            "1",
        ],
        out,
    );
}

/// The structural similarity of a recording's last decoded frame to an
/// image (1.0: identical), by ffmpeg's `ssim` filter.
pub fn ssim_of_last_frame(recording: &Path, image: &Path) -> f64 {
    let dir = tempfile::tempdir().expect("tmp");
    let last = dir.path().join("last.png");
    // Every frame decoded, each written over the one before: the last stays
    // (seeking from the end is unreliable in an IVF without a duration).
    run_ffmpeg(
        &[
            "-i",
            recording.to_str().expect("utf-8 path"),
            "-update",
            "1",
        ],
        &last,
    );
    ssim(&last, image)
}

/// The structural similarity of two images of the same size.
pub fn ssim(a: &Path, b: &Path) -> f64 {
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-i"])
        .arg(a)
        .arg("-i")
        .arg(b)
        .args(["-lavfi", "ssim", "-f", "null", "-"])
        .output()
        .expect("ffmpeg is installed");
    let log = String::from_utf8_lossy(&out.stderr);
    log.lines()
        .filter_map(|l| l.split(" All:").nth(1))
        .filter_map(|rest| rest.split_whitespace().next())
        .filter_map(|v| v.parse().ok())
        .next_back()
        .unwrap_or_else(|| panic!("ffmpeg's ssim gave no figure:\n{log}"))
}

/// A video stream's size, by ffprobe.
pub fn video_size(path: &Path) -> (u32, u32) {
    let out = Command::new("ffprobe")
        .args([
            "-v",
            "error",
            "-select_streams",
            "v",
            "-show_entries",
            "stream=width,height",
            "-of",
            "csv=p=0",
        ])
        .arg(path)
        .output()
        .expect("ffprobe is installed");
    let text = String::from_utf8_lossy(&out.stdout);
    let mut parts = text.trim().split(',').map(|p| p.parse().unwrap_or(0));
    (parts.next().unwrap_or(0), parts.next().unwrap_or(0))
}

/// One stream of a file as ffprobe reads it, every frame decoded.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct StreamInfo {
    pub index: u32,
    pub codec_type: String,
    #[serde(default)]
    pub codec_name: String,
    #[serde(default, deserialize_with = "number_text")]
    pub nb_read_frames: u64,
    #[serde(default, deserialize_with = "float_text")]
    pub start_time: f64,
    #[serde(default)]
    pub width: u32,
    #[serde(default)]
    pub height: u32,
    #[serde(default)]
    pub tags: std::collections::HashMap<String, String>,
}

fn number_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    let text: String = serde::Deserialize::deserialize(d)?;
    Ok(text.parse().unwrap_or(0))
}

fn float_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    let text: String = serde::Deserialize::deserialize(d)?;
    Ok(text.parse().unwrap_or(0.0))
}

/// Every stream of `path`, each decoded to the end, and the container's
/// duration in seconds (`None` when it does not say).
pub fn streams(path: &Path) -> (Vec<StreamInfo>, Option<f64>) {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-count_frames", "-show_entries"])
        .arg("stream=index,codec_type,codec_name,nb_read_frames,start_time,width,height:stream_tags:format=duration")
        .args(["-of", "json"])
        .arg(path)
        .output()
        .expect("ffprobe is installed");
    assert!(
        out.status.success(),
        "ffprobe could not read {}: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("ffprobe's JSON");
    let streams = serde_json::from_value(json["streams"].clone()).expect("streams");
    let duration = json["format"]["duration"]
        .as_str()
        .and_then(|d| d.parse().ok());
    (streams, duration)
}

/// Times (s) in stream `index` of `path` where the picture turns bright
/// (the sync fixture's flash).
pub fn flashes(path: &Path, index: u32) -> Vec<f64> {
    let source = format!("movie={}:si={index},signalstats", path.display());
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-f", "lavfi", "-i", &source])
        .args([
            "-show_entries",
            "frame=pts_time:frame_tags=lavfi.signalstats.YAVG",
            "-of",
            "csv=p=0",
        ])
        .output()
        .expect("ffprobe is installed");
    let mut times = Vec::new();
    let mut bright = false;
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let mut parts = line.split(',');
        let (Some(t), Some(y)) = (parts.next(), parts.next()) else {
            continue;
        };
        let (Ok(t), Ok(y)) = (t.parse::<f64>(), y.parse::<f64>()) else {
            continue;
        };
        if y > 128.0 && !bright {
            times.push(t);
        }
        bright = y > 128.0;
    }
    times
}

/// Times (s) in stream `index` of `path` where sound starts after silence
/// (the sync fixture's beep).
pub fn beeps(path: &Path, index: u32) -> Vec<f64> {
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-nostats", "-i"])
        .arg(path)
        .args([
            "-map",
            &format!("0:{index}"),
            "-af",
            "silencedetect=noise=-30dB:d=0.3",
            "-f",
            "null",
            "-",
        ])
        .output()
        .expect("ffmpeg is installed");
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter_map(|l| l.split("silence_end: ").nth(1))
        .filter_map(|rest| rest.split_whitespace().next()?.parse().ok())
        .collect()
}

/// The frame shown at `at` seconds in stream `index` of `file` (or of its
/// first video), cropped by an ffmpeg `crop` filter when given, as a PNG.
pub fn frame_at(file: &Path, index: Option<u32>, at: f64, crop: Option<&str>, out: &Path) {
    let map = index.map_or("0:v:0".to_owned(), |i| format!("0:{i}"));
    let mut args = vec![
        "-ss".to_owned(),
        format!("{at:.3}"),
        "-i".to_owned(),
        file.to_string_lossy().into_owned(),
        "-map".to_owned(),
        map,
        "-frames:v".to_owned(),
        "1".to_owned(),
    ];
    if let Some(crop) = crop {
        args.extend(["-vf".to_owned(), format!("crop={crop}")]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    run_ffmpeg(&args, out);
}
