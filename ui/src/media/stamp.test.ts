import { describe, expect, it } from "vitest";
import { BITS, CELL, delaySince, readStamp, stampBits } from "./stamp";

function paint(bits: boolean[], width: number): Uint8ClampedArray {
  const rgba = new Uint8ClampedArray(width * CELL * 4);
  bits.forEach((bit, i) => {
    for (let y = 0; y < CELL; y++)
      for (let x = i * CELL; x < (i + 1) * CELL; x++) rgba.fill(bit ? 250 : 5, (y * width + x) * 4, (y * width + x) * 4 + 3);
  });
  return rgba;
}

describe("glass-to-glass stamps", () => {
  it("read back what was painted", () => {
    const now = 1_764_460_800_123;
    expect(readStamp(paint(stampBits(now), 640), 640)).toBe(now & 0xffffff);
    expect(delaySince(now & 0xffffff, now + 87)).toBe(87);
  });

  it("refuse a frame without one", () => {
    expect(readStamp(paint(new Array(BITS).fill(false), 640), 640)).toBeNull();
    expect(readStamp(new Uint8ClampedArray(100 * CELL * 4), 100)).toBeNull();
  });

  it("survive the 24-bit wrap", () => {
    expect(delaySince(0xfffff0, 0x1000005)).toBe(0x15);
  });
});
