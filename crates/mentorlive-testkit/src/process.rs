//! Child processes of a test: signals, and a guard that kills on drop.

use std::process::{Child, Command, Stdio};

/// Sends a signal with kill(1), which keeps this crate free of `unsafe`.
pub(crate) fn send_signal(child: &Child, signal: &str) {
    let status = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(child.id().to_string())
        .status()
        .expect("running kill");
    assert!(status.success(), "kill -{signal} {} failed", child.id());
}

/// A child killed (with its process group, where it leads one) on drop.
pub(crate) struct Kill(pub(crate) Child);

impl Drop for Kill {
    fn drop(&mut self) {
        // The whole process group where there is one (tauri-driver's
        // WebKitWebDriver and the app outlive a kill of tauri-driver alone).
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.0.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// An X server of its own (Xvfb, 1280x900) on `display`, up when this
/// returns; it goes with the guard.
pub(crate) fn start_xvfb(display: &str) -> Kill {
    let mut xvfb = Kill(
        Command::new("Xvfb")
            .args([display, "-screen", "0", "1280x900x24", "-nolisten", "tcp"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("Xvfb"),
    );
    std::thread::sleep(std::time::Duration::from_millis(800));
    // Gone already: the display was taken (a stale lock, another test), and
    // what runs on it would find another X server or none.
    if let Ok(Some(status)) = xvfb.0.try_wait() {
        panic!("Xvfb on {display} exited at once ({status}): is the display taken?");
    }
    xvfb
}

/// What an Xvfb display of [`start_xvfb`] shows, as a PNG at `path`.
pub(crate) fn grab_screen(display: &str, path: &std::path::Path) {
    let status = Command::new("ffmpeg")
        .args([
            "-loglevel",
            "error",
            "-y",
            "-f",
            "x11grab",
            "-video_size",
            "1280x900",
            "-i",
        ])
        .arg(display)
        .args(["-frames:v", "1"])
        .arg(path)
        .status()
        .expect("ffmpeg");
    assert!(status.success(), "screenshot {}", path.display());
}
