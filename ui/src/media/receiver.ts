// The partner's frames from the bridge → WebCodecs decoders → a canvas and
// an AudioWorklet player. Video waits for a keyframe after any gap; a
// decoder that falls behind drops to the next keyframe and asks for one.
import type { Chunk } from "./wire";
import type { MediaBridge } from "./bridge";
import { CELL, delaySince, readStamp, stampingOn } from "./stamp";

export interface ReceiverStats {
  videoFramesDecoded: number;
  videoFramesDropped: number;
  audioPacketsDecoded: number;
  keyframesAsked: number;
  width: number;
  height: number;
}

export class MediaReceiver {
  stats: ReceiverStats = { videoFramesDecoded: 0, videoFramesDropped: 0, audioPacketsDecoded: 0, keyframesAsked: 0, width: 0, height: 0 };
  private videoDecoder: VideoDecoder | null = null;
  private audioDecoder: AudioDecoder | null = null;
  private player: AudioWorkletNode | null = null;
  private needKeyframe = true;
  private lastAsk = 0;
  private context2d: CanvasRenderingContext2D | null;
  /** Benchmarks only: sender's stamp to our paint, per frame (see stamp.ts). */
  glassToGlassMs: number[] = [];

  constructor(
    private bridge: () => MediaBridge | null,
    private canvas: HTMLCanvasElement,
    private audioContext: AudioContext,
    private onError: (message: string) => void,
  ) {
    this.context2d = canvas.getContext("2d");
  }

  async start(): Promise<void> {
    this.videoDecoder = this.makeVideoDecoder();
    this.audioDecoder = new AudioDecoder({
      output: (data) => {
        const samples = new Float32Array(data.numberOfFrames);
        data.copyTo(samples, { planeIndex: 0, format: "f32-planar" });
        data.close();
        this.player?.port.postMessage(samples, [samples.buffer]);
        this.stats.audioPacketsDecoded += 1;
      },
      error: (e) => this.onError(`The audio decoder stopped: ${e.message}`),
    });
    this.audioDecoder.configure({ codec: "opus", sampleRate: 48_000, numberOfChannels: 1 });
    await this.audioContext.audioWorklet.addModule("worklets/player.js");
    this.player = new AudioWorkletNode(this.audioContext, "mentorlive-player", { outputChannelCount: [2] });
    this.player.connect(this.audioContext.destination);
  }

  private makeVideoDecoder(): VideoDecoder {
    const decoder = new VideoDecoder({
      output: (frame) => {
        const { displayWidth: w, displayHeight: h } = frame;
        if (this.canvas.width !== w || this.canvas.height !== h) {
          // The canvas keeps the frame's size; CSS scales it to the window
          // with its aspect kept (object-fit: contain).
          this.canvas.width = w;
          this.canvas.height = h;
          this.stats.width = w;
          this.stats.height = h;
        }
        this.context2d?.drawImage(frame, 0, 0, w, h);
        if (stampingOn() && this.context2d) {
          const stamp = readStamp(this.context2d.getImageData(0, 0, w, CELL).data, w);
          if (stamp !== null) this.glassToGlassMs.push(delaySince(stamp, Date.now()));
        }
        frame.close();
        this.stats.videoFramesDecoded += 1;
      },
      error: () => {
        // A corrupt frame closes the decoder: start again from a keyframe.
        this.videoDecoder = this.makeVideoDecoder();
        this.waitForKeyframe();
      },
    });
    decoder.configure({ codec: "vp8", optimizeForLatency: true });
    return decoder;
  }

  private waitForKeyframe(): void {
    this.needKeyframe = true;
    const now = performance.now();
    if (now - this.lastAsk > 500) {
      this.lastAsk = now;
      this.stats.keyframesAsked += 1;
      this.bridge()?.askForKeyframe();
    }
  }

  push(chunk: Chunk): void {
    if (chunk.kind === "audio") {
      const decoder = this.audioDecoder;
      if (!decoder || decoder.state !== "configured") return;
      // Far behind (a stalled page): drop rather than play old sound.
      if (decoder.decodeQueueSize > 10) return;
      decoder.decode(new EncodedAudioChunk({ type: "key", timestamp: chunk.timestampUs, data: chunk.data }));
      return;
    }
    const decoder = this.videoDecoder;
    if (!decoder || decoder.state !== "configured") return;
    // Eight frames queued is a quarter second behind: catch up at a keyframe.
    if (decoder.decodeQueueSize > 8 && !chunk.key) {
      this.stats.videoFramesDropped += 1;
      this.waitForKeyframe();
      return;
    }
    if (this.needKeyframe && !chunk.key) {
      this.stats.videoFramesDropped += 1;
      this.waitForKeyframe();
      return;
    }
    this.needKeyframe = false;
    decoder.decode(new EncodedVideoChunk({ type: chunk.key ? "key" : "delta", timestamp: chunk.timestampUs, data: chunk.data }));
  }

  stop(): void {
    for (const codec of [this.videoDecoder, this.audioDecoder]) {
      if (codec && codec.state !== "closed") codec.close();
    }
    this.videoDecoder = null;
    this.audioDecoder = null;
    this.player?.disconnect();
    this.player = null;
  }
}
