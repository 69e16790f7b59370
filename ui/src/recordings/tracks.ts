// A recording's tracks as the webview reads them: what each track is (from
// the names the recorder gives them) and each voice decoded. Shared by the
// export and the player.

import { EncodedPacketSink, type EncodedPacket, type InputAudioTrack } from "mediabunny";

export const SAMPLE_RATE = 48_000;

/** What a track is, from the names the recorder gives ("Ana: camera"). */
export function role(name: string | null): { person: string; kind: string } {
  const text = name ?? "";
  const at = text.lastIndexOf(": ");
  return at < 0 ? { person: text, kind: "" } : { person: text.slice(0, at), kind: text.slice(at + 2) };
}

/** One voice: its Opus packets, decoded by an AudioDecoder configured as
 *  the call's receiver configures it (WebKitGTK's decoder crashes its web
 *  process when given the Opus header as a description, as mediabunny's
 *  own audio sink does). */
export class Voice {
  private packets: EncodedPacketSink;
  private next: EncodedPacket | null | undefined;
  private decoded: AudioData[] = [];
  private decoder: AudioDecoder;

  /** From `from` seconds (the start by default). */
  constructor(track: InputAudioTrack, private from = 0) {
    this.packets = new EncodedPacketSink(track);
    this.decoder = new AudioDecoder({ output: (d) => this.decoded.push(d), error: () => {} });
    this.decoder.configure({ codec: "opus", sampleRate: SAMPLE_RATE, numberOfChannels: 1 });
  }

  /** The decoded sound of every packet that starts before `to`. */
  async until(to: number): Promise<AudioData[]> {
    if (this.next === undefined) this.next = this.from > 0 ? await this.packets.getPacket(this.from) : await this.packets.getFirstPacket();
    while (this.next && this.next.timestamp < to) {
      this.decoder.decode(this.next.toEncodedAudioChunk());
      this.next = await this.packets.getNextPacket(this.next);
    }
    await this.decoder.flush();
    return this.decoded.splice(0);
  }

  close() {
    if (this.decoder.state !== "closed") this.decoder.close();
  }
}

