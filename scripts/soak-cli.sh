#!/usr/bin/env bash
# A long call between two mentorlive-cli peers (release builds) on a
# 10-minute loop of media, with each peer's and the server's memory and CPU
# sampled every minute; prints the slopes. Not in CI: it takes the hour.
#   bash scripts/soak-cli.sh [MINUTES=60] [SAMPLE_SECONDS=60]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
minutes="${1:-60}"
every="${2:-60}"
bash scripts/setup-system.sh >/dev/null
cargo build --release --locked -q -p mentorlive-server -p mentorlive-cli \
  --bin mentorlive-server --bin mentorlive-cli
source scripts/bench-server.sh

echo "== media: 10 minutes of 640x480 30 fps VP8 and Opus, looped by the CLI"
ffmpeg -hide_banner -loglevel error -y -f lavfi -i testsrc2=size=640x480:rate=30 -t 600 -c:v libvpx \
  -deadline realtime -cpu-used 8 -g 60 -b:v 800k "$work/v.ivf"
ffmpeg -hide_banner -loglevel error -y -f lavfi -i sine=frequency=440:sample_rate=48000 -t 600 -ac 2 \
  -c:a libopus -b:a 48k -frame_duration 20 "$work/a.ogg"

seconds=$((minutes * 60))
join() {
  MENTORLIVE_PASSWORD=mentorlive "$bin/mentorlive-cli" --server "$url" --email "$1" --json join "$code" \
    --video "$work/v.ivf" --audio "$work/a.ogg" --duration "$((seconds + 30))" --bind 127.0.0.1:0 \
    > "$work/$2.jsonl" 2> "$work/$2.log" &
}
join mentor@example.com mentor; mentor_pid=$!
sleep 0.5
join learner@example.com learner; learner_pid=$!
sleep 10
echo "== $minutes minutes, sampled every $every s"
python3 scripts/soak_sample.py "$every" "$seconds" \
  "mentor-cli=$mentor_pid" "learner-cli=$learner_pid" "server=$server_pid"
wait "$mentor_pid" "$learner_pid" || true
echo "== each side's last lines (its final figures)"
for side in mentor learner; do echo "-- $side"; tail -n 3 "$work/$side.jsonl" | cut -c1-400; done
