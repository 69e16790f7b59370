// Glass-to-glass measurement (benchmarks only, off unless
// `window.mentorliveStampFrames` is set): the sender paints the wall clock
// into the top-left of each frame as 32 black or white 16-px cells (24 bits
// of milliseconds and an 8-bit check); the receiver reads them back where it
// paints. Both apps run on one machine, so they share the clock.

export const CELL = 16;
export const BITS = 32;

export function stampingOn(): boolean {
  return (window as unknown as { mentorliveStampFrames?: boolean }).mentorliveStampFrames === true;
}

function check(ms: number): number {
  return ((ms & 0xff) + ((ms >> 8) & 0xff) + ((ms >> 16) & 0xff) + 0x5a) & 0xff;
}

export function stampBits(nowMs: number): boolean[] {
  const ms = nowMs & 0xffffff;
  const word = ((ms << 8) | check(ms)) >>> 0;
  return Array.from({ length: BITS }, (_, i) => ((word >>> (BITS - 1 - i)) & 1) === 1);
}

/** Reads a stamp from RGBA pixels of the top `CELL` rows (`width` wide). */
export function readStamp(rgba: Uint8ClampedArray, width: number): number | null {
  if (width < CELL * BITS) return null;
  let word = 0;
  for (let i = 0; i < BITS; i++) {
    const x = i * CELL + CELL / 2;
    const y = CELL / 2;
    const p = (y * width + x) * 4;
    const luma = (rgba[p] + rgba[p + 1] + rgba[p + 2]) / 3;
    word = ((word << 1) | (luma > 128 ? 1 : 0)) >>> 0;
  }
  const ms = word >>> 8;
  return (word & 0xff) === check(ms) ? ms : null;
}

/** Milliseconds from a stamp to now, across the 24-bit wrap. */
export function delaySince(stampMs: number, nowMs: number): number {
  return ((nowMs & 0xffffff) - stampMs + 0x1000000) % 0x1000000;
}

export function paintStamp(ctx: CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D, nowMs: number): void {
  stampBits(nowMs).forEach((bit, i) => {
    ctx.fillStyle = bit ? "#fff" : "#000";
    ctx.fillRect(i * CELL, 0, CELL, CELL);
  });
}
