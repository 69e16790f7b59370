// The web client's call report (the contract's `callReport`), from the
// browser's own getStats() as the W3C WebRTC stats define them: the same
// figures the desktop engine computes from its stats (machine/report.rs).
// Chromium counts freezes by the same rule the engine does (a frame
// interval over max(3× the average, average + 150 ms)).

import type { CallReport, CallState, CandidateType, EndReason } from "../generated/types";
import { version } from "../../package.json";

/** The E-model's mean opinion score, as the engine's `quality::mos`. */
export function mos(rttMs: number, jitterMs: number, lossPercent: number): number {
  const latency = rttMs / 2 + 2 * jitterMs + 10;
  const delayImpairment = latency < 160 ? latency / 40 : (latency - 120) / 10;
  const r = Math.min(100, Math.max(0, 93.2 - delayImpairment - 2.5 * lossPercent));
  const score = 1 + 0.035 * r + 7e-6 * r * (r - 60) * (100 - r);
  return Math.round(Math.min(5, Math.max(1, score)) * 100) / 100;
}

/** The nearest-rank percentile, as the engine's. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1];
}

/** Cumulative counters as the last reading had them. */
interface Totals {
  framesSent: number;
  framesReceived: number;
  freezes: number;
  freezeSeconds: number;
  audioSent: number;
  audioReceived: number;
  concealedSeconds: number;
  packetsReceived: number;
  packetsLost: number;
  bytesSent: number;
  bytesReceived: number;
}

const ZERO: Totals = { framesSent: 0, framesReceived: 0, freezes: 0, freezeSeconds: 0, audioSent: 0, audioReceived: 0, concealedSeconds: 0, packetsReceived: 0, packetsLost: 0, bytesSent: 0, bytesReceived: 0 };

/** One reading of a peer connection's stats, cameras apart from screens. */
export function readTotals(stats: RTCStatsReport, screenMids: (string | null)[]): { totals: Totals; rttMs: number | null; jitterMs: number | null; candidateType: CandidateType | null } {
  const t = { ...ZERO };
  let rttMs: number | null = null;
  let jitterMs: number | null = null;
  let candidateType: CandidateType | null = null;
  const isScreen = (mid: unknown) => typeof mid === "string" && screenMids.includes(mid);
  stats.forEach((s) => {
    switch (s.type) {
      case "candidate-pair":
        if (!(s.nominated && s.state === "succeeded")) break;
        if (typeof s.currentRoundTripTime === "number") rttMs = s.currentRoundTripTime * 1000;
        candidateType = (stats.get(s.localCandidateId)?.candidateType as CandidateType | undefined) ?? candidateType;
        break;
      case "inbound-rtp":
        t.packetsReceived += s.packetsReceived ?? 0;
        t.packetsLost += Math.max(0, s.packetsLost ?? 0);
        t.bytesReceived += s.bytesReceived ?? 0;
        if (s.kind === "video" && !isScreen(s.mid)) {
          t.framesReceived += s.framesDecoded ?? 0;
          t.freezes += s.freezeCount ?? 0;
          t.freezeSeconds += s.totalFreezesDuration ?? 0;
        } else if (s.kind === "audio") {
          t.audioReceived += s.packetsReceived ?? 0;
          if ((s.clockRate ?? 0) > 0) t.concealedSeconds += (s.concealedSamples ?? 0) / s.clockRate;
          if (typeof s.jitter === "number") jitterMs = s.jitter * 1000;
        }
        break;
      case "outbound-rtp":
        t.bytesSent += s.bytesSent ?? 0;
        if (s.kind === "video" && !isScreen(s.mid)) t.framesSent += s.framesEncoded ?? 0;
        else if (s.kind === "audio") t.audioSent += s.packetsSent ?? 0;
        break;
    }
  });
  return { totals: t, rttMs, jitterMs, candidateType };
}

function add(a: Totals, b: Totals): Totals {
  const out = { ...a };
  for (const k of Object.keys(out) as (keyof Totals)[]) out[k] += b[k];
  return out;
}

