# Sourced by the bench scripts: starts the release reference server on a free
# loopback port with demo data and no rate limits, signs in the demo pair and
# makes a live code. Sets: url, mentor, learner, code, work (a temp folder).
bin="$CARGO_TARGET_DIR/release"
work=$(mktemp -d)
trap 'kill $server_pid 2>/dev/null; rm -rf "$work"' EXIT
"$bin/mentorlive-server" --addr 127.0.0.1:0 --db "$work/bench.db" --seed-demo --rate-limit-factor 0 \
  > "$work/out" 2> "$work/log" &
server_pid=$!
for _ in $(seq 100); do grep -q listening "$work/out" 2>/dev/null && break; sleep 0.1; done
url=$(sed -n 's/^listening on //p' "$work/out")
login() { curl -s "$url/api/auth/login" -H 'content-type: application/json' -d "{\"email\":\"$1\",\"password\":\"mentorlive\"}" | jq -r .token; }
mentor=$(login mentor@example.com)
learner=$(login learner@example.com)
session=$(curl -s "$url/api/sessions" -H "authorization: Bearer $mentor" | jq -r '.sessions[0].id')
code=$(curl -s "$url/api/sessions/generate-live-code" -H "authorization: Bearer $mentor" \
  -H 'content-type: application/json' -d "{\"sessionId\":\"$session\"}" | jq -r .code)
