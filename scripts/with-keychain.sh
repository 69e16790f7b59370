#!/usr/bin/env bash
# Runs a command with a private session bus and a gnome-keyring Secret Service
# unlocked with an empty password: the OS keychain, headless. Its keyrings
# live in a throwaway HOME-like folder so nothing touches the user's own.
#   scripts/with-keychain.sh cargo test
set -euo pipefail
if [ -z "${MENTORLIVE_IN_KEYCHAIN_SESSION:-}" ]; then
  export MENTORLIVE_IN_KEYCHAIN_SESSION=1
  exec dbus-run-session -- "$0" "$@"
fi
keyring_home=$(mktemp -d /tmp/mentorlive-keyring.XXXXXX)
trap 'rm -rf "$keyring_home"' EXIT
export XDG_DATA_HOME="$keyring_home/data" XDG_RUNTIME_DIR="$keyring_home/run"
mkdir -p "$XDG_DATA_HOME" "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
# --unlock reads the login keyring's password as a line on stdin; an empty
# line creates the login keyring and unlocks it without a prompt (no line at
# all leaves no keyring, and every store then fails).
eval "$(echo '' | gnome-keyring-daemon --unlock --components=secrets)"
export GNOME_KEYRING_CONTROL
"$@"
