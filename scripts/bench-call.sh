#!/usr/bin/env bash
# Call engine figures on this machine, beside Chromium where there is a peer
# (release builds, the reference server on loopback). Figures, not assertions.
#   bash scripts/bench-call.sh [TRIALS] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
trials="${1:-10}"
seconds="${2:-20}"
bash scripts/setup-system.sh >/dev/null
npm ci --prefix tests/node --no-audit --no-fund --loglevel=error
cargo build --release --locked -q -p mentorlive-server -p mentorlive-cli -p mentorlive-engine \
  --bin mentorlive-server --bin mentorlive-cli --example call_bench
source scripts/bench-server.sh

echo "== join to first remote video frame, median of $trials; transport latency on loopback"
"$bin/examples/call_bench" "$url" "$mentor" "$learner" "$code" "$trials" 10
node tests/node/bench-browser-pair.js "$url" "$mentor" "$learner" "$code" "$trials" "$seconds"

echo "== CPU of a 640x480 30 fps call held $seconds s: two mentorlive-cli processes"
ffmpeg -hide_banner -loglevel error -y -f lavfi -i testsrc=size=640x480:rate=30 -t 10 -c:v libvpx \
  -deadline realtime -cpu-used 8 -g 30 -b:v 800k "$work/v.ivf"
ffmpeg -hide_banner -loglevel error -y -f lavfi -i sine=frequency=440:sample_rate=48000 -t 10 -ac 2 \
  -c:a libopus -b:a 48k -frame_duration 20 "$work/a.ogg"
python3 - "$bin/mentorlive-cli" "$url" "$code" "$seconds" "$work" <<'PY'
import json, os, resource, subprocess, sys, time
cli, url, code, seconds, work = sys.argv[1:]
def join(email, delay):
    time.sleep(delay)
    return subprocess.Popen([cli, "--server", url, "--email", email, "--json", "join", code,
        "--video", f"{work}/v.ivf", "--audio", f"{work}/a.ogg", "--duration", seconds, "--bind", "127.0.0.1:0"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "MENTORLIVE_PASSWORD": "mentorlive"})
procs = [join("mentor@example.com", 0), join("learner@example.com", 0.3)]
for p in procs:
    p.wait()
r = resource.getrusage(resource.RUSAGE_CHILDREN)
used = r.ru_utime + r.ru_stime
print(json.dumps({"figure": "cpu_per_minute", "peer": "native pair (two mentorlive-cli; media pre-encoded, no codec work)", "seconds": float(seconds),
                  "cpu_seconds_per_minute": used * 60 / float(seconds)}))
PY
