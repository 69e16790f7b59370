#!/usr/bin/env bash
# The app in a call with mentorlive-cli for MINUTES (default 30), media
# checked to flow both ways in every stretch, the app's and its WebKit
# processes' PSS sampled; prints the slopes (tests/app_soak.rs). Not in CI:
# CI holds the same call for 2 minutes.
#   bash scripts/soak-app.sh [MINUTES=30]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
bash scripts/setup-system.sh >/dev/null
bash scripts/build-ui.sh >/dev/null
cargo build -q --locked --workspace --bins
MENTORLIVE_SOAK_MINUTES="${1:-30}" scripts/with-keychain.sh \
  cargo test -q --locked -p mentorlive-e2e --test app_soak -- --nocapture 2>&1 \
  | grep -E '"minute"|^SOAK|test result|panicked'
