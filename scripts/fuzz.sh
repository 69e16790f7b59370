#!/usr/bin/env bash
# Runs every fuzz target for a bounded time (default 20 s each).
#   bash scripts/fuzz.sh [SECONDS]
# cargo-fuzz needs nightly-only flags; RUSTC_BOOTSTRAP lets the one stable
# toolchain on our machines accept them for this build only.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
seconds="${1:-20}"
if ! command -v cargo-fuzz >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked --quiet
fi
export RUSTC_BOOTSTRAP=1
export CARGO_TARGET_DIR="$CARGO_TARGET_DIR/fuzz"
cd fuzz
for target in $(cargo fuzz list); do
  echo "== fuzz $target for ${seconds}s"
  mkdir -p "corpus/$target"
  cargo fuzz run "$target" "corpus/$target" -- -max_total_time="$seconds" -max_len=4096 2>&1 | tail -n 3
done
