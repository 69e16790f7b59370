#!/usr/bin/env bash
# Package figures (docs/performance.md): the release .deb's size and installed
# size, cold start to first paint and idle memory (PSS of the app and its
# WebKit processes), beside Debian's Chromium showing the same built UI in an
# app window (`chromium --app=…`, the nearest to an Electron app that can be
# measured here). Figures, never assertions.
#
#   bash scripts/bench-package.sh [RUNS]     (default 3 runs each)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
runs=${1:-3}

bash scripts/setup-system.sh >/dev/null
bash scripts/bundle.sh >/dev/null
version=$(jq -r .version tauri.conf.json)
deb="$CARGO_TARGET_DIR/release/bundle/deb/mentorlive_${version}_amd64.deb"
rpm="$CARGO_TARGET_DIR/release/bundle/rpm/mentorlive-${version}-1.x86_64.rpm"

work=$(mktemp -d)
cleanup() {
  kill "${xvfb:-}" "${web:-}" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
# The installed files, without touching this machine's packages.
dpkg-deb -x "$deb" "$work/root"

display=":$((300 + $$ % 300))"
Xvfb "$display" -screen 0 1280x900x24 -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
sleep 1
python3 -m http.server --bind 127.0.0.1 --directory ui/dist 0 >"$work/http.log" 2>&1 &
web=$!
for _ in $(seq 50); do
  port=$(grep -o 'port [0-9]*' "$work/http.log" | grep -o '[0-9]*' || true)
  [ -n "$port" ] && break
  sleep 0.1
done

echo "== package"
printf '%-28s %10s\n' ".deb" "$(du -h "$deb" | cut -f1)"
printf '%-28s %10s\n' ".rpm" "$(du -h "$rpm" | cut -f1)"
printf '%-28s %10s\n' "installed (.deb)" "$(( $(dpkg-deb -f "$deb" Installed-Size) / 1024 )) MiB"
printf '%-28s %10s\n' "binary (stripped)" "$(du -h "$work/root/usr/bin/mentorlive" | cut -f1)"

echo "== cold start and idle memory ($runs runs each; ms after launch, PSS after 12 s)"
for i in $(seq "$runs"); do
  home="$work/home-app-$i"
  mkdir -p "$home"
  DISPLAY=$display HOME=$home XDG_CONFIG_HOME=$home/config XDG_DATA_HOME=$home/data \
    dbus-run-session -- python3 scripts/bench_startup.py mentorlive "$display" -- "$work/root/usr/bin/mentorlive"
  DISPLAY=$display HOME=$work/home-chromium-$i \
    python3 scripts/bench_startup.py chromium-app "$display" -- /usr/bin/chromium \
    --user-data-dir="$work/chromium-$i" --no-first-run --no-default-browser-check \
    --no-sandbox --disable-background-networking --window-size=1100,760 --app="http://127.0.0.1:$port/"
done
