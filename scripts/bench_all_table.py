"""Reads what scripts/bench-all.sh collected and prints issue 19's table:
each figure beside its anchor, the ratio, the target and whether it is met."""
import json
import re
import sys
from pathlib import Path

figures = Path(sys.argv[1])


def json_lines(name):
    out = {}
    for line in (figures / name).read_text().splitlines():
        if line.startswith("{"):
            row = json.loads(line)
            out[row["figure"]] = row
    return out


def numbers(pattern, name):
    return [float(m) for m in re.findall(pattern, (figures / name).read_text())]


native = json_lines("native.jsonl")
chromium = json_lines("chromium.jsonl")
app_g2g = re.findall(r"glass-to-glass p50 (\d+) ms, p99 (\d+) ms", (figures / "app_pair.txt").read_text())
app_cpu = numbers(r"CPU ([\d.]+) s/min; PSS", "app_pair.txt")
app_pss = numbers(r"PSS ([\d.]+) MB in \d+ processes; received", "app_pair.txt")
app_join = numbers(r'"first_frame_painted":(\d+)', "app_join.txt") or numbers(r"first remote frame (\d+) ms after Join", "app_join.txt")
app_timeline = re.findall(r"the app's join timeline \(ms\): (.*)", (figures / "app_join.txt").read_text())
idle = numbers(r"PROFILE idle[^:]*: CPU ([\d.]+) s/min", "app_profile.txt")
stages = re.findall(r"^PROFILE (.*)$", (figures / "app_profile.txt").read_text(), re.M)

beside = {}
beside_file = figures / "app_beside_browser.txt"
for line in (beside_file.read_text() if beside_file.exists() else "").splitlines():
    if line.startswith("BESIDE "):
        b = json.loads(line[len("BESIDE "):])
        beside[b["browser"]] = b
page_cpu = chromium["cpu_per_minute"]["cpu_seconds_per_minute"] / 2
page_pss = chromium["pss"]["pss_mb"] / 2
rows = []


def row(figure, ours, anchor, ratio, target, met):
    """`met`: None for a figure shown for comparison, with no target."""
    rows.append((figure, ours, anchor, ratio, target, "" if met is None else "met" if met else "not met"))


# The figures: the app and the web client in Chromium in one call,
# the same work each way (640x480 at 30 frames a second, sent and shown).
for kind, label in (("headed", "Chromium in a window"), ("headless", "Chromium headless")):
    if kind not in beside:
        continue
    a, c = beside[kind]["app"], beside[kind]["chromium"]
    row(f"CPU of one app, beside {label} in the same call (s/min)", f"{a['cpu_s_per_min']:.1f}", f"{c['cpu_s_per_min']:.1f} (the web client)", f"{a['cpu_s_per_min'] / c['cpu_s_per_min']:.2f}x", "<= 1.0x", a["cpu_s_per_min"] <= c["cpu_s_per_min"])
    ax, cx = a["cpu_s_per_min"] + a["x_server_cpu_s_per_min"], c["cpu_s_per_min"] + c["x_server_cpu_s_per_min"]
    row(f"  the same, each with its X server (s/min)", f"{ax:.1f}", f"{cx:.1f}", f"{ax / cx:.2f}x", "", None)
    row(f"PSS of one app, beside {label} in the same call (MB)", f"{a['pss_mb']:.0f}", f"{c['pss_mb']:.0f} (the web client)", f"{a['pss_mb'] / c['pss_mb']:.2f}x", "<= 0.7x", a["pss_mb"] <= 0.7 * c["pss_mb"])
# The earlier anchor, kept to compare runs: two apps with the benchmark's
# stamps painted into and read from every frame, beside half of two
# headless contract-peer pages (one <video>, Chromium's fake camera at 20 fps).
if app_cpu:
    cpu = sum(app_cpu) / len(app_cpu)
    row("earlier: CPU of one app of two, stamps on (s/min)", f"{cpu:.1f}", f"{page_cpu:.1f} (half a headless page pair)", f"{cpu / page_cpu:.2f}x", "", None)
if app_pss:
    pss = sum(app_pss) / len(app_pss)
    row("earlier: PSS of one app of two (MB)", f"{pss:.0f}", f"{page_pss:.0f} (half a headless page pair)", f"{pss / page_pss:.2f}x", "", None)
if app_g2g:
    p50 = max(float(a) for a, _ in app_g2g)
    p99 = max(float(b) for _, b in app_g2g)
    row("glass-to-glass, two apps, worse side (ms)", f"p50 {p50:.0f} / p99 {p99:.0f}", "", "", "p50 <= 60, p99 <= 100", p50 <= 60 and p99 <= 100)
if app_join:
    joins = sorted(app_join)
    median = joins[len(joins) // 2]
    row(f"Join -> first remote frame in the app, median of {len(joins)} (ms)", f"{median:.0f} (worst {joins[-1]:.0f})", "", "", "<= 200", median <= 200)
n, c = native["join_to_first_frame"]["median_ms"], chromium["join_to_first_frame"]["median_ms"]
row("native join -> first remote frame, median (ms)", f"{n:.0f}", f"{c:.0f} (Chromium pair)", f"{n / c:.2f}x", "<= 0.5x", n <= 0.5 * c)
t = native["transport_latency"]
row("transport latency after the first 5 s, p50 / p99 (ms)", f"{t['after_5s_p50_ms']:.2f} / {t['after_5s_p99_ms']:.1f}", f"whole call p99 {t['p99_ms']:.1f}", "", "p99 <= 10", t["after_5s_p99_ms"] <= 10)
if idle:
    row("the idle app, Sessions screen (CPU s/min)", f"{idle[0]:.2f}", "", "", "none to speak of (< 0.1)", idle[0] < 0.1)

widths = [max(len(str(r[i])) for r in rows + [("figure", "mentorlive", "anchor", "ratio", "target", "")]) for i in range(6)]
header = ("figure", "mentorlive", "anchor", "ratio", "target", "")
for r in [header] + rows:
    print("  ".join(str(v).ljust(w) for v, w in zip(r, widths)).rstrip())
print()
for line in (figures / "native.jsonl").read_text().splitlines():
    if '"join_timeline"' in line:
        row_ = json.loads(line)
        steps = sorted(row_["median_ms"].items(), key=lambda kv: kv[1])
        print(f"join timeline, {row_['peer']} (median ms): " + ", ".join(f"{k} {v:.0f}" for k, v in steps))
for t in app_timeline:
    steps = sorted(json.loads(t).items(), key=lambda kv: kv[1])
    print("join timeline, the app (ms from Join): " + ", ".join(f"{k} {v}" for k, v in steps))
print()
print("one app, stage by stage:")
for s in stages:
    print("  " + s)
