#!/usr/bin/env bash
# Runs mentorlive on this machine: the reference sessions server on SQLite,
# with the demo accounts, at http://127.0.0.1:8787, and the desktop app
# pointed at it. Installs what it needs first; safe to run twice (the demo
# data is created once). Without a display, only the server runs.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

bash scripts/setup-system.sh
bash scripts/build-ui.sh
# The very build scripts/test.sh makes (same command, same features), so
# that running the app after the tests compiles nothing again.
cargo build --workspace --bins --locked

addr="${MENTORLIVE_ADDR:-127.0.0.1:8787}"
cat <<TXT
mentorlive: starting the reference server on http://$addr (SQLite in your data folder)
  demo mentor:  mentor@example.com  / mentorlive
  demo learner: learner@example.com / mentorlive
  the web client (the same screens in a browser): http://$addr/
  stop with Ctrl+C
TXT
if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  echo "  (no display: the desktop app is not started; the server runs alone)"
  exec "$CARGO_TARGET_DIR/debug/mentorlive-server" --addr "$addr" --seed-demo "$@"
fi
"$CARGO_TARGET_DIR/debug/mentorlive-server" --addr "$addr" --seed-demo "$@" &
server_pid=$!
trap 'kill $server_pid 2>/dev/null' EXIT
for _ in $(seq 50); do curl -fsS "http://$addr/api/openapi.json" >/dev/null 2>&1 && break; sleep 0.2; done
echo "mentorlive: starting the desktop app (close its window to stop both)"
# The app signs in to this server, whatever it saved from an earlier run.
MENTORLIVE_SERVER="http://$addr" "$CARGO_TARGET_DIR/debug/mentorlive"