/** Builds one call's report as it goes: join, states, stats, shares. */
export class WebReportMeter {
  private readonly joinedAt = new Date();
  private peerId = "";
  private connectedAt: Date | null = null;
  private connectedMs = 0;
  private connectedSince: number | null = null;
  private wasConnected = false;
  private reconnects = 0;
  private rtts: number[] = [];
  private jitters: number[] = [];
  private candidateType: CandidateType | null = null;
  /** Totals of peer connections already closed (a partner who came back). */
  private closed = { ...ZERO };
  private current = { ...ZERO };
  private screenSince: number | null = null;
  private screenMs = 0;

  joined(peerId: string) {
    this.peerId = peerId;
  }

  state(next: CallState, now = Date.now()) {
    if (next === "connected") {
      this.connectedAt ??= new Date(now);
      if (this.wasConnected && this.connectedSince === null) this.reconnects += 1;
      this.wasConnected = true;
      this.connectedSince ??= now;
    } else if (this.connectedSince !== null) {
      this.connectedMs += now - this.connectedSince;
      this.connectedSince = null;
    }
  }

  /** A reading of the live peer connection's stats. */
  sample(stats: RTCStatsReport, screenMids: (string | null)[]) {
    const read = readTotals(stats, screenMids);
    this.current = read.totals;
    if (read.rttMs !== null) this.rtts.push(read.rttMs);
    if (read.jitterMs !== null) this.jitters.push(read.jitterMs);
    if (read.candidateType) this.candidateType = read.candidateType;
  }

  /** The peer connection closed (the partner left): its totals stay. */
  peerClosed() {
    this.closed = add(this.closed, this.current);
    this.current = { ...ZERO };
  }

  screen(sharing: boolean, now = Date.now()) {
    if (sharing) this.screenSince ??= now;
    else if (this.screenSince !== null) {
      this.screenMs += now - this.screenSince;
      this.screenSince = null;
    }
  }

  /** The report, or null when the room never gave us a peer id. */
  finish(endReason: EndReason, now = Date.now()): CallReport | null {
    if (!this.peerId) return null;
    this.state("ended", now);
    this.screen(false, now);
    const t = add(this.closed, this.current);
    // At least a second: a call connected for an instant has no bitrate to speak of.
    const seconds = Math.max(1, this.connectedMs / 1000);
    const lossPercent = t.packetsReceived + t.packetsLost > 0 ? (100 * t.packetsLost) / (t.packetsReceived + t.packetsLost) : 0;
    const rtt50 = percentile(this.rtts, 50);
    // The median second, as the engine's.
    const jitter = percentile(this.jitters, 50);
    const connected = this.connectedAt !== null;
    const round = (v: number, places = 2) => Math.round(v * 10 ** places) / 10 ** places;
    return {
      peerId: this.peerId,
      client: "web",
      clientVersion: version,
      joinedAt: this.joinedAt.toISOString(),
      connectedAt: this.connectedAt?.toISOString(),
      endedAt: new Date(Math.max(now, this.joinedAt.getTime())).toISOString(),
      endReason,
      candidateType: connected ? this.candidateType : null,
      reconnects: this.reconnects,
      rttMs: { p50: round(rtt50, 1), p95: round(percentile(this.rtts, 95), 1) },
      lossPercent: round(lossPercent),
      jitterMs: round(jitter, 1),
      video: {
        framesSent: t.framesSent,
        framesReceived: t.framesReceived,
        freezes: t.freezes,
        freezeSeconds: round(Math.min(t.freezeSeconds, seconds)),
        kbpsSent: connected ? round((t.bytesSent * 8) / 1000 / seconds, 1) : 0,
        kbpsReceived: connected ? round((t.bytesReceived * 8) / 1000 / seconds, 1) : 0,
      },
      audio: { packetsSent: t.audioSent, packetsReceived: t.audioReceived, concealedSeconds: round(Math.min(t.concealedSeconds, seconds)) },
      mos: connected && this.rtts.length > 0 ? mos(rtt50, jitter, lossPercent) : undefined,
      screenShareSeconds: round(this.screenMs / 1000, 1),
      recorded: false,
    };
  }
}
