// Figures in words, for the Insights screen and the Sessions list.

import type { SessionCall } from "../generated/types";

/** A mean opinion score (1 to 5) in a word: 4 and over is what a good
 *  phone call gets; under 3.6 most people notice. */
export function qualityWord(mos: number): "good" | "fair" | "poor" {
  if (mos >= 4) return "good";
  if (mos >= 3.6) return "fair";
  return "poor";
}

/** A session's last call in a line: "42 min · good connection". The worse
 *  side's estimate counts: a call is as good as its worse direction. */
export function lastCallLine(call: SessionCall): string {
  const ms = Date.parse(call.endedAt) - Date.parse(call.startedAt);
  const length = ms < 60_000 ? "under a minute" : `${Math.round(ms / 60_000)} min`;
  const connected = call.reports.filter((r) => r.report.connectedAt);
  if (connected.length === 0) return `${length} · did not connect`;
  const scores = connected.map((r) => r.report.mos).filter((m): m is number => typeof m === "number");
  if (scores.length === 0) return length;
  return `${length} · ${qualityWord(Math.min(...scores))} connection`;
}
