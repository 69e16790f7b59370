//! Backups of the server's data, taken while people use it: every session
//! the server confirmed (201) before the backup began is in the restored
//! database. SQLite with `mentorlive-server backup` / `restore`, PostgreSQL
//! with `pg_dump` / `pg_restore` as the README says.

use mentorlive_testkit::cluster::{psql, test_engines};
use mentorlive_testkit::{server_binary, Http, ServerOptions, TestServer};
use serde_json::json;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Sessions confirmed by the server, with when the confirmation arrived.
type Confirmed = Arc<Mutex<Vec<(Instant, String)>>>;

/// Four writers creating sessions as fast as the server confirms them,
/// until `stop`.
async fn load(http: &Http, stop: Arc<AtomicBool>) -> (Confirmed, Vec<tokio::task::JoinHandle<()>>) {
    let demo = http.demo().await;
    let me = http.get("/api/auth/me", Some(&demo.mentor)).await.body;
    let learner = http.get("/api/auth/me", Some(&demo.learner)).await.body;
    let confirmed: Confirmed = Arc::default();
    let mut writers = Vec::new();
    for writer in 0..4 {
        let (http, stop, confirmed) = (http.clone(), stop.clone(), confirmed.clone());
        let token = demo.mentor.clone();
        let body = json!({"title": format!("Backup writer {writer}"), "mentorId": me["id"], "learnerId": learner["id"],
                          "scheduledAt": "2031-01-01T10:00:00Z", "durationMinutes": 30});
        writers.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let reply = http.post("/api/sessions", Some(&token), body.clone()).await;
                if reply.status == 201 {
                    let id = reply.body["id"].as_str().expect("id").to_owned();
                    confirmed.lock().expect("list").push((Instant::now(), id));
                }
            }
        }));
    }
    (confirmed, writers)
}

fn confirmed_before(confirmed: &Confirmed, instant: Instant) -> Vec<String> {
    confirmed
        .lock()
        .expect("list")
        .iter()
        .filter(|(at, _)| *at < instant)
        .map(|(_, id)| id.clone())
        .collect()
}

async fn assert_all_there(http: &Http, ids: &[String]) {
    let demo = http.demo().await;
    for id in ids {
        let reply = http
            .get(&format!("/api/sessions/{id}"), Some(&demo.mentor))
            .await;
        assert_eq!(
            reply.status, 200,
            "session {id} confirmed before the backup: {:?}",
            reply.body
        );
    }
}

fn run(cmd: &mut Command) -> std::process::Output {
    let out = cmd.output().expect("a tool");
    println!(
        "{:?}: {}{}",
        cmd.get_program(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sqlite_backup_taken_under_load_restores_every_confirmed_write() {
    let mut server = TestServer::start(ServerOptions {
        rate_limit_factor: Some(0.0),
        ..ServerOptions::default()
    });
    let http = Http::new(&server);
    let stop = Arc::new(AtomicBool::new(false));
    let (confirmed, writers) = load(&http, stop.clone()).await;
    tokio::time::sleep(Duration::from_secs(1)).await;

    let dir = tempfile::tempdir().expect("dir");
    let backup = dir.path().join("sessions.backup.db");
    let began = Instant::now();
    let out = run(Command::new(server_binary())
        .args(["backup", "--db"])
        .arg(&server.db_path)
        .arg(&backup));
    assert!(
        out.status.success(),
        "the backup runs beside the live server"
    );
    let ended = Instant::now();
    // Writes go on while and after it is taken.
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::Relaxed);
    for writer in writers {
        writer.await.expect("writer");
    }
    let before = confirmed_before(&confirmed, began);
    let total = confirmed.lock().expect("list").len();
    println!(
        "{} sessions confirmed before the backup began, {total} in all",
        before.len()
    );
    assert!(
        before.len() > 20,
        "the backup was taken under load: {}",
        before.len()
    );

    // A second backup never overwrites the first.
    let again = run(Command::new(server_binary())
        .args(["backup", "--db"])
        .arg(&server.db_path)
        .arg(&backup));
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists already"));

    // Restoring under a running server is refused, and changes nothing.
    let refused = run(Command::new(server_binary())
        .arg("restore")
        .arg(&backup)
        .arg("--db")
        .arg(&server.db_path));
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("stop it first"),
        "the refusal says what to do"
    );
    // A file that is not a backup is refused before anything is touched.
    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, b"not a database").expect("junk");
    server.stop();
    let bad = run(Command::new(server_binary())
        .arg("restore")
        .arg(&junk)
        .arg("--db")
        .arg(&server.db_path));
    assert!(!bad.status.success());

    let restored = run(Command::new(server_binary())
        .arg("restore")
        .arg(&backup)
        .arg("--db")
        .arg(&server.db_path));
    assert!(restored.status.success());
    let said = String::from_utf8_lossy(&restored.stdout);
    assert!(
        said.contains("kept as"),
        "the replaced database is kept: {said}"
    );
    server.restart();
    assert_all_there(&Http::new(&server), &before).await;
    // And it is the backup's instant that came back: what the server
    // confirmed after the backup had finished is not there.
    let after: Vec<String> = confirmed
        .lock()
        .expect("list")
        .iter()
        .filter(|(at, _)| *at > ended)
        .map(|(_, id)| id.clone())
        .collect();
    assert!(!after.is_empty(), "writes went on after the backup");
    let http = Http::new(&server);
    let demo = http.demo().await;
    for id in &after {
        let reply = http
            .get(&format!("/api/sessions/{id}"), Some(&demo.mentor))
            .await;
        assert_eq!(reply.status, 404, "{id} came after the backup");
    }
}

