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
