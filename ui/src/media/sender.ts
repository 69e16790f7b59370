// Camera and microphone → WebCodecs encoders → the bridge.
// Video: a VideoFrame from the preview element on each
// requestVideoFrameCallback (WebKitGTK has no MediaStreamTrackProcessor),
// VP8 in realtime mode. Audio: an AudioWorklet cuts 20 ms frames, Opus.
import { encodeChunk } from "./wire";
import { endWorkletNode, loadWorklet } from "./callAudio";
import { paintStamp, stampingOn } from "./stamp";
import { videoBitrateFor } from "./videoBudget";
import type { MediaBridge } from "./bridge";

export interface SenderStats {
  videoFramesEncoded: number;
  videoFramesSkipped: number;
  /** Frames the camera gave that could not be captured, and why (the last). */
  captureErrors: number;
  lastCaptureError: string;
  audioPacketsSent: number;
  keyframes: number;
  lastAudioBytes: number;
  lastAudioDurationUs: number;
  lastVideoDurationUs: number;
  cameraFrameRate: number;
  frameCallbacks: number;
  captureByTimer: boolean;
}

type FrameCallbackVideo = HTMLVideoElement & {
  requestVideoFrameCallback(cb: (now: number, meta: { mediaTime: number }) => void): number;
  cancelVideoFrameCallback(handle: number): void;
};

const START_BITRATE = 800_000;

export class MediaSender {
  stats: SenderStats = { videoFramesEncoded: 0, videoFramesSkipped: 0, audioPacketsSent: 0, keyframes: 0, lastAudioBytes: 0, lastAudioDurationUs: 0, lastVideoDurationUs: 0, cameraFrameRate: 0, frameCallbacks: 0, captureByTimer: false, captureErrors: 0, lastCaptureError: "" };
  private videoEncoder: VideoEncoder | null = null;
  private audioEncoder: AudioEncoder | null = null;
  private audioNode: AudioWorkletNode | null = null;
  // Stopped before its worklet loaded (a Hang up while the call starts):
  // no node is made into the shared AudioContext then.
  private stopped = false;
  private audioSource: MediaStreamAudioSourceNode | null = null;
  private frameHandle = 0;
  private captures = 0;
  /** The camera track being encoded, to notice a switch. */
  private cameraTrack: string | null = null;
  /** The frame-callback loop, kept to restart it on a new source. */
  private onFrame: (() => void) | null = null;
  private fallbackTimer = 0;
  private captureTimer = 0;
  private wantKeyframe = true;
  private lastVideoTs = 0;
  private audioTs = 0;
  private bitrate = START_BITRATE;
  private configured = { width: 0, height: 0 };
  audioMuted = false;
  videoOff = false;

  constructor(
    private bridge: MediaBridge,
    private preview: HTMLVideoElement,
    private stream: MediaStream,
    private audioContext: AudioContext,
    private onError: (message: string) => void,
  ) {}

  async start(): Promise<void> {
    this.stats.cameraFrameRate = this.stream.getVideoTracks()[0]?.getSettings().frameRate ?? 0;
    this.startVideo();
    await this.startAudio();
  }

  /** Carries on with other devices (a camera or microphone switched or
   *  gone): the encoders stay, the next video frame is a keyframe, and the
   *  engine and the partner see no change but the picture. */
  async carryOnWith(stream: MediaStream): Promise<void> {
    this.stream = stream;
    const video = this.preview as FrameCallbackVideo;
    if (video.srcObject !== stream) video.srcObject = stream;
    // A new source drops the frame callbacks asked of the old one, and the
    // element must play again: restart both, or capture stops.
    video.play().catch(() => {});
    if (this.onFrame) {
      video.cancelVideoFrameCallback?.(this.frameHandle);
      this.frameHandle = video.requestVideoFrameCallback(this.onFrame);
    }
    this.wantKeyframe = true;
    const camera = stream.getVideoTracks()[0]?.id ?? null;
    if (!this.videoEncoder) this.startVideo();
    else if (camera && camera !== this.cameraTrack && this.videoEncoder.state !== "closed") {
      // Another camera: a fresh encoder, as WebKit's does not follow a
      // source whose frames change under it (it stopped giving output).
      this.videoEncoder.close();
      this.cameraTrack = this.stream.getVideoTracks()[0]?.id ?? null;
    this.videoEncoder = this.makeVideoEncoder();
    }
    this.cameraTrack = camera;
    const track = stream.getAudioTracks()[0];
    if (!this.audioEncoder) return this.startAudio();
    this.audioSource?.disconnect();
    this.audioSource = null;
    if (track && this.audioNode) {
      this.audioSource = this.audioContext.createMediaStreamSource(new MediaStream([track]));
      this.audioSource.connect(this.audioNode);
    }
  }

