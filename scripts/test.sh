#!/usr/bin/env bash
# Every test of the project, from a fresh Debian 12 machine (as root) or a
# developer's checkout. Installs what it needs first; safe to run twice.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

bash scripts/setup-system.sh
bash scripts/setup-tools.sh
npm ci --prefix tests/node --no-audit --no-fund --loglevel=error
bash scripts/build-ui.sh

echo "== format"
cargo fmt --all --check

echo "== lint"
cargo clippy --workspace --all-targets --locked -- -D warnings
# The app as shipped: release builds leave the test and benchmark hooks out
# (cfg(debug_assertions)), and a misplaced cfg once broke only that build.
cargo clippy -p mentorlive-app --lib --locked -- -D warnings -C debug-assertions=off

echo "== supply chain: cargo deny (licenses, bans, sources as deny.toml states; advisories need a database this machine cannot fetch)"
# cargo deny reads the metadata of every target's dependencies (Windows,
# macOS, wasm), which a Linux build never downloads: fetch them first.
cargo fetch --locked -q
cargo deny --offline -L error check licenses bans sources

echo "== UI lint (oxlint: the React hooks rules, and correctness) and unit tests (Vitest)"
(cd ui && npx oxlint --deny-warnings src && npx vitest run)

echo "== build (the binaries the end-to-end tests start)"
cargo build --workspace --bins --locked

echo "== package: the .deb and .rpm (debug profile here, for time; scripts/bench-package.sh makes the release ones)"
bash scripts/bundle.sh --debug
export MENTORLIVE_PACKAGE_DEB="$CARGO_TARGET_DIR/debug/bundle/deb/mentorlive_$(jq -r .version tauri.conf.json)_amd64.deb"

echo "== fuzz: every cargo-fuzz target for a bounded time"
bash scripts/fuzz.sh "${MENTORLIVE_FUZZ_SECONDS:-10}"

echo "== cluster engines: PostgreSQL and Redis on loopback ports (scripts/cluster.sh)"
bash scripts/cluster.sh engines
export MENTORLIVE_TEST_ENGINES="postgres://postgres@127.0.0.1:${MENTORLIVE_PG_PORT:-55432}/postgres redis://127.0.0.1:${MENTORLIVE_REDIS_PORT:-56379}"

echo "== tests (inside a private session bus with an unlocked Secret Service)"
# --no-fail-fast: one red run names every failing test, not only the first binary's.
MENTORLIVE_KEYCHAIN_TESTS=1 scripts/with-keychain.sh cargo test --workspace --locked --no-fail-fast

echo "== the contract and room suites again, every server two nodes on PostgreSQL and Redis behind HAProxy"
MENTORLIVE_TEST_CLUSTER=1 cargo test --locked -p mentorlive-e2e --test rest_contract --test call_reports --test signaling_rooms
(cd tests/node && MENTORLIVE_TEST_CLUSTER=1 node --test server-interop.test.js)

echo "== hostile input: Schemathesis against the server's OpenAPI document (SQLite, then PostgreSQL)"
bash scripts/schemathesis.sh
pg_admin="postgres://postgres@127.0.0.1:${MENTORLIVE_PG_PORT:-55432}/postgres"
psql "$pg_admin" -qAt -c "DROP DATABASE IF EXISTS schemathesis WITH (FORCE)" -c "CREATE DATABASE schemathesis"
MENTORLIVE_SCHEMATHESIS_DB="${pg_admin%/postgres}/schemathesis" bash scripts/schemathesis.sh

echo "== interop: the official socket.io packages against our server and client"
(cd tests/node && node --test)
