// The webview's end of the media bridge: a binary WebSocket to the app's
// Rust side on 127.0.0.1 (the URL carries a per-call secret).
import { decodeChunk, type Chunk } from "./wire";

export class MediaBridge {
  private ws: WebSocket;
  private closed = false;
  /** Bytes the socket has not sent yet, above which video waits for a keyframe. */
  static readonly HIGH_WATER = 512 * 1024;

  constructor(
    url: string,
    private handlers: {
      onChunk: (c: Chunk) => void;
      onKeyframeWanted: (video: "camera" | "screen") => void;
      onClose: () => void;
      onOpen?: () => void;
    },
  ) {
    this.ws = this.open(url);
  }

  private open(url: string): WebSocket {
    const ws = new WebSocket(url);
    ws.binaryType = "arraybuffer";
    ws.onopen = () => this.handlers.onOpen?.();
    ws.onmessage = (e) => {
      if (typeof e.data === "string") {
        try {
          const message = JSON.parse(e.data) as { type?: string; video?: string };
          if (message.type === "keyframe") this.handlers.onKeyframeWanted(message.video === "screen" ? "screen" : "camera");
        } catch {
          // Not ours: ignored.
        }
        return;
      }
      const chunk = decodeChunk(e.data as ArrayBuffer);
      if (chunk) this.handlers.onChunk(chunk);
    };
    ws.onclose = () => {
      if (!this.closed) this.handlers.onClose();
    };
    return ws;
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Sends one chunk; `false` when it was not sent (not open, or backed up). */
  send(buffer: ArrayBuffer, droppable: boolean): boolean {
    if (this.ws.readyState !== WebSocket.OPEN) return false;
    if (droppable && this.ws.bufferedAmount > MediaBridge.HIGH_WATER) return false;
    this.ws.send(buffer);
    return true;
  }

  /** Our decoder lost its reference: ask the partner for a keyframe (of
   *  their camera, or of their screen share). */
  askForKeyframe(video: "camera" | "screen" = "camera"): void {
    if (this.ws.readyState !== WebSocket.OPEN) return;
    this.ws.send(video === "screen" ? '{"type":"keyframe","video":"screen"}' : '{"type":"keyframe"}');
  }

  close(): void {
    this.closed = true;
    this.ws.close();
  }
}
