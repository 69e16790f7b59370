// When to ask a person to rate a call that ended, the same rule as the
// engine's `CallReport::asks_for_rating` (the desktop app holds the report
// for the answer by that rule): connected for a minute or more.

import type { CallReport } from "../generated/types";

export const RATING_AFTER_SECONDS = 60;

export function asksForRating(report: CallReport): boolean {
  if (!report.connectedAt) return false;
  const connected = (Date.parse(report.endedAt) - Date.parse(report.connectedAt)) / 1000;
  return Math.floor(connected) >= RATING_AFTER_SECONDS;
}
