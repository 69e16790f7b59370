"""Prints the impaired-call figures as a table and draws the step case.

  python3 scripts/impaired_table.py DIR SVG

DIR holds the JSON each case of tests/call_impaired.rs writes; SVG is where
the plot of the narrowing link (target and sent kbit/s over time) goes, and
the bottleneck's (its rates, and the queueing delay in the link's buffer)
goes beside it as impaired-bottleneck.svg.
"""
import json
import pathlib
import sys

out_dir, svg_path = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
cases = sorted(p for p in out_dir.glob("*.json") if p.stem not in ("probe", "step-times"))
print(f"{'case':26} {'way':16} {'delay p50/p95 ms':>17} {'longest gap':>11} "
      f"{'freezes/min':>11} {'concealed %':>11} {'loss %':>7}")
for path in cases:
    fig = json.loads(path.read_text())
    for way in ("mentorToLearner", "learnerToMentor"):
        d = fig[way]
        delay = f"{d['frameDelayMs']['p50']:.0f}/{d['frameDelayMs']['p95']:.0f}"
        print(f"{path.stem:26} {way:16} {delay:>17} {d['longestGapMs']:>11.0f} "
              f"{d['freezesPerMinute']:>11.1f} {d['concealedAudioPercent']:>11.1f} "
              f"{d['lossPercent']:>7.1f}")



def plot_bottleneck(fig, path):
    """The 500 kbit/s bottleneck: the mentor's target and sent rate above,
    the queueing delay in its uplink's 200 ms buffer below."""
    series = fig["mentorBitrate"]
    W, H, L = 640, 360, 50
    top, mid, bottom = 10, 200, 330
    t_max = max(s["t"] for s in series) or 1
    x = lambda t: L + (W - L - 10) * t / t_max
    yk = lambda k: mid - (mid - top) * min(k, 1000) / 1000
    yq = lambda ms: bottom - (bottom - mid - 30) * min(ms, 200) / 200
    poly = lambda y, key, colour: ('<polyline points="' + " ".join(f"{x(s['t']):.1f},{y(s[key]):.1f}" for s in series)
                                   + f'" fill="none" stroke="{colour}" stroke-width="2"/>')
    ticks = "".join(f'<text x="{L - 6}" y="{yk(k) + 4:.1f}" text-anchor="end">{k}</text>'
                    f'<line x1="{L}" x2="{W - 10}" y1="{yk(k):.1f}" y2="{yk(k):.1f}" stroke="#eee"/>'
                    for k in (0, 250, 500, 750, 1000))
    ticks += "".join(f'<text x="{L - 6}" y="{yq(q) + 4:.1f}" text-anchor="end">{q}</text>'
                     f'<line x1="{L}" x2="{W - 10}" y1="{yq(q):.1f}" y2="{yq(q):.1f}" stroke="#eee"/>'
                     for q in (0, 100, 200))
    ticks += "".join(f'<text x="{x(t):.1f}" y="{bottom + 16}" text-anchor="middle">{t:.0f}</text>'
                     for t in range(0, int(t_max) + 1, 5))
    path.write_text(f"""<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H + 20}" font-family="sans-serif" font-size="11">
<title>A 500 kbit/s bottleneck with a 200 ms buffer: target and sent bitrate, and the queueing delay in the buffer</title>
{ticks}
<text x="{W / 2}" y="{bottom + 32}" text-anchor="middle">seconds from connection</text>
<text x="12" y="{(top + mid) / 2}" transform="rotate(-90 12 {(top + mid) / 2})" text-anchor="middle">kbit/s</text>
<text x="12" y="{(mid + 30 + bottom) / 2}" transform="rotate(-90 12 {(mid + 30 + bottom) / 2})" text-anchor="middle">queue, ms</text>
<line x1="{x(0):.1f}" x2="{x(t_max):.1f}" y1="{yk(500):.1f}" y2="{yk(500):.1f}" stroke="#999" stroke-dasharray="4 3"/>
{poly(yk, "targetKbps", "#c0392b")}
{poly(yk, "sentKbps", "#2471a3")}
{poly(yq, "queueingMs", "#8e44ad")}
<text x="{L + 330}" y="24" fill="#c0392b">congestion control's target</text>
<text x="{L + 330}" y="38" fill="#2471a3">sent (video + audio), once a second</text>
<text x="{L + 330}" y="52" fill="#777">the link, 500 kbit/s</text>
<text x="{L + 330}" y="{mid + 44}" fill="#8e44ad">queueing delay in the link's 200 ms buffer</text>
</svg>
""")
    print(f"plot: {path}")


