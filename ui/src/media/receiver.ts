// The partner's frames from the bridge: their camera and their screen share
// each to a VideoPainter (a decoder and a canvas), their sound (decoded by
// the engine: WebKitGTK's AudioData.copyTo leaks) to an AudioWorklet player.
import { soundSamples, type Chunk } from "./wire";
import { endWorkletNode, loadWorklet } from "./callAudio";
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
  private player: AudioWorkletNode | null = null;
  // Stopped before its worklet loaded (a Hang up while the call starts):
  // no node is made into the shared AudioContext then.
  private stopped = false;

  constructor(
    bridge: () => MediaBridge | null,
    canvas: HTMLCanvasElement,
    screenCanvas: HTMLCanvasElement | null,
    private audioContext: AudioContext,
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

  /** When the partner's camera was first painted (`performance.now()`). */
  get firstPaintAt(): number | null {
    return this.camera.firstPaintAt;
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
    await loadWorklet(this.audioContext, "worklets/player.js");
    if (this.stopped) return;
    this.player = new AudioWorkletNode(this.audioContext, "mentorlive-player", { outputChannelCount: [2] });
    this.player.connect(this.audioContext.destination);
  }

  push(chunk: Chunk): void {
    if (chunk.kind === "video") return this.camera.push(chunk);
    if (chunk.kind === "screen") return this.screen.push(chunk);
    const samples = soundSamples(chunk);
    if (!samples || !this.player) return;
    // The whole message moves to the worklet, not a copy; its jitter buffer
    // drops what is too old.
    this.player.port.postMessage(samples, [samples.buffer]);
    this.audioPackets += 1;
  }

  stop(): void {
    this.stopped = true;
    this.camera.close();
    this.screen.close();
    endWorkletNode(this.player);
    this.player = null;
  }
}
