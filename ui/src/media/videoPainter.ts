// One of the partner's videos (their camera or their screen share): VP8
// chunks → a WebCodecs decoder → a canvas. It waits for a keyframe after
// any gap; a decoder that falls behind drops to the next keyframe and asks
// for one.
import type { Chunk } from "./wire";
import { CELL, delaySince, readStamp, stampingOn } from "./stamp";

export interface PainterStats {
  framesDecoded: number;
  framesDropped: number;
  keyframesAsked: number;
  width: number;
  height: number;
}

export class VideoPainter {
  stats: PainterStats = { framesDecoded: 0, framesDropped: 0, keyframesAsked: 0, width: 0, height: 0 };
  /** Benchmarks only: sender's stamp to our paint, the first paint of each
   *  stamp (see stamp.ts; a screen repeats one until it changes). */
  glassToGlassMs: number[] = [];
  /** When the first frame was painted (`performance.now()`): the join
   *  timeline's last step. */
  firstPaintAt: number | null = null;
  private lastStamp: number | null = null;
  // Made on the first chunk: most calls never see a screen share, and each
  // decoder is a GStreamer pipeline in WebKit.
  private decoder: VideoDecoder | null = null;
  private needKeyframe = true;
  private lastAsk = 0;
  private context2d: CanvasRenderingContext2D | null = null;

  constructor(
    private canvas: HTMLCanvasElement | null,
    private askForKeyframe: () => void,
    /** Each painted frame's size, when it changes. */
    private onSize: (width: number, height: number) => void = () => {},
  ) {
    this.context2d = canvas?.getContext("2d") ?? null;
  }

  /** Blanks the canvas; painting starts again at the next keyframe. The
   *  decoder goes too: a frame still in it would be painted after the blank
   *  (seen under load: the partner's face back behind "Waiting for…"). */
  clear(): void {
    this.close();
    this.context2d?.clearRect(0, 0, this.canvas?.width ?? 0, this.canvas?.height ?? 0);
    this.needKeyframe = true;
  }

  private makeDecoder(): VideoDecoder {
    const decoder = new VideoDecoder({
      output: (frame) => {
        const { displayWidth: w, displayHeight: h } = frame;
        const canvas = this.canvas;
        if (canvas && (canvas.width !== w || canvas.height !== h)) {
          // The canvas keeps the frame's size; CSS scales it to the window
          // with its aspect kept (object-fit: contain), or shows it 1:1.
          canvas.width = w;
          canvas.height = h;
        }
        if (this.stats.width !== w || this.stats.height !== h) {
          this.stats.width = w;
          this.stats.height = h;
          this.onSize(w, h);
        }
        this.context2d?.drawImage(frame, 0, 0, w, h);
        this.firstPaintAt ??= performance.now();
        if (stampingOn() && this.context2d) {
          const stamp = readStamp(this.context2d.getImageData(0, 0, w, CELL).data, w);
          if (stamp !== null && stamp !== this.lastStamp) this.glassToGlassMs.push(delaySince(stamp, Date.now()));
          if (stamp !== null) this.lastStamp = stamp;
        }
        frame.close();
        this.stats.framesDecoded += 1;
      },
      error: () => {
        // A corrupt frame closes the decoder: start again from a keyframe.
        this.decoder = this.makeDecoder();
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
      this.askForKeyframe();
    }
  }

  push(chunk: Chunk): void {
    const decoder = (this.decoder ??= this.makeDecoder());
    if (decoder.state !== "configured") return;
    // Eight frames queued is a quarter second behind: catch up at a keyframe.
    if ((decoder.decodeQueueSize > 8 || this.needKeyframe) && !chunk.key) {
      this.stats.framesDropped += 1;
      this.waitForKeyframe();
      return;
    }
    this.needKeyframe = false;
    decoder.decode(new EncodedVideoChunk({ type: chunk.key ? "key" : "delta", timestamp: chunk.timestampUs, data: chunk.data }));
  }

  close(): void {
    if (this.decoder && this.decoder.state !== "closed") this.decoder.close();
    this.decoder = null;
  }
}
