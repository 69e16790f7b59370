#!/usr/bin/env bash
# Installs the UI's npm packages (from ui/package-lock.json) and builds the
# webview bundle into ui/dist, which the Tauri app embeds at compile time.
# Skips both when nothing they depend on changed since the last build: a
# rewritten ui/dist makes Cargo rebuild the app, so the run command after
# the test command would compile again for nothing.
set -euo pipefail
cd "$(dirname "$0")/../ui"
# The stamp stays out of ui/dist, which the app embeds whole.
stamp=node_modules/.mentorlive-ui-build.sha256
sources=$(find src public index.html package.json package-lock.json tsconfig.json vite.config.ts \
  -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)
if [ -f dist/index.html ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sources" ]; then
  echo "build-ui: ui/dist is up to date"
  exit 0
fi
npm ci --no-audit --no-fund --loglevel=error
npm run build --silent
echo "$sources" > "$stamp"
