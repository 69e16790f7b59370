// Plays a recording in the app: every video track on a canvas of its own
// (both people side by side, the screen share large when there was one),
// both voices through the speakers, in sync on the audio clock. The
// decoding is the export's (mediabunny's canvas sinks, our own Opus
// decoders); only the clock differs.

import { ALL_FORMATS, CanvasSink, CustomSource, Input, type InputAudioTrack, type WrappedCanvas } from "mediabunny";
import { exposeForTests } from "../testHooks";
import { role, SAMPLE_RATE, Voice } from "./tracks";

export interface PlayerSource {
  size: number;
  read(start: number, end: number): Promise<Uint8Array>;
}

export interface PlayerTile {
  person: string;
  kind: string;
  canvas: HTMLCanvasElement;
}

/** Audio is decoded this far ahead of the clock. */
const AUDIO_AHEAD_S = 1;

type TileState = { sink: CanvasSink; tile: PlayerTile; frames: AsyncGenerator<WrappedCanvas, void, unknown> | null; next: WrappedCanvas | null; busy: boolean; drawn: number };

export class RecordingPlayer {
  readonly tiles: PlayerTile[];
  private states: TileState[];
  private audio = new AudioContext({ sampleRate: SAMPLE_RATE });
  private voices: Voice[] = [];
  private sources = new Set<AudioBufferSourceNode>();
  /** The audio clock's time at the recording's 0 s. */
  private origin = 0;
  private scheduledTo = 0;
  private frame = 0;
  private timer = 0;
  private playing = false;
  private generation = 0;
  private audioScheduled = 0;

  private constructor(
    private input: Input,
    readonly duration: number,
    sinks: { sink: CanvasSink; tile: PlayerTile }[],
    private audioTracks: InputAudioTrack[],
    private onTime: (t: number, playing: boolean) => void,
  ) {
    this.states = sinks.map(({ sink, tile }) => ({ sink, tile, frames: null, next: null, busy: false, drawn: 0 }));
    this.tiles = sinks.map((s) => s.tile);
    void this.audio.suspend();
  }

  static async open(source: PlayerSource, onTime: (t: number, playing: boolean) => void): Promise<RecordingPlayer> {
    const input = new Input({ formats: ALL_FORMATS, source: new CustomSource({ getSize: () => source.size, read: (a, b) => source.read(a, b), prefetchProfile: "fileSystem" }) });
    const duration = await input.computeDuration();
    const videos = await input.getVideoTracks();
    const sinks = await Promise.all(
      videos.map(async (track) => ({ sink: new CanvasSink(track, { poolSize: 3 }), tile: { ...role(await track.getName()), canvas: document.createElement("canvas") } })),
    );
    // Screens first: they are shown large.
    sinks.sort((a, b) => Number(b.tile.kind === "screen") - Number(a.tile.kind === "screen"));
    const player = new RecordingPlayer(input, duration, sinks, await input.getAudioTracks(), onTime);
    await player.seek(0);
    exposeForTests("mentorlivePlayer", player);
    return player;
  }

  get currentTime(): number {
    return Math.max(0, Math.min(this.duration, this.audio.currentTime - this.origin));
  }

  /** Frames painted per tile and audio buffers scheduled (tests). */
  get stats() {
    return { drawn: this.states.map((s) => s.drawn), audioScheduled: this.audioScheduled, time: this.currentTime, playing: this.playing };
  }

  async play() {
    if (this.currentTime >= this.duration - 0.05) await this.seek(0);
    this.playing = true;
    await this.audio.resume();
    this.loop();
    this.timer = window.setInterval(() => void this.feedAudio(), 200);
    void this.feedAudio();
  }

  async pause() {
    this.playing = false;
    await this.audio.suspend();
    window.clearInterval(this.timer);
    cancelAnimationFrame(this.frame);
    this.onTime(this.currentTime, false);
  }

  /** Goes to `t` seconds; playing goes on from there. */
  async seek(t: number) {
    this.generation++;
    this.sources.forEach((s) => s.stop());
    this.sources.clear();
    this.voices.forEach((v) => v.close());
    this.voices = this.audioTracks.map((a) => new Voice(a, t));
    this.origin = this.audio.currentTime - t;
    this.scheduledTo = t;
    for (const s of this.states) {
      void s.frames?.return();
      s.frames = s.sink.canvases(t);
      s.next = null;
      s.busy = false;
      // The picture at `t` at once, playing or not.
      const first = await s.sink.getCanvas(t);
      if (first) this.paint(s, first);
    }
    this.onTime(t, this.playing);
  }

  private paint(s: TileState, frame: WrappedCanvas) {
    const { canvas } = s.tile;
    if (canvas.width !== frame.canvas.width || canvas.height !== frame.canvas.height) {
      canvas.width = frame.canvas.width;
      canvas.height = frame.canvas.height;
    }
    canvas.getContext("2d")?.drawImage(frame.canvas, 0, 0);
    s.drawn++;
  }

  private loop = () => {
    if (!this.playing) return;
    const t = this.currentTime;
    for (const s of this.states) {
      if (s.next && s.next.timestamp <= t) {
        this.paint(s, s.next);
        s.next = null;
      }
      if (!s.next && !s.busy && s.frames) {
        s.busy = true;
        const generation = this.generation;
        void s.frames.next().then((r) => {
          if (generation !== this.generation) return;
          s.busy = false;
          s.next = r.done ? null : r.value;
          if (r.done) s.frames = null;
        });
      }
    }
    this.onTime(t, true);
    if (t >= this.duration) {
      void this.pause();
      return;
    }
    this.frame = requestAnimationFrame(this.loop);
  };

  private async feedAudio() {
    const generation = this.generation;
    const to = this.currentTime + AUDIO_AHEAD_S;
    if (to <= this.scheduledTo) return;
    this.scheduledTo = to;
    for (const voice of this.voices) {
      for (const data of await voice.until(to)) {
        if (generation !== this.generation) return data.close();
        const buffer = new AudioBuffer({ length: data.numberOfFrames, numberOfChannels: 1, sampleRate: data.sampleRate });
        const samples = new Float32Array(data.numberOfFrames);
        data.copyTo(samples, { planeIndex: 0, format: "f32-planar" });
        const at = this.origin + data.timestamp / 1e6;
        data.close();
        buffer.copyToChannel(samples, 0);
        if (at + buffer.duration < this.audio.currentTime) continue;
        const node = new AudioBufferSourceNode(this.audio, { buffer });
        node.connect(this.audio.destination);
        node.onended = () => this.sources.delete(node);
        node.start(Math.max(at, this.audio.currentTime), Math.max(0, this.audio.currentTime - at));
        this.sources.add(node);
        this.audioScheduled++;
      }
    }
  }

  close() {
    this.playing = false;
    this.generation++;
    window.clearInterval(this.timer);
    cancelAnimationFrame(this.frame);
    this.sources.forEach((s) => s.stop());
    this.voices.forEach((v) => v.close());
    void this.audio.close();
    this.input.dispose();
    exposeForTests("mentorlivePlayer", null);
  }
}
