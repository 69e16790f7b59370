//! Media fixtures made with ffmpeg from lavfi test sources, and checks with
//! ffprobe (Debian's packages).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// The media files the CLI sends (see [`fixtures`]).
pub struct Fixtures {
    _dir: tempfile::TempDir,
    pub video: PathBuf,
    pub audio: PathBuf,
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
        Fixtures {
            _dir: dir,
            video,
            audio,
        }
    })
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
