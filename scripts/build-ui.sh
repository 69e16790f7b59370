#!/usr/bin/env bash
# Installs the UI's npm packages (from ui/package-lock.json) and builds the
# two bundles of the one UI: ui/dist, the webview the Tauri app embeds at
# compile time, and ui/dist-web, the platform's web client the server
# serves (built into a release server, read from disk by a debug one).
# Skips both when nothing they depend on changed since the last build: a
# rewritten ui/dist makes Cargo rebuild the app, so the run command after
# the test command would compile again for nothing.
set -euo pipefail
cd "$(dirname "$0")/../ui"
# The stamp stays out of ui/dist, which the app embeds whole.
stamp=node_modules/.mentorlive-ui-build.sha256
sources=$(find src public index.html package.json package-lock.json tsconfig.json vite.config.ts \
  -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -d' ' -f1)
if [ -f dist/index.html ] && [ -f dist-web/index.html ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$sources" ]; then
  echo "build-ui: ui/dist and ui/dist-web are up to date"
  exit 0
fi
npm ci --no-audit --no-fund --loglevel=error
npm run build --silent
echo "$sources" > "$stamp"
