#!/usr/bin/env bash
# The load run of scripts/load.sh against one node (SQLite) and against two
# nodes on PostgreSQL and Redis behind HAProxy, side by side: rooms held and
# ack latency per step. Release builds, rate limits off, everything (the
# load generator too) on this machine's cores. Figures, not assertions.
#   bash scripts/bench-cluster.sh [ROOMS] [STEPS] [HOLD]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
rooms="${1:-500}"
steps="${2:-4}"
hold="${3:-10}"
bash scripts/setup-system.sh >/dev/null
cargo build --release --locked -q -p mentorlive-server -p mentorlive-load
bin="$CARGO_TARGET_DIR/release"
work=$(mktemp -d)
pids=()
cleanup() {
  kill "${pids[@]}" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
ulimit -n "$(ulimit -Hn)"

start_node() { # NAME ARGS... ; sets $url and $pid
  local name=$1
  shift
  "$bin/mentorlive-server" --addr 127.0.0.1:0 --rate-limit-factor 0 "$@" >"$work/$name.out" 2>"$work/$name.log" &
  pid=$!
  pids+=("$pid")
  for _ in $(seq 200); do grep -q listening "$work/$name.out" 2>/dev/null && break; sleep 0.1; done
  url=$(sed -n 's/^listening on //p' "$work/$name.out")
}

echo "== one node, SQLite"
start_node single --db "$work/load.db"
"$bin/mentorlive-load" "$url" "$rooms" "$steps" "$hold" "$pid" | tee "$work/single.json"
kill "$pid"

echo "== two nodes, PostgreSQL and Redis, HAProxy in front"
bash scripts/cluster.sh engines >/dev/null
db="bench_$$"
psql postgres://postgres@127.0.0.1:55432/postgres -qAt -c "CREATE DATABASE $db"
pg="postgres://postgres@127.0.0.1:55432/$db"
cluster=(--db "$pg" --redis redis://127.0.0.1:56379 --redis-prefix "$db" --trusted-proxy 127.0.0.1)
start_node a "${cluster[@]}" --node-id a
url_a=$url pid_a=$pid
start_node b "${cluster[@]}" --node-id b
url_b=$url
lb_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$work/haproxy.cfg" <<EOF
global
    maxconn 9000
defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    timeout tunnel 1h
frontend lb
    bind 127.0.0.1:$lb_port
    default_backend nodes
backend nodes
    balance roundrobin
    option forwardfor
    server a ${url_a#http://} maxconn 4500
    server b ${url_b#http://} maxconn 4500
EOF
haproxy -f "$work/haproxy.cfg" -db >/dev/null 2>&1 &
pids+=($!)
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$lb_port/api/health" >/dev/null && break; sleep 0.1; done
"$bin/mentorlive-load" "http://127.0.0.1:$lb_port" "$rooms" "$steps" "$hold" "$pid_a" | tee "$work/cluster.json"
psql postgres://postgres@127.0.0.1:55432/postgres -qAt -c "DROP DATABASE $db WITH (FORCE)" || true

echo "== side by side (per step: rooms held, ack p50 / p99 ms, errors)"
python3 - "$work/single.json" "$work/cluster.json" <<'PY'
import json, sys
def rows(path):
    out = []
    for line in open(path):
        try:
            out.append(json.loads(line))
        except ValueError:
            pass
    return out
single = [r for r in rows(sys.argv[1]) if "ack_p99_ms" in r]
cluster = [r for r in rows(sys.argv[2]) if "ack_p99_ms" in r]
print(f"{'step':>4} | {'one node (SQLite)':^34} | {'two nodes (PostgreSQL + Redis)':^34}")
def cell(r):
    return f"{r.get('rooms', '?'):>5} rooms {r.get('ack_p50_ms', '?'):>6} / {r.get('ack_p99_ms', '?'):>6} ms, {r.get('errors', '?')} err"
for i, (a, b) in enumerate(zip(single, cluster), 1):
    print(f"{i:>4} | {cell(a):>34} | {cell(b):>34}")
PY
