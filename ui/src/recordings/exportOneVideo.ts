// "Export as one video": a recording holds each person's camera, voice and
// screen as tracks of their own, which most players show one at a time.
// This makes the one ordinary video people expect: both cameras side by
// side, or, while someone shares, the screen large with the cameras small;
// both voices mixed. Decoding, drawing and encoding run here in the webview
// with WebCodecs (through mediabunny); the bytes come from and go to the
// app by its commands, so nothing but the new file is written.

import {
  ALL_FORMATS,
  CanvasSink,
  CanvasSource,
  CustomSource,
  EncodedAudioPacketSource,
  EncodedPacket,
  Input,
  Output,
  StreamTarget,
  WebMOutputFormat,
  type InputVideoTrack,
  type StreamTargetChunk,
  type WrappedCanvas,
} from "mediabunny";
import { exposeForTests } from "../testHooks";
import { role, SAMPLE_RATE, Voice } from "./tracks";

/** Where the export is, for tests that wait on it. */
const stage = (what: string) => exposeForTests("mentorliveExportStage", what);

export interface ExportIo {
  /** Bytes `start..end` of the recording. */
  read(start: number, end: number): Promise<Uint8Array>;
  size: number;
  /** Writes bytes of the new file at an offset. */
  write(position: number, data: Uint8Array): Promise<void>;
}

export interface ExportProgress {
  /** 0 to 1. */
  done: number;
}

const FPS = 30;
/** Audio and video are made a few seconds at a time, interleaved. */
const SEGMENT_S = 4;
/** A frame older than this is not shown (a camera turned off, a share that ended). */
const STALE_S = 1.5;


type Tile = { name: string; frames: AsyncGenerator<WrappedCanvas | null, void, unknown>; last: WrappedCanvas | null };

function draw(ctx: OffscreenCanvasRenderingContext2D, frame: WrappedCanvas | null, t: number, x: number, y: number, w: number, h: number, label: string) {
  ctx.fillStyle = "#111";
  ctx.fillRect(x, y, w, h);
  const fresh = frame && t - (frame.timestamp + frame.duration) < STALE_S ? frame : null;
  if (fresh) {
    const src = fresh.canvas;
    const scale = Math.min(w / src.width, h / src.height);
    const dw = src.width * scale;
    const dh = src.height * scale;
    ctx.drawImage(src, x + (w - dw) / 2, y + (h - dh) / 2, dw, dh);
  }
  if (label) {
    ctx.font = "14px sans-serif";
    const width = ctx.measureText(label).width + 12;
    ctx.fillStyle = "rgba(0,0,0,.55)";
    ctx.fillRect(x + 6, y + h - 26, width, 20);
    ctx.fillStyle = "#fff";
    ctx.fillText(label, x + 12, y + h - 11);
  }
}

/** Exports `io`'s recording; resolves when the new file is complete.
 *  `cancelled()` is asked between frames; a cancelled export rejects
 *  with an `AbortError`. */
