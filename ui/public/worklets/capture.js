// Microphone → 20 ms frames of float samples (mono), posted to the page,
// which wraps them in AudioData for the Opus encoder.
class CaptureProcessor extends AudioWorkletProcessor {
  constructor() {
    super();
    this.frame = new Float32Array(sampleRate / 50);
    this.filled = 0;
    this.ended = false;
    // null: the call is over, and this processor with it.
    this.port.onmessage = (e) => {
      if (e.data === null) this.ended = true;
    };
  }
  process(inputs) {
    if (this.ended) return false;
    const channel = inputs[0]?.[0];
    if (!channel) return true;
    let offset = 0;
    while (offset < channel.length) {
      const n = Math.min(channel.length - offset, this.frame.length - this.filled);
      this.frame.set(channel.subarray(offset, offset + n), this.filled);
      this.filled += n;
      offset += n;
      if (this.filled === this.frame.length) {
        this.port.postMessage(this.frame, [this.frame.buffer]);
        this.frame = new Float32Array(sampleRate / 50);
        this.filled = 0;
      }
    }
    return true;
  }
}
registerProcessor("mentorlive-capture", CaptureProcessor);