  /** For tests: why video would not be sent right now. */
  videoState(): { captures: number; width: number; videoOff: boolean; encoder: string; bridgeOpen: boolean; configured: { width: number; height: number } } {
    return { captures: this.captures, width: this.preview.videoWidth, videoOff: this.videoOff, encoder: this.videoEncoder?.state ?? "none", bridgeOpen: this.bridge.isOpen, configured: this.configured };
  }

  requestKeyframe(): void {
    this.wantKeyframe = true;
  }

  setTargetBitrate(bps: number): void {
    const next = videoBitrateFor(bps);
    // Reconfiguring costs a keyframe in some encoders: only for real changes.
    if (Math.abs(next - this.bitrate) / this.bitrate < 0.15) return;
    this.bitrate = next;
    if (this.videoEncoder && this.configured.width) this.configureVideo(this.configured.width, this.configured.height);
  }

  setVideoOff(off: boolean): void {
    this.videoOff = off;
    if (!off) this.wantKeyframe = true;
  }

  setAudioMuted(muted: boolean): void {
    this.audioMuted = muted;
  }

  private configureVideo(width: number, height: number): void {
    this.configured = { width, height };
    this.videoEncoder!.configure({
      codec: "vp8",
      width,
      height,
      bitrate: this.bitrate,
      framerate: 30,
      latencyMode: "realtime",
    });
  }

  /** A VP8 encoder whose chunks go over the bridge; configured on the
   *  first frame (its size decides). */
  private makeVideoEncoder(): VideoEncoder {
    this.configured = { width: 0, height: 0 };
    return new VideoEncoder({
      output: (chunk) => {
        const key = chunk.type === "key";
        const duration = this.lastVideoTs ? chunk.timestamp - this.lastVideoTs : 33_333;
        this.lastVideoTs = chunk.timestamp;
        this.stats.lastVideoDurationUs = duration;
        const buffer = encodeChunk("video", key, chunk.timestamp, duration, chunk.byteLength, (into) => chunk.copyTo(into));
        if (!this.bridge.send(buffer, !key)) {
          // The bridge is backed up: what follows would not decode anyway.
          this.wantKeyframe = true;
        } else if (key) {
          this.stats.keyframes += 1;
        }
      },
      error: (e) => this.onError(`The video encoder stopped: ${e.message}`),
    });
  }

  private startVideo(): void {
    // No camera (or none chosen): nothing to encode; the partner is told
    // videoOff.
    if (this.stream.getVideoTracks().length === 0) return;
    this.videoEncoder = this.makeVideoEncoder();
    const video = this.preview as FrameCallbackVideo;
    const capture = () => {
      this.captures += 1;
      const encoder = this.videoEncoder;
      if (!encoder || encoder.state === "closed" || this.videoOff || !this.bridge.isOpen) return;
      // An encoder with frames still queued is behind: skip this one.
      if (encoder.encodeQueueSize > 2) {
        this.stats.videoFramesSkipped += 1;
        return;
      }
      const width = video.videoWidth;
      const height = video.videoHeight;
      if (!width || !height) return;
      if (width !== this.configured.width || height !== this.configured.height) {
        this.configureVideo(width, height);
        this.wantKeyframe = true;
      }
      const timestamp = Math.round(performance.now() * 1000);
      let frame: VideoFrame;
      try {
        frame = stampingOn() ? this.stamped(video, width, height, timestamp) : new VideoFrame(video, { timestamp });
      } catch (err) {
        // A source between two frames (a device switch): the next one will do.
        this.stats.captureErrors += 1;
        this.stats.lastCaptureError = String((err as Error)?.message ?? err);
        return;
      }
      const keyFrame = this.wantKeyframe;
      this.wantKeyframe = false;
      encoder.encode(frame, { keyFrame });
      frame.close();
      this.stats.videoFramesEncoded += 1;
    };
    // Each new camera frame, as the page presents it...
    const onFrame = () => {
      this.onFrame = onFrame;
    this.frameHandle = video.requestVideoFrameCallback(onFrame);
      this.stats.frameCallbacks += 1;
      capture();
    };
    this.frameHandle = video.requestVideoFrameCallback(onFrame);
    // ...except where nothing is presented through the compositor (the app
    // turns compositing off on machines without a GPU, and then the
    // callback never fires): a timer at the camera's rate instead.
    this.fallbackTimer = window.setTimeout(() => {
      if (this.stats.frameCallbacks > 0) return;
      const fps = this.stream.getVideoTracks()[0]?.getSettings().frameRate || 30;
      this.stats.captureByTimer = true;
      this.captureTimer = window.setInterval(capture, 1000 / Math.min(30, fps));
    }, 500);
  }

