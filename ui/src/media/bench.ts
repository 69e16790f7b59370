// The bridge measured alone, in the real webview: chunks the size of a
// 640x480 call (VP8 at 30 fps, a keyframe every 2 s; Opus at 50 packets/s)
// echoed by the Rust side over each transport. Round-trip times and the
// CPU of the app with its WebKit processes, per transport.
import { commands } from "../generated/commands";
import type { ProcessFigures } from "../generated/types";
import { encodeChunk, decodeChunk } from "./wire";

export interface BenchResult {
  transport: string;
  sent: number;
  received: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  cpuSecondsPerMinute: number;
  megabytesPerSecond: number;
}

/** The app's process and its WebKit processes: CPU so far, memory now. */
export const processFigures = (): Promise<ProcessFigures> => commands.benchProcessFigures();

const VIDEO_BYTES = 10_000;
const KEY_BYTES = 40_000;
const AUDIO_BYTES = 100;

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** The schedule: 30 video chunks and 50 audio chunks a second. */
function schedule(seconds: number): { at: number; kind: "video" | "audio"; bytes: number; key: boolean }[] {
  const items = [];
  for (let i = 0; i < seconds * 30; i++) items.push({ at: (i * 1000) / 30, kind: "video" as const, bytes: i % 60 === 0 ? KEY_BYTES : VIDEO_BYTES, key: i % 60 === 0 });
  for (let i = 0; i < seconds * 50; i++) items.push({ at: i * 20, kind: "audio" as const, bytes: AUDIO_BYTES, key: true });
  return items.sort((a, b) => a.at - b.at);
}

function chunk(id: number, item: { kind: "video" | "audio"; bytes: number; key: boolean }): ArrayBuffer {
  return encodeChunk(item.kind, item.key, id, item.kind === "video" ? 33_333 : 20_000, item.bytes, (into) => {
    into.fill(0x5a);
    new DataView(into.buffer, into.byteOffset, 4).setUint32(0, id, true);
  });
}

async function run(transport: string, seconds: number, send: (id: number, buffer: ArrayBuffer, done: (id: number) => void) => void): Promise<BenchResult> {
  const plan = schedule(seconds);
  const sentAt = new Map<number, number>();
  const rtts: number[] = [];
  let bytes = 0;
  const done = (id: number) => {
    const t = sentAt.get(id);
    if (t !== undefined) {
      rtts.push(performance.now() - t);
      sentAt.delete(id);
    }
  };
  const cpuBefore = (await processFigures()).cpuSeconds;
  const start = performance.now();
  for (let id = 0; id < plan.length; id++) {
    const wait = start + plan[id].at - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const buffer = chunk(id, plan[id]);
    bytes += buffer.byteLength;
    sentAt.set(id, performance.now());
    send(id, buffer, done);
  }
  const deadline = performance.now() + 3000;
  while (sentAt.size && performance.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  const elapsed = (performance.now() - start) / 1000;
  const cpu = (await processFigures()).cpuSeconds - cpuBefore;
  rtts.sort((a, b) => a - b);
  const round = (x: number) => Math.round(x * 100) / 100;
  return {
    transport,
    sent: plan.length,
    received: rtts.length,
    p50Ms: round(percentile(rtts, 50)),
    p99Ms: round(percentile(rtts, 99)),
    maxMs: round(rtts[rtts.length - 1] ?? NaN),
    cpuSecondsPerMinute: round((cpu / elapsed) * 60),
    megabytesPerSecond: round(bytes / elapsed / 1e6),
  };
}

export async function benchWebSocket(seconds: number): Promise<BenchResult> {
  const url = await commands.benchEchoBridge();
  const ws = new WebSocket(url);
  ws.binaryType = "arraybuffer";
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = () => reject(new Error("the echo bridge refused the connection"));
  });
  let onEcho: (id: number) => void = () => {};
  ws.onmessage = (e) => {
    const c = decodeChunk(e.data as ArrayBuffer);
    if (c) onEcho(new DataView(c.data.buffer, c.data.byteOffset, 4).getUint32(0, true));
  };
  try {
    return await run("loopback WebSocket", seconds, (_id, buffer, done) => {
      onEcho = done;
      ws.send(buffer);
    });
  } finally {
    ws.close();
  }
}

export async function benchIpc(seconds: number): Promise<BenchResult> {
  return run("Tauri IPC (raw body in, raw response out)", seconds, (id, buffer, done) => {
    commands.benchEchoIpc(buffer).then((back) => {
      const echoed = new DataView(back, 16, 4).getUint32(0, true);
      if (echoed === id) done(id);
    });
  });
}

/** Both transports, one after the other (the WebSocket first). */
export async function benchBridge(seconds = 10): Promise<BenchResult[]> {
  return [await benchWebSocket(seconds), await benchIpc(seconds)];
}
