// The browser's getStats() turned into the figures the call screen shows
// (the same `CallStats` the desktop engine reports): round trip, loss in
// the last second, bitrates both ways, frames.

import type { CallStats } from "../generated/types";

/** Cumulative counters from the last reading, for per-second deltas. */
export interface Counters {
  at: number;
  bytesIn: number;
  bytesOut: number;
  packetsIn: number;
  packetsLost: number;
}

type Figures = Omit<CallStats, "state">;

/** The mids of the two screen shares, to tell their frames from the cameras'. */
export interface ScreenMids {
  ours: string | null;
  partners: string | null;
}

export async function inboundStats(pc: RTCPeerConnection, before: Counters | null, screens: ScreenMids = { ours: null, partners: null }): Promise<{ stats: Figures; counters: Counters; raw: RTCStatsReport }> {
  const report = await pc.getStats();
  let rttMs: number | null = null;
  let jitterMs: number | null = null;
  const now: Counters = { at: performance.now(), bytesIn: 0, bytesOut: 0, packetsIn: 0, packetsLost: 0 };
  let videoFramesIn = 0;
  let audioFramesIn = 0;
  let videoFramesOut = 0;
  let audioFramesOut = 0;
  let screenFramesIn = 0;
  let screenFramesOut = 0;
  let framesInDropped = 0;
  let keyframesRequestedOfUs = 0;
  let keyframesRequestedByUs = 0;
  let targetBitrateKbps: number | null = null;
  report.forEach((s) => {
    switch (s.type) {
      case "candidate-pair":
        if (s.nominated && s.state === "succeeded" && typeof s.currentRoundTripTime === "number") rttMs = s.currentRoundTripTime * 1000;
        if (s.nominated && typeof s.availableOutgoingBitrate === "number") targetBitrateKbps = s.availableOutgoingBitrate / 1000;
        break;
      case "inbound-rtp":
        now.bytesIn += s.bytesReceived ?? 0;
        now.packetsIn += s.packetsReceived ?? 0;
        now.packetsLost += Math.max(0, s.packetsLost ?? 0);
        if (s.kind === "video" && screens.partners !== null && s.mid === screens.partners) {
          screenFramesIn += s.framesDecoded ?? 0;
        } else if (s.kind === "video") {
          videoFramesIn += s.framesDecoded ?? 0;
          framesInDropped += s.framesDropped ?? 0;
          keyframesRequestedByUs += s.pliCount ?? 0;
        } else {
          audioFramesIn += s.packetsReceived ?? 0;
          if (typeof s.jitter === "number") jitterMs = s.jitter * 1000;
        }
        break;
      case "outbound-rtp":
        now.bytesOut += s.bytesSent ?? 0;
        if (s.kind === "video" && screens.ours !== null && s.mid === screens.ours) {
          screenFramesOut += s.framesEncoded ?? 0;
        } else if (s.kind === "video") {
          videoFramesOut += s.framesEncoded ?? 0;
          keyframesRequestedOfUs += s.pliCount ?? 0;
        } else audioFramesOut += s.packetsSent ?? 0;
        break;
    }
  });
  const seconds = before ? Math.max(0.001, (now.at - before.at) / 1000) : 1;
  const packets = before ? now.packetsIn - before.packetsIn : 0;
  const lost = before ? now.packetsLost - before.packetsLost : 0;
  return {
    raw: report,
    counters: now,
    stats: {
      rttMs,
      jitterMs,
      loss: packets + lost > 0 ? Math.max(0, lost) / (packets + lost) : 0,
      bitrateInKbps: before ? ((now.bytesIn - before.bytesIn) * 8) / 1000 / seconds : 0,
      bitrateOutKbps: before ? ((now.bytesOut - before.bytesOut) * 8) / 1000 / seconds : 0,
      targetBitrateKbps,
      videoFramesIn,
      audioFramesIn,
      videoFramesOut,
      audioFramesOut,
      screenFramesIn,
      screenFramesOut,
      framesInDropped,
      framesOutDropped: 0,
      // A browser's encoder drops frames itself; getStats does not
      // count them apart from the rest.
      framesOutShed: 0,
      packetsInLost: now.packetsLost,
      keyframesRequestedByUs,
      keyframesRequestedOfUs,
    },
  };
}