  private stampCanvas: OffscreenCanvas | null = null;

  /** Benchmarks only: the frame with the wall clock painted in (see stamp.ts). */
  private stamped(video: HTMLVideoElement, width: number, height: number, timestamp: number): VideoFrame {
    if (!this.stampCanvas || this.stampCanvas.width !== width || this.stampCanvas.height !== height) this.stampCanvas = new OffscreenCanvas(width, height);
    const ctx = this.stampCanvas.getContext("2d")!;
    ctx.drawImage(video, 0, 0, width, height);
    paintStamp(ctx, Date.now());
    return new VideoFrame(this.stampCanvas, { timestamp });
  }

  private async startAudio(): Promise<void> {
    const track = this.stream.getAudioTracks()[0];
    if (!track) return;
    const rate = this.audioContext.sampleRate;
    this.audioEncoder = new AudioEncoder({
      output: (chunk) => {
        this.stats.lastAudioBytes = chunk.byteLength;
        this.stats.lastAudioDurationUs = chunk.duration ?? -1;
        const buffer = encodeChunk("audio", true, chunk.timestamp, chunk.duration ?? 20_000, chunk.byteLength, (into) => chunk.copyTo(into));
        if (this.bridge.send(buffer, true)) this.stats.audioPacketsSent += 1;
      },
      error: (e) => this.onError(`The audio encoder stopped: ${e.message}`),
    });
    // In-band FEC: a lost packet is rebuilt from the next one by the partner's
    // decoder (the bridge's, or the browser's). At 5 % loss it brings the lost
    // packets' SNR from 2.7 to 5.3 dB, where clean speech is 5.5 (scripts/bench-fec.sh).
    this.audioEncoder.configure({ codec: "opus", sampleRate: rate, numberOfChannels: 1, bitrate: 32_000, opus: { useinbandfec: true, packetlossperc: 5 } });
    await loadWorklet(this.audioContext, "worklets/capture.js");
    if (this.stopped) return;
    this.audioSource = this.audioContext.createMediaStreamSource(new MediaStream([track]));
    this.audioNode = new AudioWorkletNode(this.audioContext, "mentorlive-capture");
    this.audioNode.port.onmessage = (e: MessageEvent<Float32Array<ArrayBuffer>>) => {
      const encoder = this.audioEncoder;
      const samples = e.data;
      const timestamp = this.audioTs;
      this.audioTs += (samples.length / rate) * 1_000_000;
      // Muted: nothing leaves, so the partner's stats show the silence too.
      if (!encoder || encoder.state === "closed" || this.audioMuted || !this.bridge.isOpen) return;
      const data = new AudioData({ format: "f32-planar", sampleRate: rate, numberOfFrames: samples.length, numberOfChannels: 1, timestamp, data: samples });
      encoder.encode(data);
      data.close();
    };
    this.audioSource.connect(this.audioNode);
    // A worklet only runs when connected towards the destination; it writes silence.
    this.audioNode.connect(this.audioContext.destination);
  }

  stop(): void {
    this.stopped = true;
    (this.preview as FrameCallbackVideo).cancelVideoFrameCallback?.(this.frameHandle);
    window.clearTimeout(this.fallbackTimer);
    window.clearInterval(this.captureTimer);
    for (const codec of [this.videoEncoder, this.audioEncoder]) {
      if (codec && codec.state !== "closed") codec.close();
    }
    this.videoEncoder = null;
    this.audioEncoder = null;
    this.audioSource?.disconnect();
    endWorkletNode(this.audioNode);
    this.audioNode = null;
  }
}
