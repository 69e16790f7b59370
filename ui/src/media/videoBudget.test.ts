import { describe, expect, it } from "vitest";
import { AUDIO_BPS, MAX_VIDEO_BPS, MIN_VIDEO_BPS, videoBitrateFor } from "./videoBudget";

describe("videoBitrateFor", () => {
  it("leaves the sound and the headers their share of the target", () => {
    expect(videoBitrateFor(500_000)).toBe(500_000 * 0.9 - AUDIO_BPS);
    expect(videoBitrateFor(500_000) + AUDIO_BPS).toBeLessThan(500_000);
  });

  it("keeps the encoder within what VP8 can use", () => {
    expect(videoBitrateFor(100_000)).toBe(MIN_VIDEO_BPS);
    expect(videoBitrateFor(10_000_000)).toBe(MAX_VIDEO_BPS);
  });
});