bottleneck = out_dir / "bottleneck-500k.json"
if bottleneck.exists():
    plot_bottleneck(json.loads(bottleneck.read_text()), svg_path.with_name("impaired-bottleneck.svg"))

step = out_dir / "step-2m-300k-2m.json"
if not step.exists():
    sys.exit(0)
series = json.loads(step.read_text())["mentorBitrate"]
times = json.loads((out_dir / "step-times.json").read_text())
W, H, L, B = 640, 300, 50, 30
t_max = max(s["t"] for s in series) or 1
k_max = 2600
x = lambda t: L + (W - L - 10) * t / t_max
y = lambda k: H - B - (H - B - 10) * min(k, k_max) / k_max
line = lambda key: " ".join(f"{x(s['t']):.1f},{y(s[key]):.1f}" for s in series)
# Each uplink as the proxy saw it arrive, over half a second, four times a
# second (the engine's own figures above are once a second).
wire = "".join(
    '<polyline points="' + " ".join(f"{x(w['t']):.1f},{y(w['kbps']):.1f}" for w in u["wire"] if 0 <= w["t"] <= t_max)
    + '" fill="none" stroke="#27ae60" stroke-width="1" opacity="0.8"/>'
    for u in times.get("uplinks", []))
# The link itself: 2 Mbit/s, 300 kbit/s between the proxy's two steps.
down, up = times.get("narrowedAt") or 0, times.get("widenedAt") or t_max
link = (f"{x(0):.1f},{y(2000):.1f} {x(down):.1f},{y(2000):.1f} {x(down):.1f},{y(300):.1f} "
        f"{x(up):.1f},{y(300):.1f} {x(up):.1f},{y(2000):.1f} {x(t_max):.1f},{y(2000):.1f}")
ticks = "".join(
    f'<text x="{L - 6}" y="{y(k) + 4:.1f}" text-anchor="end">{k}</text>'
    f'<line x1="{L}" x2="{W - 10}" y1="{y(k):.1f}" y2="{y(k):.1f}" stroke="#eee"/>'
    for k in (0, 500, 1000, 1500, 2000, 2500))
tticks = "".join(
    f'<text x="{x(t):.1f}" y="{H - B + 16}" text-anchor="middle">{t:.0f}</text>'
    for t in range(0, int(t_max) + 1, 5))
svg_path.write_text(f"""<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H + 20}" font-family="sans-serif" font-size="11">
<title>Target and sent bitrate while the link narrows from 2 Mbit/s to 300 kbit/s and widens again</title>
{ticks}{tticks}
<text x="{W / 2}" y="{H + 14}" text-anchor="middle">seconds from connection</text>
<text x="12" y="{H / 2}" transform="rotate(-90 12 {H / 2})" text-anchor="middle">kbit/s</text>
<polyline points="{link}" fill="none" stroke="#999" stroke-dasharray="4 3"/>
<polyline points="{line('targetKbps')}" fill="none" stroke="#c0392b" stroke-width="2"/>
<polyline points="{line('sentKbps')}" fill="none" stroke="#2471a3" stroke-width="2"/>
{wire}
<text x="{L + 150}" y="30" fill="#c0392b">congestion control's target</text>
<text x="{L + 150}" y="44" fill="#2471a3">sent (video + audio)</text>
<text x="{L + 150}" y="58" fill="#27ae60">each uplink on the wire (0.5 s)</text>
<text x="{L + 150}" y="72" fill="#777">the link</text>
</svg>
""")
print(f"plot: {svg_path}")