/// A server on a PostgreSQL database of its own; its URL.
fn start_on_postgres(database: &str) -> (Child, String) {
    let mut child = Command::new(server_binary())
        .args([
            "--addr",
            "127.0.0.1:0",
            "--seed-demo",
            "--rate-limit-factor",
            "0",
            "--db",
            database,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("server");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("first line");
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected {line:?}"))
        .to_owned();
    (child, url)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_postgresql_backup_with_pg_dump_restores_every_confirmed_write() {
    let Some((admin, _)) = test_engines() else {
        // scripts/test.sh always starts the engines; a bare `cargo test` may not.
        println!("SKIPPED: MENTORLIVE_TEST_ENGINES names no PostgreSQL");
        return;
    };
    let name = format!("mlt_backup_{}", std::process::id());
    let database = format!(
        "{}/{name}",
        admin.rsplit_once('/').expect("a database URL").0
    );
    psql(
        &admin,
        &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
    );
    psql(&admin, &format!("CREATE DATABASE {name}"));
    let (mut server, url) = start_on_postgres(&database);
    let http = Http::for_url(&url);
    let stop = Arc::new(AtomicBool::new(false));
    let (confirmed, writers) = load(&http, stop.clone()).await;
    tokio::time::sleep(Duration::from_secs(1)).await;

    let dir = tempfile::tempdir().expect("dir");
    let dump = dir.path().join("sessions.dump");
    let began = Instant::now();
    // The README's command: a consistent snapshot while the server writes.
    let out = run(Command::new("pg_dump")
        .args(["--format=custom", "--no-owner", "--file"])
        .arg(&dump)
        .arg(&database));
    assert!(out.status.success());
    tokio::time::sleep(Duration::from_millis(500)).await;
    stop.store(true, Ordering::Relaxed);
    for writer in writers {
        writer.await.expect("writer");
    }
    let before = confirmed_before(&confirmed, began);
    assert!(
        before.len() > 20,
        "the dump was taken under load: {}",
        before.len()
    );
    let _ = server.kill();
    let _ = server.wait();

    // The README's restore: into a fresh database.
    psql(&admin, &format!("DROP DATABASE {name} WITH (FORCE)"));
    psql(&admin, &format!("CREATE DATABASE {name}"));
    let out = run(Command::new("pg_restore")
        .args(["--no-owner", "--exit-on-error", "--dbname"])
        .arg(&database)
        .arg(&dump));
    assert!(out.status.success());
    let (mut server, url) = start_on_postgres(&database);
    assert_all_there(&Http::for_url(&url), &before).await;
    let _ = server.kill();
    let _ = server.wait();
    psql(
        &admin,
        &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
    );
}
