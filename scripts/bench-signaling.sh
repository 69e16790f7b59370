#!/usr/bin/env bash
# Emit-with-ack round trips through the reference server (release build):
# our Rust client beside the official Node socket.io-client, same machine,
# same server, same run. Figures, not assertions.
#   bash scripts/bench-signaling.sh [COUNT] [WINDOW]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
count="${1:-20000}"
window="${2:-32}"
bash scripts/setup-system.sh >/dev/null
npm ci --prefix tests/node --no-audit --no-fund --loglevel=error
cargo build --release --locked -q -p mentorlive-server -p mentorlive-signaling --bin mentorlive-server --example ack_bench

work=$(mktemp -d)
trap 'kill $server_pid 2>/dev/null; rm -rf "$work"' EXIT
"$CARGO_TARGET_DIR/release/mentorlive-server" --addr 127.0.0.1:0 --db "$work/bench.db" --seed-demo \
  --rate-limit-factor 0 > "$work/out" 2> "$work/log" &
server_pid=$!
for _ in $(seq 100); do grep -q listening "$work/out" 2>/dev/null && break; sleep 0.1; done
url=$(sed -n 's/^listening on //p' "$work/out")

login() { curl -s "$url/api/auth/login" -H 'content-type: application/json' -d "{\"email\":\"$1\",\"password\":\"mentorlive\"}" | jq -r .token; }
mentor=$(login mentor@example.com)
learner=$(login learner@example.com)
session=$(curl -s "$url/api/sessions" -H "authorization: Bearer $mentor" | jq -r '.sessions[0].id')
code=$(curl -s "$url/api/sessions/generate-live-code" -H "authorization: Bearer $mentor" \
  -H 'content-type: application/json' -d "{\"sessionId\":\"$session\"}" | jq -r .code)

echo "emit-with-ack round trips: $count messages, $window in flight, release server on loopback"
rust=$("$CARGO_TARGET_DIR/release/examples/ack_bench" "$url" "$mentor" "$learner" "$code" "$count" "$window")
node=$(node tests/node/ack-bench.js "$url" "$mentor" "$learner" "$code" "$count" "$window")
echo "$rust"
echo "$node"
jq -rn --argjson r "$rust" --argjson n "$node" '
  "throughput: rust \($r.per_second)/s, node \($n.per_second)/s, ratio \(($r.per_second / $n.per_second * 100 | round) / 100)x\n" +
  "p50: rust \($r.p50_ms * 1000 | round / 1000) ms, node \($n.p50_ms * 1000 | round / 1000) ms\n" +
  "p99: rust \($r.p99_ms * 1000 | round / 1000) ms, node \($n.p99_ms * 1000 | round / 1000) ms"'