export async function exportOneVideo(io: ExportIo, onProgress: (p: ExportProgress) => void, cancelled: () => boolean): Promise<{ duration: number; width: number; height: number }> {
  const input = new Input({
    formats: ALL_FORMATS,
    source: new CustomSource({ getSize: () => io.size, read: (start, end) => io.read(start, end), prefetchProfile: "fileSystem" }),
  });
  stage("reading");
  const duration = await input.computeDuration();
  stage(`duration ${duration}`);
  const videos = await input.getVideoTracks();
  const audios = await input.getAudioTracks();
  const named = async (t: InputVideoTrack) => ({ track: t, ...role(await t.getName()) });
  const video = await Promise.all(videos.map(named));
  const cameras = video.filter((v) => v.kind !== "screen");
  const screens = video.filter((v) => v.kind === "screen");
  // Side by side, or the screen large with the cameras down the right.
  const layout = screens.length > 0 ? { width: 1280, height: 720 } : { width: 1280, height: 480 };
  const canvas = new OffscreenCanvas(layout.width, layout.height);
  const ctx = canvas.getContext("2d");
  if (!ctx) throw new Error("This system cannot draw the video (no 2D canvas).");

  const frameTimes = function* (from: number, to: number) {
    for (let i = Math.ceil(from * FPS); i / FPS < to; i++) yield i / FPS;
  };
  const all = Array.from(frameTimes(0, duration));
  const tile = (name: string, track: InputVideoTrack): Tile => ({ name, frames: new CanvasSink(track, { poolSize: 2 }).canvasesAtTimestamps(all), last: null });
  const cameraTiles = cameras.map((c) => tile(c.person, c.track));
  const screenTiles = screens.map((s) => tile(s.person, s.track));

  const chunks = new WritableStream<StreamTargetChunk>({ write: (chunk) => io.write(chunk.position, chunk.data) });
  // Written in 4 MiB pieces: one IPC call each, not one per packet.
  const output = new Output({ format: new WebMOutputFormat(), target: new StreamTarget(chunks, { chunked: true, chunkSize: 4 * 1024 * 1024 }) });
  const videoSource = new CanvasSource(canvas, { codec: "vp8", bitrate: 1_500_000, latencyMode: "realtime", keyFrameInterval: 2 });
  output.addVideoTrack(videoSource, { frameRate: FPS });
  const audioSource = audios.length > 0 ? new EncodedAudioPacketSource("opus") : null;
  if (audioSource) output.addAudioTrack(audioSource);
  await output.start();
  stage("started");
  const voices = audios.map((a) => new Voice(a));
  const encoder = audioSource ? new MixEncoder(audioSource) : null;

  try {
    for (let from = 0; from < duration; from += SEGMENT_S) {
      const to = Math.min(duration, from + SEGMENT_S);
      for (const t of frameTimes(from, to)) {
        if (cancelled()) throw new DOMException("The export was cancelled.", "AbortError");
        for (const tileOf of [...cameraTiles, ...screenTiles]) {
          const next = await tileOf.frames.next();
          tileOf.last = next.done ? tileOf.last : (next.value ?? tileOf.last);
        }
        const sharing = screenTiles.find((s) => s.last && t - (s.last.timestamp + s.last.duration) < STALE_S);
        if (sharing) {
          const side = 280;
          draw(ctx, sharing.last, t, 0, 0, layout.width - side, layout.height, `${sharing.name}'s screen`);
          ctx.fillStyle = "#000";
          ctx.fillRect(layout.width - side, 0, side, layout.height);
          cameraTiles.forEach((c, i) => draw(ctx, c.last, t, layout.width - side + 10, 10 + i * 200, side - 20, (side - 20) * 0.75, c.name));
        } else {
          ctx.fillStyle = "#000";
          ctx.fillRect(0, 0, layout.width, layout.height);
          const w = layout.width / Math.max(1, cameraTiles.length);
          const h = Math.min(layout.height, w * 0.75);
          cameraTiles.forEach((c, i) => draw(ctx, c.last, t, i * w, (layout.height - h) / 2, w, h, c.name));
        }
        stage(`frame ${t.toFixed(2)}`);
        await videoSource.add(t, 1 / FPS);
        onProgress({ done: Math.min(1, t / duration) });
      }
      stage(`audio ${from}`);
      if (encoder) {
        const mixed = await mix(voices, from, to);
        stage(`audio ${from} mixed`);
        await encoder.add(mixed, from);
        stage(`audio ${from} encoded`);
      }
    }
    stage("finalizing");
    await encoder?.finish();
    await output.finalize();
  } catch (err) {
    await output.cancel().catch(() => {});
    throw err;
  } finally {
    voices.forEach((v) => v.close());
    encoder?.close();
  }
  onProgress({ done: 1 });
  return { duration, width: layout.width, height: layout.height };
}

/** Both voices over `from..to`, summed into one mono track (clipped). */
async function mix(voices: Voice[], from: number, to: number): Promise<Float32Array> {
  const length = Math.max(1, Math.round((to - from) * SAMPLE_RATE));
  const out = new Float32Array(length);
  for (const [n, voice] of voices.entries()) {
    stage(`audio ${from} voice ${n}`);
    for (const data of await voice.until(to)) {
      const samples = new Float32Array(data.numberOfFrames);
      data.copyTo(samples, { planeIndex: 0, format: "f32-planar" });
      const begin = Math.round((data.timestamp / 1e6 - from) * SAMPLE_RATE);
      data.close();
      for (let i = 0; i < samples.length; i++) {
        const at = begin + i;
        if (at >= 0 && at < length) out[at] += samples[i];
      }
    }
  }
  for (let i = 0; i < length; i++) out[i] = Math.max(-1, Math.min(1, out[i]));
  return out;
}

/** The mixed sound to Opus (as the call's sender encodes it), then into the file. */
class MixEncoder {
  private encoder: AudioEncoder;
  private chunks: { chunk: EncodedAudioChunk; meta?: EncodedAudioChunkMetadata }[] = [];
  private failure: Error | null = null;

  constructor(private source: EncodedAudioPacketSource) {
    this.encoder = new AudioEncoder({
      output: (chunk, meta) => this.chunks.push({ chunk, meta }),
      error: (e) => (this.failure = e),
    });
    this.encoder.configure({ codec: "opus", sampleRate: SAMPLE_RATE, numberOfChannels: 1, bitrate: 64_000 });
  }

  /** Encodes `samples` starting at `from` seconds, in 20 ms pieces. */
  async add(samples: Float32Array, from: number) {
    const piece = SAMPLE_RATE / 50;
    for (let i = 0; i < samples.length; i += piece) {
      const data = samples.slice(i, i + piece);
      const audio = new AudioData({ format: "f32-planar", sampleRate: SAMPLE_RATE, numberOfFrames: data.length, numberOfChannels: 1, timestamp: Math.round((from + i / SAMPLE_RATE) * 1e6), data });
      this.encoder.encode(audio);
      audio.close();
    }
    await this.drain();
  }

  private async drain() {
    if (this.failure) throw this.failure;
    for (const { chunk, meta } of this.chunks.splice(0)) await this.source.add(EncodedPacket.fromEncodedChunk(chunk), meta);
  }

  async finish() {
    await this.encoder.flush();
    await this.drain();
  }

  close() {
    if (this.encoder.state !== "closed") this.encoder.close();
  }
}
