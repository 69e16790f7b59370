//! Tests of the app's security configuration, read from the files it is
//! built from: the CSP and the capabilities must stay the minimal set.

#[cfg(test)]
mod tests {
    use serde_json::Value;
    use std::path::Path;

    fn json(path: &str) -> Value {
        let full = Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
        serde_json::from_str(&std::fs::read_to_string(&full).expect("config file")).expect("JSON")
    }

    #[test]
    fn the_csp_allows_only_the_apps_own_content() {
        let config = json("../tauri.conf.json");
        let csp = &config["app"]["security"]["csp"];
        assert_eq!(csp["default-src"], "'self'");
        assert_eq!(
            csp["script-src"], "'self'",
            "no inline or remote scripts, no eval"
        );
        assert_eq!(csp["object-src"], "'none'");
        assert_eq!(csp["frame-ancestors"], "'none'");
        // The webview talks to nothing but the app's own IPC and the media
        // bridge on loopback: every network call goes through Rust.
        assert_eq!(
            csp["connect-src"],
            "ipc: http://ipc.localhost ws://127.0.0.1:*"
        );
        for (name, value) in csp.as_object().expect("csp object") {
            let value = value.as_str().unwrap_or_default();
            assert!(!value.contains("unsafe-eval"), "{name}: {value}");
            assert!(
                !value.contains("http://*")
                    && !value.contains("https://*")
                    && !value.contains(" *"),
                "{name}: {value}"
            );
        }
        assert_eq!(config["app"]["withGlobalTauri"], false);
    }

    #[test]
    fn the_main_window_gets_only_the_permissions_it_uses() {
        let capability = json("capabilities/main.json");
        assert_eq!(capability["windows"], serde_json::json!(["main"]));
        let mut permissions: Vec<&str> = capability["permissions"]
            .as_array()
            .expect("list")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        permissions.sort_unstable();
        assert_eq!(
            permissions,
            [
                // Copying the code and the invitation.
                "clipboard-manager:allow-write-text",
                // Deep links and call events reach the page as events.
                "core:event:allow-listen",
                "core:event:allow-unlisten",
            ],
            "a new permission is a decision: add it here with the reason"
        );
        // No other capability files grant more.
        let files = std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("capabilities"))
            .expect("dir")
            .count();
        assert_eq!(files, 1);
    }

    #[test]
    fn macos_asks_for_camera_and_microphone_with_reasons() {
        let config = json("../tauri.conf.json");
        let mac = &config["bundle"]["macOS"];
        let plist = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("..")
                .join(mac["infoPlist"].as_str().expect("infoPlist")),
        )
        .expect("Info.plist");
        for key in ["NSCameraUsageDescription", "NSMicrophoneUsageDescription"] {
            assert!(plist.contains(key), "{key}");
        }
        let entitlements = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("..")
                .join(mac["entitlements"].as_str().expect("entitlements")),
        )
        .expect("entitlements");
        for key in [
            "com.apple.security.device.camera",
            "com.apple.security.device.audio-input",
        ] {
            assert!(entitlements.contains(key), "{key}");
        }
    }

    #[test]
    fn updates_must_be_signed_by_the_release_key_for_the_version_they_claim() {
        let updater = &json("../tauri.conf.json")["plugins"]["updater"];
        let key = updater["pubkey"].as_str().expect("a public key");
        use base64::Engine as _;
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(key)
            .expect("base64");
        assert!(
            String::from_utf8_lossy(&decoded).starts_with("untrusted comment: minisign public key"),
            "a minisign public key"
        );
        assert_eq!(updater["requireSignedVersion"], true);
        assert!(
            updater.get("dangerousInsecureTransportProtocol").is_none(),
            "release builds take updates over https only"
        );
        let template = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("linux/mentorlive.desktop"),
        )
        .expect("desktop template");
        assert!(template.contains("Exec={{exec}} %u"), "links reach the app");
    }
}
