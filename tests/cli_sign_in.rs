//! Signing in keeps the token in the OS keychain and nowhere on disk; the next
//! run signs in silently; signing out removes it and revokes it on the server.
//! Runs the real `mentorlive-cli` against the real server and a real Secret
//! Service (scripts/test.sh provides one and sets MENTORLIVE_KEYCHAIN_TESTS).

use mentorlive_testkit::{workspace_binary, TestServer};
use std::io::Write;
use std::process::{Command, Output, Stdio};

fn cli(home: &std::path::Path, server: &str, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(workspace_binary("mentorlive-cli"))
        .args(["--server", server, "--json"])
        .args(args)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("XDG_DATA_HOME", home.join("data"))
        .env_remove("MENTORLIVE_EMAIL")
        .env_remove("MENTORLIVE_PASSWORD")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("cli");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes())
            .expect("write");
    }
    child.wait_with_output().expect("output")
}

fn grep_dir(dir: &std::path::Path, needle: &str) -> Vec<std::path::PathBuf> {
    let mut hits = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            hits.extend(grep_dir(&path, needle));
        } else if std::fs::read(&path).is_ok_and(|b| String::from_utf8_lossy(&b).contains(needle)) {
            hits.push(path);
        }
    }
    hits
}

#[test]
fn sign_in_is_kept_in_the_keychain_and_sign_out_forgets_it() {
    if std::env::var_os("MENTORLIVE_KEYCHAIN_TESTS").is_none() {
        eprintln!("MENTORLIVE_KEYCHAIN_TESTS is not set: skipping (scripts/test.sh runs it with a real Secret Service)");
        return;
    }
    let server = TestServer::start_default();
    let home = tempfile::tempdir().expect("tmp");

    let out = cli(
        home.path(),
        &server.url,
        &["login", "--email", "mentor@example.com"],
        Some("mentorlive\n"),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let user: serde_json::Value = serde_json::from_slice(&out.stdout).expect("user json");
    assert_eq!(user["role"], "mentor");

    // The next run signs in silently with the keychain's token.
    let out = cli(home.path(), &server.url, &["sessions"], None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("Rust ownership"));

    // The token is in the Secret Service, and in no file of ours.
    let found = Command::new("secret-tool")
        .args(["search", "--all", "--unlock", "service", "mentorlive"])
        .output()
        .expect("secret-tool");
    let listing = String::from_utf8_lossy(&found.stdout).into_owned();
    let entry = listing
        .split("[/")
        .find(|e| e.contains(&format!("mentor@example.com on {}", server.url)))
        .unwrap_or_else(|| panic!("the keychain holds the entry: {listing}"));
    let token = entry
        .lines()
        .find_map(|l| l.strip_prefix("secret = "))
        .expect("a secret")
        .trim()
        .to_owned();
    assert!(token.len() >= 40, "a real bearer token");
    assert!(
        grep_dir(home.path(), &token).is_empty(),
        "the token reached a file"
    );
    assert!(
        !server.log().contains(&token),
        "the token reached the server log"
    );

    let out = cli(home.path(), &server.url, &["logout"], None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = cli(home.path(), &server.url, &["sessions"], None);
    assert!(!out.status.success(), "signed out: no silent sign-in");
    let after = Command::new("secret-tool")
        .args(["search", "--all", "service", "mentorlive"])
        .output()
        .expect("secret-tool");
    assert!(!String::from_utf8_lossy(&after.stdout)
        .contains(&format!("mentor@example.com on {}", server.url)));
}
