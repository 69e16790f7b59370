#!/usr/bin/env bash
# Every figure of issue 19 in one run, beside its anchor on this machine
# (Chromium, or the target), as one table. Release builds; figures, not
# assertions. About fifteen minutes.
#   bash scripts/bench-all.sh [SECONDS=20] [TRIALS=5] [IDLE_SECONDS=60]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
seconds="${1:-20}"
trials="${2:-5}"
idle="${3:-60}"
bash scripts/setup-system.sh >/dev/null
bash scripts/setup-tools.sh >/dev/null
bash scripts/build-ui.sh >/dev/null
npm ci --prefix tests/node --no-audit --no-fund --loglevel=error
cargo build --release --locked -q -p mentorlive-app --features bench
cargo build --release --locked -q -p mentorlive-server -p mentorlive-cli -p mentorlive-engine \
  --bin mentorlive-server --bin mentorlive-cli --example call_bench
cargo build --locked -q --workspace --bins
source scripts/bench-server.sh
figures="$work/figures"
mkdir -p "$figures"
# The raw figures outlive the run's temporary folder, a failed run's too.
# This takes over bench-server.sh's trap, so it also stops the server and
# removes the folder.
keep_figures() {
  rm -rf "$CARGO_TARGET_DIR/test-output/bench-all"
  mkdir -p "$CARGO_TARGET_DIR/test-output"
  cp -r "$figures" "$CARGO_TARGET_DIR/test-output/bench-all"
  echo "raw figures: $CARGO_TARGET_DIR/test-output/bench-all" >&2
  kill "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap keep_figures EXIT
# Release builds of everything the app tests start, so the server's own
# time in a join is a release server's.
app=(env MENTORLIVE_BIN="$CARGO_TARGET_DIR/release/mentorlive"
  MENTORLIVE_SERVER_BIN="$bin/mentorlive-server" MENTORLIVE_CLI_BIN="$bin/mentorlive-cli" scripts/with-keychain.sh
  cargo test --locked -q -p mentorlive-e2e)

echo "== 1/6 native join and transport ($trials trials, $seconds s)" >&2
"$bin/examples/call_bench" "$url" "$mentor" "$learner" "$code" "$trials" "$seconds" > "$figures/native.jsonl"
echo "== 2/6 two Chromium pages: join and the call ($trials trials, $seconds s)" >&2
node tests/node/bench-browser-pair.js "$url" "$mentor" "$learner" "$code" "$trials" "$seconds" > "$figures/chromium.jsonl"
echo "== 3/6 two apps in one call ($seconds s)" >&2
MENTORLIVE_BENCH_SECONDS="$seconds" "${app[@]}" --test app_pair -- --nocapture > "$figures/app_pair.txt" 2>&1
echo "== 4/6 one app and the web client in Chromium in one call, Chromium headless then in a window ($seconds s each)" >&2
MENTORLIVE_BENCH_SECONDS="$seconds" "${app[@]}" --test app_beside_browser -- --ignored --nocapture > "$figures/app_beside_browser.txt" 2>&1
echo "== 5/6 one app joins a mentorlive-cli partner ($trials trials)" >&2
: > "$figures/app_join.txt"
for _ in $(seq "$trials"); do
  "${app[@]}" --test app_call -- --nocapture the_app_holds_a_call_with_the_cli_both_ways >> "$figures/app_join.txt" 2>&1
done
echo "== 6/6 one app idle ($idle s), then stage by stage" >&2
MENTORLIVE_PROFILE_IDLE_SECONDS="$idle" MENTORLIVE_PROFILE_SECONDS="$seconds" \
  "${app[@]}" --test app_profile -- --ignored --nocapture > "$figures/app_profile.txt" 2>&1

python3 scripts/bench_all_table.py "$figures"
