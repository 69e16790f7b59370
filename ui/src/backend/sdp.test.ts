import { describe, expect, it } from "vitest";
import { dtlsFingerprint, isNewConnection } from "./sdp";

const offer = (fingerprint: string) =>
  `v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=ice-ufrag:abcd\r\na=fingerprint:sha-256 ${fingerprint}\r\na=setup:actpass\r\n`;

describe("a partner's new connection", () => {
  it("reads the certificate's fingerprint from a description", () => {
    expect(dtlsFingerprint(offer("AA:BB"))).toBe("sha-256 AA:BB");
    expect(dtlsFingerprint("v=0\r\n")).toBeNull();
    expect(dtlsFingerprint(undefined)).toBeNull();
  });

  it("is an offer with another certificate, not a renegotiation or the first offer", () => {
    expect(isNewConnection(offer("AA:BB"), offer("CC:DD"))).toBe(true);
    expect(isNewConnection(offer("AA:BB"), offer("AA:BB"))).toBe(false);
    expect(isNewConnection(undefined, offer("AA:BB"))).toBe(false);
  });
});
