import { describe, expect, it } from "vitest";
import { mos, WebReportMeter } from "./webReport";

/** A stats report as Chromium's getStats() gives it: a map of entries. */
function stats(entries: Record<string, unknown>[]): RTCStatsReport {
  return new Map(entries.map((e) => [e.id as string, e])) as unknown as RTCStatsReport;
}

const reading = (framesDecoded: number, rtt: number) =>
  stats([
    { id: "L1", type: "local-candidate", candidateType: "relay" },
    { id: "P1", type: "candidate-pair", nominated: true, state: "succeeded", currentRoundTripTime: rtt, localCandidateId: "L1" },
    { id: "IV", type: "inbound-rtp", kind: "video", mid: "1", framesDecoded, freezeCount: 1, totalFreezesDuration: 0.4, packetsReceived: 900, packetsLost: 10, bytesReceived: 1_000_000 },
    { id: "IS", type: "inbound-rtp", kind: "video", mid: "2", framesDecoded: 500, packetsReceived: 100, packetsLost: 0, bytesReceived: 10_000 },
    { id: "IA", type: "inbound-rtp", kind: "audio", mid: "0", packetsReceived: 3000, packetsLost: 0, concealedSamples: 4800, clockRate: 48000, jitter: 0.004, bytesReceived: 100_000 },
    { id: "OV", type: "outbound-rtp", kind: "video", mid: "1", framesEncoded: 1800, bytesSent: 900_000 },
    { id: "OA", type: "outbound-rtp", kind: "audio", mid: "0", packetsSent: 3000, bytesSent: 100_000 },
  ]);

describe("the web client's call report", () => {
  it("scores as the engine's E-model does", () => {
    // The engine's own figures for the same inputs (quality.rs).
    expect([mos(2, 1, 0), mos(300, 20, 0), mos(40, 10, 10)]).toEqual([4.4, 4.2, 3.45]);
  });

  it("holds the call's figures, the partner's screen kept apart from their camera", () => {
    const meter = new WebReportMeter();
    const t0 = Date.now();
    meter.joined("peer-web");
    meter.state("waiting_for_peer", t0);
    meter.state("connected", t0 + 800);
    meter.sample(reading(1700, 0.02), [null, "2"]);
    meter.state("reconnecting", t0 + 30_000);
    meter.state("connected", t0 + 31_000);
    meter.sample(reading(1790, 0.04), [null, "2"]);
    meter.screen(true, t0 + 40_000);
    meter.screen(false, t0 + 50_000);
    const report = meter.finish("partner_left", t0 + 61_800)!;
    expect(report.peerId).toBe("peer-web");
    expect(report.client).toBe("web");
    expect(Date.parse(report.connectedAt!) - Date.parse(report.joinedAt)).toBeGreaterThanOrEqual(0);
    expect(report.candidateType).toBe("relay");
    expect(report.reconnects).toBe(1);
    expect(report.rttMs).toEqual({ p50: 20, p95: 40 });
    expect(report.video.framesReceived).toBe(1790);
    expect(report.video.framesSent).toBe(1800);
    expect(report.video.freezes).toBe(1);
    expect(report.audio.concealedSeconds).toBe(0.1);
    expect(report.lossPercent).toBeCloseTo((100 * 10) / 4010, 2);
    expect(report.screenShareSeconds).toBe(10);
    expect(report.endReason).toBe("partner_left");
    expect(report.mos).toBeGreaterThan(4);
  });

  it("has no report without a peer id, and no connection figures for a call that never connected", () => {
    expect(new WebReportMeter().finish("error")).toBeNull();
    const meter = new WebReportMeter();
    meter.joined("p");
    const report = meter.finish("hangup")!;
    expect(report.connectedAt).toBeUndefined();
    expect(report.candidateType).toBeNull();
    expect(report.mos).toBeUndefined();
  });
});
