import { describe, expect, it } from "vitest";
import { decodeChunk, encodeChunk, HEADER_LEN, soundSamples } from "./wire";

describe("bridge chunks", () => {
  it("survive the round trip with the header the Rust side expects", () => {
    const payload = new Uint8Array([0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a]);
    const buffer = encodeChunk("video", true, 1_234_567_890_123, 33_333, payload.length, (into) => into.set(payload));
    const bytes = new Uint8Array(buffer);
    // The same bytes as crates/mentorlive-bridge's round-trip test.
    expect([...bytes.slice(0, 4)]).toEqual([1, 1, 0, 0]);
    expect(new DataView(buffer).getBigUint64(4, true)).toBe(1_234_567_890_123n);
    expect(new DataView(buffer).getUint32(12, true)).toBe(33_333);
    const chunk = decodeChunk(buffer)!;
    expect(chunk.kind).toBe("video");
    expect(chunk.key).toBe(true);
    expect(chunk.timestampUs).toBe(1_234_567_890_123);
    expect([...chunk.data]).toEqual([...payload]);
  });

  it("carry the screen share as kind 3", () => {
    const buffer = encodeChunk("screen", false, 5, 100_000, 1, (into) => into.set([7]));
    expect(new Uint8Array(buffer)[0]).toBe(3);
    expect(decodeChunk(buffer)!.kind).toBe("screen");
  });

  it("read the engine's decoded sound as samples in place", () => {
    // The bytes crates/mentorlive-bridge's Chunk::sound writes for [0.5, -0.25].
    const buffer = new ArrayBuffer(HEADER_LEN + 8);
    const view = new DataView(buffer);
    view.setUint8(0, 4);
    view.setUint8(1, 1);
    view.setFloat32(HEADER_LEN, 0.5, true);
    view.setFloat32(HEADER_LEN + 4, -0.25, true);
    const chunk = decodeChunk(buffer)!;
    expect(chunk.kind).toBe("sound");
    expect([...soundSamples(chunk)!]).toEqual([0.5, -0.25]);
    expect(soundSamples({ ...chunk, data: new Uint8Array(buffer, HEADER_LEN, 6) })).toBeNull();
    expect(soundSamples({ ...chunk, kind: "audio" })).toBeNull();
  });

  it("skips what is malformed", () => {
    expect(decodeChunk(new ArrayBuffer(HEADER_LEN))).toBeNull();
    const bad = new Uint8Array(20);
    bad[0] = 9;
    expect(decodeChunk(bad.buffer)).toBeNull();
    expect(decodeChunk(new ArrayBuffer(3))).toBeNull();
  });
});
