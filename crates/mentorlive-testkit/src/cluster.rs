//! The engines a cluster runs on (PostgreSQL and Redis) and the HAProxy in
//! front of its nodes.
//!
//! With `MENTORLIVE_TEST_CLUSTER=1` and the engines in
//! `MENTORLIVE_TEST_ENGINES="POSTGRES_ADMIN_URL REDIS_URL"` (scripts/test.sh
//! sets both for the suites that must hold on a cluster) a
//! [`TestServer`](crate::TestServer) is two nodes on a fresh PostgreSQL
//! database and their own Redis key prefix, behind HAProxy's round robin: a
//! test's consecutive requests and sockets land on different nodes.

use std::path::Path;
use std::process::{Child, Command, Stdio};

/// The engines a clustered test server runs on.
#[derive(Debug, Clone)]
pub(crate) struct ClusterEnv {
    /// A database URL with rights to create databases.
    pub(crate) postgres_admin: String,
    pub(crate) redis: String,
    /// `postgres://…/NAME` of this server's own database.
    pub(crate) database: String,
    pub(crate) prefix: String,
    pub(crate) node_ports: [u16; 2],
}

/// The engines for cluster tests: a PostgreSQL URL allowed to create
/// databases, and a Redis URL (`MENTORLIVE_TEST_ENGINES`).
pub fn test_engines() -> Option<(String, String)> {
    let value = std::env::var("MENTORLIVE_TEST_ENGINES").ok()?;
    let mut parts = value.split_whitespace();
    Some((parts.next()?.to_owned(), parts.next()?.to_owned()))
}

/// The engines when test servers are to be clusters.
pub(crate) fn cluster_env() -> Option<(String, String)> {
    std::env::var_os("MENTORLIVE_TEST_CLUSTER")?;
    Some(test_engines().expect("MENTORLIVE_TEST_CLUSTER needs MENTORLIVE_TEST_ENGINES"))
}

/// Whether test servers are clusters (two nodes on PostgreSQL and Redis).
pub fn clustered() -> bool {
    cluster_env().is_some()
}

/// Runs one SQL statement with `psql` (PostgreSQL's client), or panics.
pub fn psql(admin_url: &str, sql: &str) {
    let out = Command::new("psql")
        .args([admin_url, "-qAt", "-v", "ON_ERROR_STOP=1", "-c", sql])
        .output()
        .expect("psql (postgresql-client)");
    assert!(
        out.status.success(),
        "psql {sql}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// HAProxy (Debian's) with `config`, written to `dir/haproxy.cfg`, in the
/// foreground so that killing the child stops it.
pub fn haproxy(dir: &Path, config: &str) -> Child {
    let path = dir.join("haproxy.cfg");
    std::fs::write(&path, config).expect("haproxy config");
    Command::new("haproxy")
        .arg("-f")
        .arg(&path)
        .arg("-db")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("haproxy")
}
