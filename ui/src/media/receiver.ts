// The partner's frames from the bridge: their camera and their screen share
// each to a VideoPainter (a decoder and a canvas), their sound through an
// Opus decoder to an AudioWorklet player.
import type { Chunk } from "./wire";
import type { MediaBridge } from "./bridge";
import { VideoPainter } from "./videoPainter";

export interface ReceiverStats {
  videoFramesDecoded: number;
  videoFramesDropped: number;
  screenFramesDecoded: number;
  audioPacketsDecoded: number;
  keyframesAsked: number;
  width: number;
  height: number;
  screenWidth: number;
  screenHeight: number;
}

export class MediaReceiver {
  private camera: VideoPainter;
  private screen: VideoPainter;
  private audioDecoder: AudioDecoder | null = null;
  private player: AudioWorkletNode | null = null;

  constructor(
    bridge: () => MediaBridge | null,
    canvas: HTMLCanvasElement,
    screenCanvas: HTMLCanvasElement | null,
    private audioContext: AudioContext,
    private onError: (message: string) => void,
    onScreenSize: (width: number, height: number) => void = () => {},
  ) {
    this.camera = new VideoPainter(canvas, () => bridge()?.askForKeyframe("camera"));
    this.screen = new VideoPainter(screenCanvas, () => bridge()?.askForKeyframe("screen"), onScreenSize);
  }

  get stats(): ReceiverStats {
    const c = this.camera.stats;
    const s = this.screen.stats;
    return {
      videoFramesDecoded: c.framesDecoded,
      videoFramesDropped: c.framesDropped,
      screenFramesDecoded: s.framesDecoded,
      audioPacketsDecoded: this.audioPackets,
      keyframesAsked: c.keyframesAsked + s.keyframesAsked,
      width: c.width,
      height: c.height,
      screenWidth: s.width,
      screenHeight: s.height,
    };
  }

  /** Benchmarks only: the camera's glass-to-glass delays. */
  get glassToGlassMs(): number[] {
    return this.camera.glassToGlassMs;
  }

  /** Benchmarks only: a change on the partner's screen to its paint here. */
  get screenChangeToPaintMs(): number[] {
    return this.screen.glassToGlassMs;
  }

  private audioPackets = 0;

  /** The partner's share ended: its last picture goes. */
  clearScreen(): void {
    this.screen.clear();
  }

  /** The partner left: neither their face nor their screen stays painted
   * behind "Waiting for … to join". */
  clearAll(): void {
    this.camera.clear();
    this.screen.clear();
  }

  async start(): Promise<void> {
    this.audioDecoder = new AudioDecoder({
      output: (data) => {
        const samples = new Float32Array(data.numberOfFrames);
        data.copyTo(samples, { planeIndex: 0, format: "f32-planar" });
        data.close();
        this.player?.port.postMessage(samples, [samples.buffer]);
        this.audioPackets += 1;
      },
      error: (e) => this.onError(`The audio decoder stopped: ${e.message}`),
    });
    this.audioDecoder.configure({ codec: "opus", sampleRate: 48_000, numberOfChannels: 1 });
    await this.audioContext.audioWorklet.addModule("worklets/player.js");
    this.player = new AudioWorkletNode(this.audioContext, "mentorlive-player", { outputChannelCount: [2] });
    this.player.connect(this.audioContext.destination);
  }

  push(chunk: Chunk): void {
    if (chunk.kind === "video") return this.camera.push(chunk);
    if (chunk.kind === "screen") return this.screen.push(chunk);
    const decoder = this.audioDecoder;
    if (!decoder || decoder.state !== "configured") return;
    // Far behind (a stalled page): drop rather than play old sound.
    if (decoder.decodeQueueSize > 10) return;
    decoder.decode(new EncodedAudioChunk({ type: "key", timestamp: chunk.timestampUs, data: chunk.data }));
  }

  stop(): void {
    this.camera.close();
    this.screen.close();
    if (this.audioDecoder && this.audioDecoder.state !== "closed") this.audioDecoder.close();
    this.audioDecoder = null;
    this.player?.disconnect();
    this.player = null;
  }
}
