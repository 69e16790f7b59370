#!/usr/bin/env bash
# The installable packages, made by `tauri build`: on Linux the .deb and the
# .rpm (both made offline by Tauri's own bundler). Prints their paths.
#
#   bash scripts/bundle.sh            # release profile (what users get)
#   bash scripts/bundle.sh --debug    # quicker, for trying the package itself
#
# With TAURI_SIGNING_PRIVATE_KEY (and _PASSWORD) in the environment it also
# signs the updater artifacts (`*.sig`) with that key. The key is never in the
# repository: only its public half is, in tauri.conf.json.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
root=$(pwd)
profile=release
args=()
if [ "${1:-}" = "--debug" ]; then
  profile=debug
  args+=(--debug)
fi

bash scripts/build-ui.sh

# Tauri's CLI looks for its config beside the app crate; the layout keeps it
# at the top. A link for the length of the build, and absolute paths, which
# mean the same thing to the CLI (relative to src-tauri/) and to the app's
# build script (relative to the config).
ln -sfn ../tauri.conf.json src-tauri/tauri.conf.json
trap 'rm -f src-tauri/tauri.conf.json' EXIT
override=$(mktemp --suffix=.json)
jq --arg root "$root" --argjson sign "$([ -n "${TAURI_SIGNING_PRIVATE_KEY:-}" ] && echo true || echo false)" '{
  build: {frontendDist: ($root + "/ui/dist")},
  bundle: {
    createUpdaterArtifacts: $sign,
    icon: (.bundle.icon | map($root + "/" + .)),
    linux: {
      deb: {desktopTemplate: ($root + "/" + .bundle.linux.deb.desktopTemplate)},
      rpm: {desktopTemplate: ($root + "/" + .bundle.linux.rpm.desktopTemplate)}
    },
    macOS: {
      entitlements: ($root + "/" + .bundle.macOS.entitlements),
      infoPlist: ($root + "/" + .bundle.macOS.infoPlist)
    }
  }
}' tauri.conf.json > "$override"

(cd ui && TAURI_APP_PATH="$root/src-tauri" TAURI_FRONTEND_PATH="$root/ui" \
  npx --no-install tauri build "${args[@]}" --bundles deb,rpm --config "$override" --ci)
rm -f "$override"

ls -1 "$CARGO_TARGET_DIR/$profile/bundle/deb/"*.deb "$CARGO_TARGET_DIR/$profile/bundle/rpm/"*.rpm
