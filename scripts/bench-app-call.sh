#!/usr/bin/env bash
# The desktop app in a call, beside Chromium: two apps (each on its own Xvfb
# display, mock camera and microphone) hold one 640x480 call; glass-to-glass
# delay, CPU and memory (PSS) of each app with its WebKit processes. Then
# two Chromium pages hold the same call for CPU and PSS. Figures, not
# assertions. The app is a release build with the benchmark hooks
# (`--features bench`), as issue 19 asks; the test driving it stays debug.
#   bash scripts/bench-app-call.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
seconds="${1:-30}"
bash scripts/setup-system.sh >/dev/null
bash scripts/setup-tools.sh >/dev/null
bash scripts/build-ui.sh >/dev/null
npm ci --prefix tests/node --no-audit --no-fund --loglevel=error
cargo build --release --locked -q -p mentorlive-app --features bench
echo "== two mentorlive apps (release), $seconds s"
MENTORLIVE_BIN="$CARGO_TARGET_DIR/release/mentorlive" MENTORLIVE_BENCH_SECONDS="$seconds" scripts/with-keychain.sh \
  cargo test --locked -q -p mentorlive-e2e --test app_pair -- --nocapture 2>&1 \
  | grep -E '^(two apps|  (mentor|learner) sees)'
echo "== two Chromium pages, $seconds s"
cargo build --release --locked -q -p mentorlive-server -p mentorlive-cli --bin mentorlive-server --bin mentorlive-cli
source scripts/bench-server.sh
node tests/node/bench-browser-pair.js "$url" "$mentor" "$learner" "$code" 1 "$seconds" | grep -E 'cpu_per_minute|pss'
