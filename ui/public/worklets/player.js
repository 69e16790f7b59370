// The partner's decoded audio, played through a small jitter buffer: start
// once 60 ms are queued; past 200 ms, drop the oldest to stay current;
// silence on underrun (and wait for 60 ms again).
const START = 0.06;
const MAX = 0.2;

class PlayerProcessor extends AudioWorkletProcessor {
  constructor() {
    super();
    this.queue = [];
    this.queued = 0;
    this.offset = 0;
    this.playing = false;
    this.underruns = 0;
    this.ended = false;
    this.port.onmessage = (e) => {
      // null: the call is over, and this processor with it.
      if (e.data === null) {
        this.ended = true;
        return;
      }
      this.queue.push(e.data);
      this.queued += e.data.length;
      while (this.queued - this.offset > MAX * sampleRate && this.queue.length > 1) {
        const dropped = this.queue.shift();
        this.queued -= dropped.length;
        this.offset = 0;
      }
    };
  }
  process(_inputs, outputs) {
    const out = outputs[0][0];
    if (!this.playing && this.queued - this.offset >= START * sampleRate) this.playing = true;
    let i = 0;
    while (this.playing && i < out.length && this.queue.length > 0) {
      const head = this.queue[0];
      const n = Math.min(out.length - i, head.length - this.offset);
      out.set(head.subarray(this.offset, this.offset + n), i);
      i += n;
      this.offset += n;
      if (this.offset === head.length) {
        this.queue.shift();
        this.queued -= head.length;
        this.offset = 0;
      }
    }
    if (i < out.length) {
      out.fill(0, i);
      if (this.playing) {
        this.playing = false;
        this.underruns += 1;
      }
    }
    for (let c = 1; c < outputs[0].length; c++) outputs[0][c].set(out);
    return !this.ended;
  }
}
registerProcessor("mentorlive-player", PlayerProcessor);
