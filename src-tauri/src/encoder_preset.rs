//! The VP8 encoder's speed. WebKitGTK's WebCodecs encoder, in the
//! `realtime` latency mode the call asks for, loads vp8enc's "Profile
//! Realtime" preset, and the one GStreamer ships says `cpu-used=4`: a
//! positive value lets libvpx choose its own speed, and it spends much of
//! each frame's time budget on quality. Ours says `cpu-used=-6`, a fixed
//! speed 6, which is what libwebrtc (Chromium) asks of libvpx for VP8.
//!
//! Measured on this project's machine with the same libvpx (640x480 30 fps,
//! CBR, realtime deadline, paced in real time): 11.3 → 6.0 CPU s/min on a
//! detailed picture and 9.9 → 6.7 on a noisy one, for 0.1 dB of PSNR at the
//! same bitrate (docs/performance.md).
//!
//! GStreamer reads presets from `GST_PRESET_PATH` before its own folder, so
//! the app writes the file into its data folder and points the variable
//! there; the web process inherits it. Nothing outside the app changes.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

const VP8_PRESET_FILE: &str = "GstVP8Enc.prs";

const VP8_PRESET: &str = "\
[_presets_]
version=0.10
element-name=GstVP8Enc

[Profile Realtime]
deadline=1
cpu-used=-6
lag-in-frames=0
";

/// Writes the preset under `data_dir` (unless it is there already) and
/// returns the folder to put first in `GST_PRESET_PATH`.
pub fn write(data_dir: &Path) -> std::io::Result<PathBuf> {
    let dir = data_dir.join("gstreamer-presets");
    let file = dir.join(VP8_PRESET_FILE);
    if std::fs::read_to_string(&file).ok().as_deref() != Some(VP8_PRESET) {
        std::fs::create_dir_all(&dir)?;
        std::fs::write(&file, VP8_PRESET)?;
    }
    Ok(dir)
}

/// `GST_PRESET_PATH` with `dir` first, keeping what the person had set.
pub fn search_path(
    dir: &Path,
    existing: Option<OsString>,
) -> Result<OsString, std::env::JoinPathsError> {
    let mut dirs = vec![dir.to_path_buf()];
    if let Some(existing) = existing {
        dirs.extend(std::env::split_paths(&existing).filter(|d| d != dir));
    }
    std::env::join_paths(dirs)
}

/// Called first in `run()`, before any thread starts (the environment is
/// read by every thread) and before the web process is spawned.
pub fn apply(data_dir: &Path) -> Result<(), String> {
    let dir = write(data_dir).map_err(|err| err.to_string())?;
    let path =
        search_path(&dir, std::env::var_os("GST_PRESET_PATH")).map_err(|err| err.to_string())?;
    std::env::set_var("GST_PRESET_PATH", path);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn modified_at(dir: &Path) -> std::time::SystemTime {
        std::fs::metadata(dir.join(VP8_PRESET_FILE))
            .and_then(|m| m.modified())
            .expect("the preset's time")
    }

    #[test]
    fn the_preset_is_written_once_and_found_first() {
        let root = tempfile::tempdir().expect("a temporary folder");
        let dir = write(root.path()).expect("the preset written");
        let text = std::fs::read_to_string(dir.join(VP8_PRESET_FILE)).expect("the preset read");
        assert!(text.contains("[Profile Realtime]") && text.contains("cpu-used=-6"));
        // A second start leaves the file alone.
        let modified = modified_at(&dir);
        write(root.path()).expect("the preset written");
        assert_eq!(modified, modified_at(&dir));

        let path = search_path(&dir, Some(OsString::from("/opt/presets"))).expect("a search path");
        let dirs: Vec<PathBuf> = std::env::split_paths(&path).collect();
        assert_eq!(dirs, vec![dir.clone(), PathBuf::from("/opt/presets")]);
        // Started again from a shell that already has ours: not twice.
        let again = search_path(&dir, Some(path)).expect("a search path");
        assert_eq!(std::env::split_paths(&again).count(), 2);
    }
}
