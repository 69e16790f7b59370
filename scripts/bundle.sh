#!/usr/bin/env bash
# The installable packages, made by `tauri build`: on Linux the .deb and the
# .rpm (both made offline by Tauri's own bundler), on macOS the .app and
# .dmg, on Windows the .msi and NSIS installer. Prints their paths.
#
#   bash scripts/bundle.sh            # release profile (what users get)
#   bash scripts/bundle.sh --debug    # quicker, for trying the package itself
#   MENTORLIVE_BUNDLES=deb bash scripts/bundle.sh   # only some kinds
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
case "$(uname -s)" in
  Darwin) bundles=${MENTORLIVE_BUNDLES:-app,dmg} ;;
  MINGW* | MSYS* | CYGWIN*) bundles=${MENTORLIVE_BUNDLES:-msi,nsis} ;;
  *) bundles=${MENTORLIVE_BUNDLES:-deb,rpm} ;;
esac

bash scripts/build-ui.sh

# Tauri's CLI looks for its config beside the app crate; the layout keeps it
# at the top. A link for the length of the build, and absolute paths, which
# mean the same thing to the CLI (relative to src-tauri/) and to the app's
# build script (relative to the config).
ln -sfn ../tauri.conf.json src-tauri/tauri.conf.json
override_dir=$(mktemp -d)
trap 'rm -rf src-tauri/tauri.conf.json "$override_dir"' EXIT
override="$override_dir/override.json"
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
  npx --no-install tauri build "${args[@]}" --bundles "$bundles" --config "$override" --ci)

find "$CARGO_TARGET_DIR/$profile/bundle" -maxdepth 2 -type f \( -name '*.deb' -o -name '*.rpm' -o -name '*.dmg' -o -name '*.msi' -o -name '*.exe' -o -name '*.sig' \) -newer tauri.conf.json
