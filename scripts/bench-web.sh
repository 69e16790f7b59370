#!/usr/bin/env bash
# The web client's figures: bundle sizes (gzipped), the invitation page's
# first paint, and join to first remote frame between two web clients
# (release server, Debian's Chromium). Figures, not assertions.
#   bash scripts/bench-web.sh [TRIALS]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
trials="${1:-10}"
bash scripts/setup-system.sh >/dev/null
npm ci --prefix tests/node --no-audit --no-fund --loglevel=error
bash scripts/build-ui.sh
cargo build --release --locked -q -p mentorlive-server --bin mentorlive-server
source scripts/bench-server.sh

echo "== bundle sizes (what a browser downloads on a cold visit, gzip -9)"
for dist in ui/dist ui/dist-web; do
  raw=$(find "$dist" -type f \( -name '*.js' -o -name '*.css' -o -name '*.html' \) -not -path '*/worklets/*' -exec cat {} + | wc -c)
  gz=$(find "$dist" -type f \( -name '*.js' -o -name '*.css' -o -name '*.html' \) -not -path '*/worklets/*' -exec cat {} + | gzip -9 | wc -c)
  echo "{\"figure\":\"bundle\",\"dist\":\"$dist\",\"bytes\":$raw,\"gzipBytes\":$gz}"
done

echo "== the invitation page and a web client pair, $trials trials"
node tests/node/bench-web.js "$url" "$mentor" "$learner" "$code" "$trials"
