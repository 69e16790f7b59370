import { describe, expect, it } from "vitest";
import { lastCallLine, qualityWord } from "./quality";
import type { CallReport, SessionCall } from "../generated/types";

const side = (mos: number | undefined, connected = true) => ({ userId: "u", name: "n", report: { connectedAt: connected ? "2026-12-01T10:00:02Z" : undefined, mos } as CallReport });
const call = (minutes: number, reports: SessionCall["reports"]): SessionCall => ({ startedAt: "2026-12-01T10:00:00Z", endedAt: new Date(Date.parse("2026-12-01T10:00:00Z") + minutes * 60_000).toISOString(), reports });

describe("lastCallLine", () => {
  it("says the length and the worse side's quality", () => {
    expect(lastCallLine(call(42, [side(4.3), side(4.1)]))).toBe("42 min · good connection");
    expect(lastCallLine(call(30, [side(4.3), side(3.2)]))).toBe("30 min · poor connection");
    expect(lastCallLine(call(0.5, [side(3.8)]))).toBe("under a minute · fair connection");
  });
  it("says when a call never connected", () => {
    expect(lastCallLine(call(2, [side(undefined, false)]))).toBe("2 min · did not connect");
  });
  it("puts scores in words at the usual thresholds", () => {
    expect([4.0, 3.99, 3.6, 3.59].map(qualityWord)).toEqual(["good", "fair", "fair", "poor"]);
  });
});
