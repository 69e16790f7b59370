#!/usr/bin/env bash
# Cargo-installed tools the tests use: tauri-driver (WebDriver for the app)
# and cargo-deny (the dependency policy in deny.toml).
# Safe to run twice: installs only what is missing.
set -euo pipefail
if ! command -v tauri-driver >/dev/null 2>&1 && [ ! -x "${CARGO_HOME:-$HOME/.cargo}/bin/tauri-driver" ]; then
  cargo install tauri-driver --locked --quiet
fi
if ! command -v cargo-deny >/dev/null 2>&1 && [ ! -x "${CARGO_HOME:-$HOME/.cargo}/bin/cargo-deny" ]; then
  cargo install cargo-deny --version 0.20.2 --locked --quiet
fi
