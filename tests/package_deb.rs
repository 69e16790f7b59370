//! The .deb as a user gets it: installed with apt, registered as the handler
//! of `mentorlive://` links, and the installed binary opening its sign-in
//! screen and then a link handed to it by `xdg-open`, as a browser would.
//!
//! Needs root (apt) and the package: scripts/test.sh builds it with
//! scripts/bundle.sh and names it in `MENTORLIVE_PACKAGE_DEB`.

use mentorlive_testkit::app::{output_dir, sign_in, DesktopApp};
use mentorlive_testkit::{Http, TestServer};
use std::path::PathBuf;
use std::process::{Command, Stdio};

fn run(program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_deb_installs_registers_links_and_opens_them() {
    let Some(deb) = std::env::var_os("MENTORLIVE_PACKAGE_DEB").map(PathBuf::from) else {
        eprintln!("skipped: MENTORLIVE_PACKAGE_DEB names no package (scripts/test.sh sets it)");
        return;
    };
    let deb = deb.canonicalize().expect("the package exists");
    let deb = deb.to_str().expect("utf-8 path");

    // What the package declares.
    let depends = run("dpkg-deb", &["-f", deb, "Depends"]);
    for needed in [
        "libwebkit2gtk-4.1-0",
        "libgtk-3-0",
        "gstreamer1.0-plugins-good",
        // The desktop portal's screen-sharing stream reaches WebKit through it.
        "gstreamer1.0-pipewire",
        // A call kept in the background lives in the tray (loaded at run time).
        "libayatana-appindicator3-1",
    ] {
        assert!(depends.contains(needed), "Depends: {depends}");
    }

    // Installed as a user would.
    let out = Command::new("apt-get")
        .args([
            "install",
            "-y",
            "--reinstall",
            "--no-install-recommends",
            deb,
        ])
        .env("DEBIAN_FRONTEND", "noninteractive")
        .output()
        .expect("apt-get");
    assert!(
        out.status.success(),
        "apt-get install: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let files = run("dpkg", &["-L", "mentorlive"]);
    assert!(files.lines().any(|l| l == "/usr/bin/mentorlive"), "{files}");
    for size in ["32x32", "64x64", "128x128", "512x512"] {
        let icon = format!("/usr/share/icons/hicolor/{size}/apps/mentorlive.png");
        assert!(files.lines().any(|l| l == icon), "{icon} in {files}");
    }
    let entry = std::fs::read_to_string("/usr/share/applications/mentorlive.desktop")
        .expect("desktop entry");
    assert!(
        entry.contains("MimeType=x-scheme-handler/mentorlive"),
        "{entry}"
    );
    assert!(
        entry.contains("Exec=mentorlive %u"),
        "the link reaches the app: {entry}"
    );

    // The desktop's own lookup names the app for mentorlive:// links.
    let handler = run(
        "xdg-mime",
        &["query", "default", "x-scheme-handler/mentorlive"],
    );
    assert_eq!(handler, "mentorlive.desktop");

    // The installed binary starts and shows its sign-in screen.
    let server = TestServer::start_default();
    let mut desktop = DesktopApp::start(170, &[]);
    desktop.binary = PathBuf::from("/usr/bin/mentorlive");
    let wd = desktop.session().await;
    wd.wait("input[name=email]", 60).await;
    let out = output_dir().join("package-deb");
    std::fs::create_dir_all(&out).expect("out");
    desktop.screenshot(&out.join("1-sign-in.png"));

    // A link opened the way a browser opens one reaches its pre-join screen.
    sign_in(&wd, &server.url, "mentor@example.com").await;
    wd.wait("[data-testid=session]", 30).await;
    let (_, code) = Http::new(&server).demo_code().await;
    let opened = Command::new("xdg-open")
        .arg(format!("mentorlive://join/{code}"))
        .envs(desktop.env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("xdg-open");
    assert!(opened.success(), "xdg-open found the handler");
    let shown = wd.wait("[data-testid=prejoin-code]", 30).await;
    assert_eq!(
        wd.text(&shown).await,
        format!("{} {}", &code[..4], &code[4..])
    );
    desktop.screenshot(&out.join("2-link-prejoin.png"));
    wd.quit().await;
}
