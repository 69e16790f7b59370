// Our screen share on the desktop: the display-capture track → frames at a
// steady rate → a VP8 encoder tuned for legible text → the bridge as
// "screen" chunks (the engine sends them on the screen transceiver).
//
// Frames are taken by a timer, not per presented frame: a screen changes
// rarely and the capture rate is ours to choose (5 to 15 frames/s, fewer
// when the link is short, so each frame keeps its detail).
import type { MediaBridge } from "./bridge";
import { releaseStream } from "./release";
import { encodeChunk } from "./wire";
import { paintStamp, stampingOn } from "./stamp";

export interface ScreenSenderStats {
  framesEncoded: number;
  framesSkipped: number;
  keyframes: number;
  width: number;
  height: number;
  frameRate: number;
  bitrate: number;
  /** Bytes out of the encoder, for the bitrate a screen takes. */
  bytesEncoded: number;
}

/** The largest picture sent; larger screens are scaled down to it. */
const MAX_WIDTH = 1920;
const MAX_HEIGHT = 1080;
/** Below this the screen goes at 5 frames/s instead of 10. */
const SLOW_BITRATE = 600_000;

/** The size sent for a source of this size: within 1920x1080, aspect kept, even. */
export function screenSize(width: number, height: number): { width: number; height: number } {
  const scale = Math.min(1, MAX_WIDTH / width, MAX_HEIGHT / height);
  const even = (n: number) => Math.max(2, Math.round((n * scale) / 2) * 2);
  return { width: even(width), height: even(height) };
}

export class ScreenSender {
  /** Benchmarks only: a fixed frame rate instead of the one chosen by the
   *  budget (set through the bench hooks, never in a shipped build). */
  static forcedRate: number | null = null;
  /** Benchmarks only: keep the first picture, a still screen, so that only
   *  the stamped change moves (see stamp.ts and bench-screen.sh). */
  static still = false;

  stats: ScreenSenderStats = { framesEncoded: 0, framesSkipped: 0, keyframes: 0, width: 0, height: 0, frameRate: 10, bitrate: 1_500_000, bytesEncoded: 0 };
  private video = document.createElement("video");
  private canvas: OffscreenCanvas | null = null;
  private encoder: VideoEncoder | null = null;
  private timer = 0;
  private wantKeyframe = true;
  private lastTs = 0;
  private configured = { width: 0, height: 0, bitrate: 0 };
  /** Benchmarks only: when the "screen" last changed (a stamp, stamp.ts). */
  private changedAt = 0;
  private changeTimer = 0;
  private drewStill = false;

  constructor(
    private bridge: MediaBridge,
    private track: MediaStreamTrack,
    private onError: (message: string) => void,
  ) {}

  async start(): Promise<void> {
    // Off-screen but in the page, so the engine decodes it; never shown (no
    // picture of the screen inside the screen).
    const video = this.video;
    video.muted = true;
    video.playsInline = true;
    video.setAttribute("aria-hidden", "true");
    video.style.cssText = "position:fixed;left:-4px;top:-4px;width:2px;height:2px;opacity:0;pointer-events:none";
    document.body.appendChild(video);
    video.srcObject = new MediaStream([this.track]);
    if (ScreenSender.forcedRate) this.stats.frameRate = ScreenSender.forcedRate;
    await video.play().catch(() => {});
    this.encoder = new VideoEncoder({
      output: (chunk) => {
        const key = chunk.type === "key";
        const duration = this.lastTs ? chunk.timestamp - this.lastTs : 100_000;
        this.lastTs = chunk.timestamp;
        this.stats.bytesEncoded += chunk.byteLength;
        const buffer = encodeChunk("screen", key, chunk.timestamp, duration, chunk.byteLength, (into) => chunk.copyTo(into));
        if (!this.bridge.send(buffer, !key)) this.wantKeyframe = true;
        else if (key) this.stats.keyframes += 1;
      },
      error: (e) => this.onError(`The screen encoder stopped: ${e.message}`),
    });
    if (stampingOn()) this.changeNow();
    this.schedule();
  }

  /** Benchmarks only: a change on the screen about once a second, at times
   *  unrelated to the capture timer, as a person's typing would be. */
  private changeNow(): void {
    this.changedAt = Date.now();
    this.changeTimer = window.setTimeout(() => this.changeNow(), 700 + Math.random() * 600);
  }

  private schedule(): void {
    window.clearInterval(this.timer);
    this.timer = window.setInterval(() => this.capture(), 1000 / this.stats.frameRate);
  }

  requestKeyframe(): void {
    this.wantKeyframe = true;
  }

  /** The share of the congestion estimate that is the screen's. */
  setTargetBitrate(bps: number): void {
    this.stats.bitrate = Math.max(150_000, Math.min(2_500_000, bps));
    const rate = ScreenSender.forcedRate ?? (this.stats.bitrate < SLOW_BITRATE ? 5 : 10);
    if (rate !== this.stats.frameRate) {
      this.stats.frameRate = rate;
      this.schedule();
    }
  }

  private capture(): void {
    const video = this.video;
    const encoder = this.encoder;
    if (!encoder || encoder.state === "closed" || !this.bridge.isOpen) return;
    if (!video.videoWidth || !video.videoHeight) return;
    if (encoder.encodeQueueSize > 1) {
      this.stats.framesSkipped += 1;
      return;
    }
    const { width, height } = screenSize(video.videoWidth, video.videoHeight);
    const bitrate = this.stats.bitrate;
    const c = this.configured;
    if (c.width !== width || c.height !== height || Math.abs(c.bitrate - bitrate) / (c.bitrate || 1) > 0.15) {
      // Reconfiguring may cost a keyframe: only for a new size or a real change.
      encoder.configure({ codec: "vp8", width, height, bitrate, framerate: this.stats.frameRate, latencyMode: "realtime" });
      if (c.width !== width || c.height !== height) this.wantKeyframe = true;
      this.configured = { width, height, bitrate };
      this.stats.width = width;
      this.stats.height = height;
    }
    if (!this.canvas || this.canvas.width !== width || this.canvas.height !== height) {
      this.canvas = new OffscreenCanvas(width, height);
      this.drewStill = false;
    }
    const ctx = this.canvas.getContext("2d");
    if (!ctx) return;
    if (!(ScreenSender.still && this.drewStill)) ctx.drawImage(video, 0, 0, width, height);
    this.drewStill = true;
    if (stampingOn()) paintStamp(ctx, this.changedAt);
    const frame = new VideoFrame(this.canvas, { timestamp: Math.round(performance.now() * 1000) });
    const keyFrame = this.wantKeyframe;
    this.wantKeyframe = false;
    encoder.encode(frame, { keyFrame });
    frame.close();
    this.stats.framesEncoded += 1;
  }

  stop(): void {
    window.clearInterval(this.timer);
    window.clearTimeout(this.changeTimer);
    if (this.encoder && this.encoder.state !== "closed") this.encoder.close();
    this.encoder = null;
    const video = this.video;
    void releaseStream(null, [video], [this.track]).then(() => video.remove());
  }
}
