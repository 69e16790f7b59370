#!/usr/bin/env python3
"""Cold start to first paint, and idle memory, of one windowed program.

Usage: bench_startup.py NAME DISPLAY -- COMMAND...

Grabs the X display (ffmpeg x11grab, 60 frames/s, scaled down, grey) from
before the launch until 12 s after it. Reports, in ms after the launch:
  window  the first frame that differs from the empty screen,
  paint   the first frame that already looks like the settled screen
          (within a small tolerance: a blinking caret is not a change),
then, after the screen has settled, the proportional set size (PSS) of the
program and every process it started (WebKit's or Chromium's helpers).
Prints one JSON line. Figures only, never assertions.
"""
import json
import os
import signal
import subprocess
import sys
import time

W, H = 160, 112
FRAME = W * H


def descendants(pid):
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry))
        except (OSError, ValueError, IndexError):
            pass
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def pss_kib(pids):
    total = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def differs(a, b, tolerance=0.002):
    """More than `tolerance` of the pixels changed noticeably."""
    changed = sum(1 for x, y in zip(a, b) if abs(x - y) > 24)
    return changed > tolerance * FRAME


def main():
    name, display = sys.argv[1], sys.argv[2]
    command = sys.argv[sys.argv.index("--") + 1 :]
    grab = subprocess.Popen(
        ["ffmpeg", "-loglevel", "error", "-f", "x11grab", "-framerate", "60",
         "-video_size", "1280x900", "-i", display, "-vf", f"scale={W}:{H}",
         "-pix_fmt", "gray", "-f", "rawvideo", "-"],
        stdout=subprocess.PIPE,
    )
    frames = []

    def read_frame():
        data = grab.stdout.read(FRAME)
        if len(data) < FRAME:
            raise SystemExit("the screen grab stopped")
        frames.append((time.monotonic(), data))

    for _ in range(15):  # the empty screen, before the launch
        read_frame()
    launched = time.monotonic()
    app = subprocess.Popen(command, start_new_session=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while time.monotonic() - launched < 12:
        read_frame()
    grab.terminate()
    pss = pss_kib(descendants(app.pid))
    processes = len(descendants(app.pid))
    os.killpg(app.pid, signal.SIGTERM)
    try:
        app.wait(timeout=5)
    except subprocess.TimeoutExpired:
        os.killpg(app.pid, signal.SIGKILL)

    empty = frames[0][1]
    settled = frames[-1][1]
    after = [(t, f) for t, f in frames if t >= launched]
    window = next((t for t, f in after if differs(f, empty)), None)
    paint = next((t for t, f in after if not differs(f, settled)), None)
    ms = lambda t: None if t is None else round((t - launched) * 1000)
    print(json.dumps({"name": name, "window_ms": ms(window), "paint_ms": ms(paint),
                      "pss_mib": round(pss / 1024, 1), "processes": processes}))


if __name__ == "__main__":
    main()
