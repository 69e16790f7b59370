"""Samples processes' memory and CPU over a long run and reports the slopes.

  python3 soak_sample.py INTERVAL_S DURATION_S LABEL=PID_OR_PATTERN ...

A PID_OR_PATTERN that is not a number is a pattern for `pgrep -f`, summed
over the processes it names at each sample (WebKit's processes come and go
by name). Each sample prints one JSON line; at the end, per label, the least-
squares slope of RSS and PSS in KiB per minute over the run after its first
sample (start-up allocations are not growth), and the CPU used per minute.
"""
import json
import os
import subprocess
import sys
import time

interval, duration = float(sys.argv[1]), float(sys.argv[2])
targets = [arg.split("=", 1) for arg in sys.argv[3:]]
ticks = os.sysconf("SC_CLK_TCK")


def pids(spec):
    if spec.isdigit():
        return [int(spec)]
    found = subprocess.run(["pgrep", "-f", spec], capture_output=True, text=True).stdout
    return [int(p) for p in found.split() if int(p) != os.getpid()]


def measure(pid):
    """(RSS KiB, PSS KiB, CPU seconds) of one process, or None if gone."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            fields = {l.split(":")[0]: int(l.split()[1]) for l in f if l.split()[-1] == "kB"}
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read().rsplit(")", 1)[1].split()
        return fields.get("Rss", 0), fields.get("Pss", 0), (int(stat[11]) + int(stat[12])) / ticks
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None


def slope(points):
    if len(points) < 2:
        return float("nan")
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    den = sum((x - mx) ** 2 for x, _ in points)
    return sum((x - mx) * (y - my) for x, y in points) / den if den else float("nan")


series = {label: [] for label, _ in targets}
start = time.monotonic()
while True:
    minute = (time.monotonic() - start) / 60
    for label, spec in targets:
        found = [m for m in (measure(p) for p in pids(spec)) if m]
        if not found:
            continue
        rss, pss, cpu = (sum(m[i] for m in found) for i in range(3))
        series[label].append((minute, rss, pss, cpu))
        print(json.dumps({"label": label, "minute": round(minute, 2), "processes": len(found),
                          "rssKiB": rss, "pssKiB": pss, "cpuSeconds": round(cpu, 1)}), flush=True)
    if time.monotonic() - start >= duration:
        break
    time.sleep(interval)

print(f"\n{'process':28} {'samples':>7} {'RSS first→last MiB':>20} {'RSS slope KiB/min':>18} "
      f"{'PSS slope KiB/min':>18} {'CPU s/min':>10}")
for label, points in series.items():
    settled = points[1:]
    if len(settled) < 2:
        print(f"{label:28} {len(points):>7}  (too few samples)")
        continue
    rss = slope([(m, r) for m, r, _, _ in settled])
    pss = slope([(m, p) for m, _, p, _ in settled])
    cpu = (settled[-1][3] - settled[0][3]) / max(settled[-1][0] - settled[0][0], 1e-9)
    first, last = settled[0][1] / 1024, settled[-1][1] / 1024
    print(f"{label:28} {len(points):>7} {first:>9.1f} → {last:<8.1f} {rss:>18.1f} {pss:>18.1f} {cpu:>10.2f}")
