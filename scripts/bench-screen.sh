#!/usr/bin/env bash
# Screen sharing, the app beside Chromium: CPU of sharing a 1920x1080
# screen at 5 and 15 frames/s (capture and encode), and the bitrate it
# takes. The app shares WebKit's mock screen to a mentorlive-cli partner;
# Chromium shares its fake screen over a loopback pair. Then a mostly still
# screen (a strip changed about once a second): the delay from a change to
# the partner's paint and the bitrate, app to app beside Chromium's pair.
# Figures, not assertions. Release builds of the app, the CLI and the server.
#   bash scripts/bench-screen.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
seconds="${1:-20}"
bash scripts/setup-system.sh >/dev/null
bash scripts/setup-tools.sh >/dev/null
bash scripts/build-ui.sh >/dev/null
npm ci --prefix tests/node --no-audit --no-fund --loglevel=error
cargo build --locked -q --workspace --bins
# The app with `--features bench`: its figures and test hooks, which a
# shipped release build does not have.
cargo build --release --locked -q -p mentorlive-app --features bench
cargo build --release --locked -q -p mentorlive-cli -p mentorlive-server
release="$CARGO_TARGET_DIR/release"
echo "== the app, $seconds s each"
MENTORLIVE_BIN="$release/mentorlive" MENTORLIVE_CLI_BIN="$release/mentorlive-cli" \
MENTORLIVE_SERVER_BIN="$release/mentorlive-server" MENTORLIVE_BENCH_SECONDS="$seconds" scripts/with-keychain.sh \
  cargo test --locked -q -p mentorlive-e2e --test app_screen bench_ -- --ignored --nocapture --test-threads 1 2>&1 \
  | grep -E '^(screen share|still screen)'
echo "== Chromium, $seconds s each"
node tests/node/bench-screen.js "$seconds"
