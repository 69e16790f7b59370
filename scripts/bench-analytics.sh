#!/usr/bin/env bash
# What call analytics cost the server (release build): a call report's time
# and CPU, and GET /api/analytics/me for a user with 10,000 calls, on SQLite
# and on PostgreSQL (two nodes behind HAProxy). Figures, not assertions.
#   bash scripts/bench-analytics.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
bash scripts/setup-system.sh >/dev/null
bash scripts/setup-tools.sh >/dev/null
bash scripts/build-ui.sh >/dev/null
cargo build --release --locked -q -p mentorlive-server
export MENTORLIVE_SERVER_BIN="$CARGO_TARGET_DIR/release/mentorlive-server"
run() {
  cargo test --locked -q -p mentorlive-e2e --test analytics_bench -- --ignored --nocapture 2>&1 | grep -E '^analytics'
}
echo "== SQLite"
run
echo "== PostgreSQL and Redis, two nodes"
bash scripts/cluster.sh engines >/dev/null
export MENTORLIVE_TEST_ENGINES="postgres://postgres@127.0.0.1:${MENTORLIVE_PG_PORT:-55432}/postgres redis://127.0.0.1:${MENTORLIVE_REDIS_PORT:-56379}"
MENTORLIVE_TEST_CLUSTER=1 run
