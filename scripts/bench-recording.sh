#!/usr/bin/env bash
# Recording figures (release builds, the reference server on loopback): the
# CPU a recording adds to the recorder's process, the file's size per
# minute, the time to repair it after kill -9, and the app's export of it as
# one video as a multiple of real time. Two mentorlive-cli processes hold a
# 640x480 30 fps call; the mentor's records it, with the learner's consent,
# in one run and not in the other. Figures, not assertions.
#   bash scripts/bench-recording.sh [SECONDS]     (the issue's figure: 600)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
seconds="${1:-60}"
bash scripts/setup-system.sh >/dev/null
cargo build --release --locked -q -p mentorlive-server -p mentorlive-cli --bin mentorlive-server --bin mentorlive-cli
source scripts/bench-server.sh
ffmpeg -hide_banner -loglevel error -y -f lavfi -i testsrc=size=640x480:rate=30 -t 10 -c:v libvpx \
  -deadline realtime -cpu-used 8 -g 30 -b:v 800k "$work/v.ivf"
ffmpeg -hide_banner -loglevel error -y -f lavfi -i sine=frequency=440:sample_rate=48000 -t 10 -ac 2 \
  -c:a libopus -b:a 48k -frame_duration 20 "$work/a.ogg"
python3 - "$bin/mentorlive-cli" "$url" "$code" "$seconds" "$work" <<'PY'
import json, os, subprocess, sys, time
cli, url, code, seconds, work = sys.argv[1:]
def join(email, extra):
    return subprocess.Popen([cli, "--server", url, "--email", email, "--json", "join", code,
        "--video", f"{work}/v.ivf", "--audio", f"{work}/a.ogg", "--duration", seconds, "--bind", "127.0.0.1:0", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env={**os.environ, "MENTORLIVE_PASSWORD": "mentorlive"})
def cpu_of(proc):
    _, status, usage = os.wait4(proc.pid, 0)
    return usage.ru_utime + usage.ru_stime
def call(record):
    out = f"{work}/call.webm"
    if os.path.exists(out):
        os.remove(out)
    mentor = join("mentor@example.com", ["--record-call", out] if record else [])
    time.sleep(0.3)
    learner = join("learner@example.com", ["--allow-recording"])
    lines = []
    for line in mentor.stdout:
        lines.append(line)
    cpu = cpu_of(mentor)
    learner.wait()
    saved = next((json.loads(l)["saved"] for l in lines if '"recording_saved"' in l), None)
    return cpu, saved, out
plain, _, _ = call(False)
recorded, saved, out = call(True)
minutes = float(seconds) / 60
print(json.dumps({"figure": "recording_cpu", "seconds": float(seconds),
    "recorder_cpu_seconds_per_minute_without": round(plain / minutes, 2),
    "recorder_cpu_seconds_per_minute_with": round(recorded / minutes, 2),
    "added_percent_of_one_core": round((recorded - plain) / float(seconds) * 100, 2)}))
if saved:
    print(json.dumps({"figure": "recording_size", "duration_s": saved["duration_ms"] / 1000,
        "megabytes_per_minute": round(saved["bytes"] / 1e6 / (saved["duration_ms"] / 60000), 2)}))
# Kept for the export below.
os.replace(out, f"{work}/kept.webm")
# A recorder killed (kill -9) after the same length: the repair's time.
mentor = join("mentor@example.com", ["--record-call", out])
time.sleep(0.3)
learner = join("learner@example.com", ["--allow-recording"])
time.sleep(float(seconds) - 2)
mentor.kill()
mentor.wait()
learner.kill()
learner.wait()
start = time.time()
r = subprocess.run([cli, "--json", "repair-recording", out], capture_output=True, text=True)
print(json.dumps({"figure": "repair_after_kill", "ms": round((time.time() - start) * 1000, 1), "report": json.loads(r.stdout or "{}")}))
PY
echo "== the app exports the recording as one video (debug build of the app, as the tests use it)"
bash scripts/build-ui.sh >/dev/null
cargo build --locked -q --workspace --bins
MENTORLIVE_BENCH_RECORDING="$work/kept.webm" scripts/with-keychain.sh \
  cargo test --locked -q -p mentorlive-e2e --test app_recording bench_export -- --ignored --nocapture 2>&1 | grep -E '^export:'
