import { describe, expect, it } from "vitest";
import { elapsed, quality } from "./InCall";

describe("the call's clock", () => {
  it("reads minutes and seconds, then hours", () => {
    expect(elapsed(0)).toBe("00:00");
    expect(elapsed(61_500)).toBe("01:01");
    expect(elapsed(3_725_000)).toBe("1:02:05");
  });

  it("never shows a negative time for a tick taken just before the start", () => {
    expect(elapsed(-400)).toBe("00:00");
  });
});

describe("the quality indicator", () => {
  it("says unknown before figures arrive", () => {
    expect(quality(null).level).toBe("unknown");
  });

  it("stops saying good once the partner has gone", () => {
    const stats = { rttMs: 40, loss: 0, bitrateInKbps: 900, bitrateOutKbps: 900 } as Parameters<typeof quality>[0];
    expect(quality(stats).level).toBe("good");
    expect(quality(stats, false)).toEqual({ level: "unknown", detail: "No partner in the call" });
  });
});
