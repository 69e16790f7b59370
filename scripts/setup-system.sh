#!/usr/bin/env bash
# Installs the Debian packages that building, running and testing mentorlive need.
# Safe to run twice: it only calls apt when a package is missing.
set -euo pipefail

packages=(
  # Rust crates that build C, and their system libraries
  build-essential pkg-config libssl-dev libdbus-1-dev libsqlite3-dev
  # The partner's sound is decoded in Rust (libopus), not by the webview
  libopus-dev
  # Tauri 2 on Linux (WebKitGTK 4.1) and its bundler
  libwebkit2gtk-4.1-dev libayatana-appindicator3-dev librsvg2-dev libxdo-dev
  # Media inside the webview (WebCodecs, mock capture) and fixtures/checks
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-libav gstreamer1.0-pipewire ffmpeg opus-tools
  # Headless desktop for end-to-end tests: X server, WebDriver, clipboard
  xvfb xauth webkit2gtk-driver xclip xdotool python3-xlib
  # Notifications, as a desktop shows them (the partner-arrived test)
  dunst
  # The OS keychain, headless: a session bus and the Secret Service, or kernel keyutils
  dbus dbus-x11 gnome-keyring libsecret-tools keyutils
  # A real browser for interop tests
  chromium
  # Misc tools used by scripts
  curl ca-certificates jq sqlite3 procps iproute2
  # Network faults between peers in namespaces (the kernel here has no sch_netem)
  nftables
  # A TURN relay between peers behind NATs (the NAT test)
  coturn
  # The installed .deb's link registration, checked as a desktop checks it
  xdg-utils desktop-file-utils
  # The server scaled out: PostgreSQL, Redis and HAProxy (scripts/cluster.sh)
  postgresql redis-server haproxy
  # Operator metrics scraped by a real Prometheus (tests/server_metrics.rs)
  prometheus
  # Schemathesis (from PyPI) runs in a virtual environment
  python3-venv
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup-system: all ${#packages[@]} packages present"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "setup-system: missing packages: ${missing[*]}" >&2
  echo "setup-system: run as root (or with sudo) to install them" >&2
  exit 1
fi

echo "setup-system: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
