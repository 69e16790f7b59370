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

source scripts/bench-server.sh

echo "emit-with-ack round trips: $count messages, $window in flight, release server on loopback"
rust=$("$bin/examples/ack_bench" "$url" "$mentor" "$learner" "$code" "$count" "$window")
node=$(node tests/node/ack-bench.js "$url" "$mentor" "$learner" "$code" "$count" "$window")
echo "$rust"
echo "$node"
jq -rn --argjson r "$rust" --argjson n "$node" '
  "throughput: rust \($r.per_second)/s, node \($n.per_second)/s, ratio \(($r.per_second / $n.per_second * 100 | round) / 100)x\n" +
  "p50: rust \($r.p50_ms * 1000 | round / 1000) ms, node \($n.p50_ms * 1000 | round / 1000) ms\n" +
  "p99: rust \($r.p99_ms * 1000 | round / 1000) ms, node \($n.p99_ms * 1000 | round / 1000) ms"'
