#!/usr/bin/env bash
# Schemathesis (PyPI) against the reference server's generated OpenAPI
# document: generated and fuzzed requests, signed in as the demo mentor.
# Fails on any 5xx, on an answer outside the documented responses or their
# schemas (every error in the contract's shape), and on schema-valid input
# refused. Logout is left out: it would end the run's own sign-in.
# With MENTORLIVE_SCHEMATHESIS_DB=postgres://… the server runs on that
# (fresh) PostgreSQL database instead of a SQLite file.
#   bash scripts/schemathesis.sh [MAX_EXAMPLES]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
examples="${1:-40}"
venv="${MENTORLIVE_VENV:-/var/tmp/mentorlive-venv}"
if [ ! -x "$venv/bin/schemathesis" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==4.32.5"
fi
work=$(mktemp -d)
db="${MENTORLIVE_SCHEMATHESIS_DB:-$work/st.db}"
"$CARGO_TARGET_DIR/debug/mentorlive-server" --addr 127.0.0.1:0 --db "$db" --seed-demo \
  --rate-limit-factor 0 > "$work/out" 2> "$work/log" &
server_pid=$!
trap 'kill $server_pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do grep -q listening "$work/out" 2>/dev/null && break; sleep 0.1; done
url=$(sed -n 's/^listening on //p' "$work/out")
token=$(curl -s "$url/api/auth/login" -H 'content-type: application/json' \
  -d '{"email":"mentor@example.com","password":"mentorlive"}' | jq -r .token)
config="$PWD/tests/schemathesis/schemathesis.toml"
cd "$work"
"$venv/bin/schemathesis" --config-file "$config" run "$url/api/openapi.json" \
  -H "Authorization: Bearer $token" \
  --exclude-path /api/auth/logout \
  --max-examples "$examples" --seed 1 --no-color 2>&1 | tail -n 60
