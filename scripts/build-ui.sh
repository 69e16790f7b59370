#!/usr/bin/env bash
# Installs the UI's npm packages (from ui/package-lock.json) and builds the
# webview bundle into ui/dist, which the Tauri app embeds at compile time.
set -euo pipefail
cd "$(dirname "$0")/../ui"
npm ci --no-audit --no-fund --loglevel=error
npm run build --silent
