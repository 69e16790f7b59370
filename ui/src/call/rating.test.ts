import { describe, expect, it } from "vitest";
import { asksForRating } from "./rating";
import type { CallReport } from "../generated/types";

const report = (connectedAt: string | undefined, endedAt: string) => ({ connectedAt, endedAt }) as CallReport;

describe("asksForRating", () => {
  it("asks after a minute connected, as the engine does, and never for a call that never connected", () => {
    expect(asksForRating(report("2026-12-01T10:00:01Z", "2026-12-01T10:01:00Z"))).toBe(false);
    expect(asksForRating(report("2026-12-01T10:00:01Z", "2026-12-01T10:01:01Z"))).toBe(true);
    expect(asksForRating(report(undefined, "2026-12-01T11:00:00Z"))).toBe(false);
  });
});
