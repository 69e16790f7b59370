// One chart of figures per week, drawn by uPlot (a canvas, about 50 kB
// minified and 22 kB gzipped, no dependencies: docs/architecture.md says
// why it and not another). Its colours follow the page's (dark or light);
// it redraws at the width of its box. A chart is a picture: the same
// figures are in the table beside it, for screen readers and for reading.

import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

export interface WeekSeries {
  label: string;
  values: (number | null)[];
  /** Bars (counts) or a line (a figure over time). */
  kind: "bars" | "line";
  /** The axis this series is read on: left or right. */
  side: "left" | "right";
  format: (v: number) => string;
  range?: [number, number];
}

const HALF_WEEK = 3.5 * 86_400;

/** A week's Monday (seconds since 1970, UTC) as the person's dates read. */
export function weekLabel(seconds: number): string {
  return new Date(seconds * 1000).toLocaleDateString(undefined, { timeZone: "UTC" });
}

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || "#888";
}

export function WeekChart(props: { weeks: number[]; series: WeekSeries[]; height?: number; testId: string }) {
  const box = useRef<HTMLDivElement>(null);
  const { weeks, series, height = 200, testId } = props;

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const fg = cssVar("--muted");
    const grid = cssVar("--line");
    const colours = [cssVar("--accent"), cssVar("--ok"), cssVar("--warn")];
    const scaleOf = (side: "left" | "right") => (side === "left" ? "l" : "r");
    const sides = [...new Set(series.map((s) => s.side))];
    const opts: uPlot.Options = {
      width: Math.max(240, el.clientWidth),
      height,
      legend: { show: true },
      cursor: { drag: { x: false, y: false } },
      // Weeks start on Monday 00:00 UTC (the server's): shown in UTC, so
      // no week reads as a Sunday west of Greenwich. Half a week of room
      // each side, so the first and last bars are whole.
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"),
      scales: {
        x: { time: true, range: (_u: uPlot, min: number, max: number): [number, number] => [min - HALF_WEEK, max + HALF_WEEK] },
        ...Object.fromEntries(series.map((s) => [scaleOf(s.side), s.range ? { range: s.range } : { range: (_u: uPlot, _min: number, max: number): [number, number] => [0, Math.max(1, max * 1.15)] }])),
      },
      axes: [
        { stroke: fg, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid } },
        ...sides.map((side) => {
          const first = series.find((s) => s.side === side)!;
          return { scale: scaleOf(side), side: side === "left" ? 3 : 1, stroke: fg, grid: { show: side === "left", stroke: grid, width: 1 }, values: (_u: uPlot, ticks: number[]) => ticks.map(first.format), size: 56 } satisfies uPlot.Axis;
        }),
      ],
      series: [
        { label: "Week of", value: (_u, t) => (t == null ? "" : weekLabel(t)) },
        ...series.map(
          (s, i) =>
            ({
              label: s.label,
              scale: scaleOf(s.side),
              stroke: colours[i % colours.length],
              width: 2,
              fill: s.kind === "bars" ? `${colours[i % colours.length]}55` : undefined,
              paths: s.kind === "bars" ? uPlot.paths.bars!({ size: [0.6, 40] }) : undefined,
              points: { show: s.kind === "line" },
              spanGaps: true,
              value: (_u: uPlot, v: number | null) => (v == null ? "–" : s.format(v)),
            }) satisfies uPlot.Series,
        ),
      ],
    };
    const chart = new uPlot(opts, [weeks, ...series.map((s) => s.values)] as uPlot.AlignedData, el);
    const resize = new ResizeObserver(() => chart.setSize({ width: Math.max(240, el.clientWidth), height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      chart.destroy();
    };
  }, [weeks, series, height]);

  return <div ref={box} className="week-chart" data-testid={testId} aria-hidden="true" />;
}
