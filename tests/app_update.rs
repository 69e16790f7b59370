//! Signed updates: the reference server serves a folder's manifest and
//! bundles; the real app (debug binary under Xvfb, WebDriver) finds a newer
//! release, downloads it and checks its signature, and refuses one whose
//! signature is not from the key it trusts or is bound to another version.
//! Keys and signatures are made here by Tauri's own CLI (`tauri signer`).

use mentorlive_testkit::app::{click_text, output_dir, sign_in, DesktopApp};
use mentorlive_testkit::{Http, ServerOptions, TestServer};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::Command;

fn tauri_cli() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/node_modules/.bin/tauri")
}

/// A fresh minisign key pair from `tauri signer generate`: (private, public).
fn key_pair(dir: &Path, name: &str) -> (String, String) {
    let path = dir.join(name);
    let status = Command::new(tauri_cli())
        .args(["signer", "generate", "--ci", "-f", "-w"])
        .arg(&path)
        .output()
        .expect("tauri signer generate");
    assert!(status.status.success(), "{status:?}");
    let private = std::fs::read_to_string(&path).expect("private key");
    let public = std::fs::read_to_string(format!("{}.pub", path.display())).expect("public key");
    (private.trim().to_owned(), public.trim().to_owned())
}

/// `tauri signer sign --app-version`: the signature of `file`, bound to `version`.
fn sign(file: &Path, private_key: &str, version: &str) -> String {
    let out = Command::new(tauri_cli())
        .args([
            "signer",
            "sign",
            "--app-version",
            version,
            "-k",
            private_key,
            "-p",
            "",
        ])
        .arg(file)
        .output()
        .expect("tauri signer sign");
    assert!(out.status.success(), "{out:?}");
    std::fs::read_to_string(format!("{}.sig", file.display())).expect("signature file")
}

fn write_manifest(dir: &Path, version: &str, file: &str, signature: &str) {
    let manifest = json!({
        "version": version,
        "notes": "Faster joins.",
        "pub_date": "2026-11-30T00:00:00Z",
        "platforms": {"linux-x86_64": {"url": file, "signature": signature}},
    });
    std::fs::write(dir.join("manifest.json"), manifest.to_string()).expect("manifest");
}

fn server_with_updates(dir: &Path) -> TestServer {
    TestServer::start(ServerOptions {
        extra_args: vec!["--updates-dir".into(), dir.display().to_string()],
        ..ServerOptions::default()
    })
}

