#!/usr/bin/env bash
# Runs mentorlive on this machine: the reference sessions server on SQLite,
# with the demo accounts, at http://127.0.0.1:8787. Installs what it needs
# first; safe to run twice (the demo data is created once).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

bash scripts/setup-system.sh
cargo build --locked -p mentorlive-server

addr="${MENTORLIVE_ADDR:-127.0.0.1:8787}"
cat <<TXT
mentorlive: starting the reference server on http://$addr (SQLite in your data folder)
  demo mentor:  mentor@example.com  / mentorlive
  demo learner: learner@example.com / mentorlive
  stop with Ctrl+C
TXT
exec "$CARGO_TARGET_DIR/debug/mentorlive-server" --addr "$addr" --seed-demo "$@"
