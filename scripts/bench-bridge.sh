#!/usr/bin/env bash
# The media bridge alone, in the real app under Xvfb: call-sized chunks
# echoed over the loopback WebSocket and over Tauri's raw IPC; round trips
# and CPU for each. Figures, not assertions.
#   bash scripts/bench-bridge.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
bash scripts/setup-system.sh >/dev/null
bash scripts/setup-tools.sh >/dev/null
bash scripts/build-ui.sh >/dev/null
cargo build --locked -q -p mentorlive-app
MENTORLIVE_BENCH_SECONDS="${1:-30}" scripts/with-keychain.sh \
  cargo test --locked -q -p mentorlive-e2e --test bridge_bench -- --nocapture 2>&1 \
  | grep -E '^(bridge|transport|loopback|Tauri)'