#[tokio::test]
async fn the_server_offers_only_newer_releases_and_serves_only_their_files() {
    let dir = tempfile::tempdir().expect("dir");
    let bundle = dir.path().join("mentorlive_0.2.0_amd64.deb");
    std::fs::write(&bundle, b"a package").expect("bundle");
    write_manifest(dir.path(), "0.2.0", "mentorlive_0.2.0_amd64.deb", "sig");
    std::fs::write(dir.path().join("secret.txt"), b"not listed").expect("file");
    let server = server_with_updates(dir.path());
    let http = Http::new(&server);

    let offer = http
        .get("/api/updates/linux/x86_64/0.1.0?bundle=deb", None)
        .await;
    assert_eq!(offer.status, 200, "{:?}", offer.body);
    assert_eq!(offer.body["version"], "0.2.0");
    assert_eq!(offer.body["signature"], "sig");
    let url = offer.body["url"].as_str().expect("url");
    assert_eq!(
        url,
        format!(
            "{}/api/updates/files/mentorlive_0.2.0_amd64.deb",
            server.url
        )
    );
    let bytes = reqwest::get(url).await.expect("download");
    assert_eq!(bytes.status(), 200);
    assert_eq!(&bytes.bytes().await.expect("bytes")[..], b"a package");

    for current in ["0.2.0", "1.0.0"] {
        let none = http
            .get(&format!("/api/updates/linux/x86_64/{current}"), None)
            .await;
        assert_eq!(none.status, 204, "{current} is current");
    }
    let other = http.get("/api/updates/darwin/aarch64/0.1.0", None).await;
    assert_eq!(other.status, 204, "nothing published for that platform");
    http.get("/api/updates/linux/x86_64/not-a-version", None)
        .await
        .expect(400, "invalid_input");
    // A Host header names no download host: the address is the server's own.
    let forged = reqwest::Client::new()
        .get(format!("{}/api/updates/linux/x86_64/0.1.0", server.url))
        .header("Host", "evil.example")
        .send()
        .await
        .expect("check");
    assert_eq!(forged.status(), 200);
    let forged: serde_json::Value = forged.json().await.expect("json");
    assert_eq!(forged["url"].as_str(), Some(url), "{forged}");

    for name in [
        "secret.txt",
        "manifest.json",
        "..%2Fsessions.db",
        ".hidden",
        "missing.deb",
    ] {
        http.get(&format!("/api/updates/files/{name}"), None)
            .await
            .expect(404, "not_found");
    }

    // A server without a folder has nothing to offer, and says so plainly.
    // Listening on every address, without --public-url, no address is known
    // to reach it: bundles in the folder are not offered.
    let any = TestServer::start(ServerOptions {
        host: "0.0.0.0".into(),
        ..ServerOptions {
            extra_args: vec!["--updates-dir".into(), dir.path().display().to_string()],
            ..ServerOptions::default()
        }
    });
    let reply = reqwest::get(format!(
        "http://127.0.0.1:{}/api/updates/linux/x86_64/0.1.0",
        any.port
    ))
    .await
    .expect("check");
    assert_eq!(reply.status(), 204);
    let configured = TestServer::start(ServerOptions {
        extra_args: vec![
            "--updates-dir".into(),
            dir.path().display().to_string(),
            "--public-url".into(),
            "https://live.example.org/".into(),
        ],
        ..ServerOptions::default()
    });
    let offer = Http::new(&configured)
        .get("/api/updates/linux/x86_64/0.1.0", None)
        .await;
    assert_eq!(
        offer.body["url"],
        "https://live.example.org/api/updates/files/mentorlive_0.2.0_amd64.deb"
    );

    let plain = TestServer::start_default();
    let reply = Http::new(&plain)
        .get("/api/updates/linux/x86_64/0.1.0", None)
        .await;
    assert_eq!(reply.status, 204);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_app_offers_a_signed_update_and_refuses_a_forged_one() {
    let keys = tempfile::tempdir().expect("keys");
    let (private, public) = key_pair(keys.path(), "release.key");
    let (forger, _) = key_pair(keys.path(), "forger.key");
    let updates = tempfile::tempdir().expect("updates");
    let file = "mentorlive_9.0.0_amd64.deb";
    let bundle = updates.path().join(file);
    std::fs::write(&bundle, vec![7u8; 256 * 1024]).expect("bundle");
    let good = sign(&bundle, &private, "9.0.0");
    write_manifest(updates.path(), "9.0.0", file, &good);
    let server = server_with_updates(updates.path());
    let out = output_dir().join("app-update");
    std::fs::create_dir_all(&out).expect("out");

    // The app trusts the test's key (a debug-build switch; release builds
    // trust only the key in tauri.conf.json).
    let desktop = DesktopApp::start(150, &[("MENTORLIVE_UPDATER_PUBKEY", &public)]);
    let wd = desktop.session().await;
    sign_in(&wd, &server.url, "mentor@example.com").await;
    let banner = wd
        .wait("[data-testid=update-banner][data-step=available]", 30)
        .await;
    let text = wd.text(&banner).await;
    assert!(text.contains("9.0.0 is available"), "{text}");
    desktop.screenshot(&out.join("1-offered.png"));
    click_text(&wd, "[data-testid=update-banner] button", "Download").await;
    let ready = wd
        .wait("[data-testid=update-banner][data-step=ready]", 60)
        .await;
    assert!(wd.text(&ready).await.contains("signature checked"));
    desktop.screenshot(&out.join("2-verified.png"));
    wd.quit().await;

    // Refused: signed by another key; signed by ours for another version
    // (a manifest pairing a new number with an older release).
    let cases = [
        ("forged", sign(&bundle, &forger, "9.0.0"), "9.0.0"),
        ("replayed", good.clone(), "9.1.0"),
    ];
    for (name, signature, announced) in cases {
        write_manifest(updates.path(), announced, file, &signature);
        // A new start of the app (signed in again from the keychain) checks again.
        let wd = desktop.session().await;
        let banner = wd
            .wait("[data-testid=update-banner][data-step=available]", 30)
            .await;
        assert!(wd.text(&banner).await.contains(announced), "{name}");
        click_text(&wd, "[data-testid=update-banner] button", "Download").await;
        let failed = wd
            .wait("[data-testid=update-banner][data-step=failed]", 60)
            .await;
        let text = wd.text(&failed).await;
        assert!(
            text.contains("not signed by mentorlive's release key"),
            "{name}: {text}"
        );
        desktop.screenshot(&out.join(format!("3-{name}-refused.png")));
        wd.quit().await;
    }
    let log: String = desktop
        .files()
        .into_iter()
        .filter(|(path, _)| path.to_string_lossy().contains("logs"))
        .map(|(_, text)| text)
        .collect();
    assert!(log.contains("update downloaded, signature good"), "{log}");
    assert!(!log.contains(&private), "no key in the logs");
}
