#!/usr/bin/env bash
# Load on the reference server (release build, SQLite, rate limits off) from
# a second process on loopback: ROOMS live rooms of two clients each, added
# in STEPS, each step held HOLD seconds; one JSON line of figures per step
# (rooms held, ack p50/p99, REST p99, errors, server RSS). Figures, not
# assertions.
#   bash scripts/load.sh [ROOMS] [STEPS] [HOLD]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
rooms="${1:-1000}"
steps="${2:-4}"
hold="${3:-10}"
bash scripts/setup-system.sh >/dev/null
cargo build --release --locked -q -p mentorlive-server -p mentorlive-load
bin="$CARGO_TARGET_DIR/release"
work=$(mktemp -d)
# Two sockets per client on this machine (client and server side).
ulimit -n "$(ulimit -Hn)"
"$bin/mentorlive-server" --addr 127.0.0.1:0 --db "$work/load.db" --rate-limit-factor 0 \
  > "$work/out" 2> "$work/log" &
server_pid=$!
trap 'kill $server_pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do grep -q listening "$work/out" 2>/dev/null && break; sleep 0.1; done
url=$(sed -n 's/^listening on //p' "$work/out")
"$bin/mentorlive-load" "$url" "$rooms" "$steps" "$hold" "$server_pid"
