#!/usr/bin/env bash
# Where one app's CPU goes, stage by stage, beside Chromium doing the same
# (issue 19): idle on the Sessions screen, the camera's preview alone, in a
# call with mentorlive-cli, in the call with the camera off. The app is a
# release build with the benchmark hooks. Each stage is also sampled by
# perf (the whole machine, 499 Hz), by process and library. Figures, not
# assertions.
#   bash scripts/bench-profile.sh [IDLE_SECONDS] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
idle="${1:-60}"
seconds="${2:-20}"
bash scripts/setup-system.sh >/dev/null
bash scripts/setup-tools.sh >/dev/null
# perf names the process and library each stage's time goes to.
dpkg -s linux-perf >/dev/null 2>&1 || apt-get install -y -qq --no-install-recommends linux-perf >/dev/null
bash scripts/build-ui.sh >/dev/null
npm ci --prefix tests/node --no-audit --no-fund --loglevel=error
cargo build --release --locked -q -p mentorlive-app --features bench
cargo build --locked -q --workspace --bins
echo "== one mentorlive app (release), stage by stage"
MENTORLIVE_BIN="$CARGO_TARGET_DIR/release/mentorlive" \
  MENTORLIVE_PROFILE_IDLE_SECONDS="$idle" MENTORLIVE_PROFILE_SECONDS="$seconds" \
  MENTORLIVE_PROFILE_PERF=1 \
  scripts/with-keychain.sh cargo test --locked -q -p mentorlive-e2e --test app_profile -- --ignored --nocapture 2>&1 \
  | grep -E '^PROFILE'
echo "== one Chromium page (headless, fake devices)"
node tests/node/bench-browser-preview.js "$idle" "$seconds"
