// One chunk on the media bridge: a 16-byte header, then the encoded bytes.
// The layout is crates/mentorlive-bridge/src/wire.rs; both ends test it.
//   0 kind (1 camera video, 2 audio, 3 screen video, 4 sound) · 1 flags (bit 0 key) · 2..4 zero
//   4..12 timestamp µs (u64 LE) · 12..16 duration µs (u32 LE) · payload

export const HEADER_LEN = 16;
/** "audio" is Opus from our encoder; "sound" is the partner's audio that the
 *  engine decoded: 48 kHz mono f32 samples, little-endian, ready to play. */
export type ChunkKind = "video" | "audio" | "screen" | "sound";

const KIND_BYTES: Record<ChunkKind, number> = { video: 1, audio: 2, screen: 3, sound: 4 };
const KINDS: Record<number, ChunkKind | undefined> = { 1: "video", 2: "audio", 3: "screen", 4: "sound" };

export interface Chunk {
  kind: ChunkKind;
  key: boolean;
  timestampUs: number;
  durationUs: number;
  data: Uint8Array;
}

/** Writes header and payload into one buffer, ready for `WebSocket.send`.
 *  `copyPayload` fills the payload in place (an encoded chunk's `copyTo`),
 *  so the bytes are copied once. */
export function encodeChunk(
  kind: ChunkKind,
  key: boolean,
  timestampUs: number,
  durationUs: number,
  byteLength: number,
  copyPayload: (into: Uint8Array) => void,
): ArrayBuffer {
  const buffer = new ArrayBuffer(HEADER_LEN + byteLength);
  const view = new DataView(buffer);
  view.setUint8(0, KIND_BYTES[kind]);
  view.setUint8(1, key ? 1 : 0);
  view.setBigUint64(4, BigInt(Math.max(0, Math.round(timestampUs))), true);
  view.setUint32(12, Math.max(0, Math.min(0xffffffff, Math.round(durationUs))), true);
  copyPayload(new Uint8Array(buffer, HEADER_LEN, byteLength));
  return buffer;
}

/** A sound chunk's samples, in place (the payload starts at a 4-byte
 *  boundary). `null` for a payload that is not whole samples. */
export function soundSamples(chunk: Chunk): Float32Array | null {
  if (chunk.kind !== "sound" || chunk.data.byteLength % 4 !== 0) return null;
  return new Float32Array(chunk.data.buffer, chunk.data.byteOffset, chunk.data.byteLength / 4);
}

/** Reads a chunk; `null` for anything malformed (it is skipped, not fatal). */
export function decodeChunk(buffer: ArrayBuffer): Chunk | null {
  if (buffer.byteLength <= HEADER_LEN) return null;
  const view = new DataView(buffer);
  const kind = KINDS[view.getUint8(0)];
  if (!kind) return null;
  return {
    kind,
    key: (view.getUint8(1) & 1) === 1,
    timestampUs: Number(view.getBigUint64(4, true)),
    durationUs: view.getUint32(12, true),
    data: new Uint8Array(buffer, HEADER_LEN),
  };
}
