#!/usr/bin/env bash
# One signaling client (mentorlive-signaling, release) connects, joins,
# leaves and disconnects COUNT times against the release server; prints its
# own and the server's RSS every tenth of the run and the growth. Not in CI.
#   bash scripts/soak-reconnect.sh [COUNT=10000]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
count="${1:-10000}"
bash scripts/setup-system.sh >/dev/null
cargo build --release --locked -q -p mentorlive-server -p mentorlive-signaling \
  --bin mentorlive-server --example reconnect_soak
source scripts/bench-server.sh
"$bin/examples/reconnect_soak" "$url" "$mentor" "$code" "$count" "$server_pid"
