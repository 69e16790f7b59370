// What of congestion control's target the camera's encoder may use. The
// target is for everything we send: the sound and every packet's headers
// take their share first. Video at the whole target overfilled a narrow link
// by the sound and kept its buffer full (docs/reliability.md, narrow links).

/** Opus at 32 kbit/s and its packets' headers (RTP, SRTP, UDP, IP), 50 a second. */
export const AUDIO_BPS = 48_000;
/** The share of video's bits that headers take, at ~1,100-byte packets. */
export const PACKET_OVERHEAD = 0.1;
/** Below this VP8 at 640x480 is only blocks: the encoder is held here. */
export const MIN_VIDEO_BPS = 60_000;
export const MAX_VIDEO_BPS = 2_500_000;

export function videoBitrateFor(targetBps: number): number {
  const budget = targetBps * (1 - PACKET_OVERHEAD) - AUDIO_BPS;
  return Math.round(Math.max(MIN_VIDEO_BPS, Math.min(MAX_VIDEO_BPS, budget)));
}
