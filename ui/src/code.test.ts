import { describe, expect, it } from "vitest";
import { checkCode, codeErrorMessage, countdown, grouped, inviteUrl } from "./code";

describe("checkCode", () => {
  it("forgives case, spaces and one middle hyphen", () => {
    for (const input of ["ABCDEFGH", "abcdefgh", "  abcd-efgh ", "AbCd-EfGh"]) {
      expect(checkCode(input)).toEqual({ ok: true, code: "ABCDEFGH" });
    }
  });
  it("says incomplete while typing and malformed for wrong letters", () => {
    expect(checkCode("")).toEqual({ ok: false, reason: "empty" });
    expect(checkCode("ABCD")).toEqual({ ok: false, reason: "incomplete" });
    expect(checkCode("ABCD-EFG")).toEqual({ ok: false, reason: "malformed" });
    for (const bad of ["ABCDEFG0", "ABCDEFGO", "ABCDEFG1", "ABCDEFGI", "ABCDEFGL", "AB-CDEFGH", "ABCDEFGHJ", "ABCD EFGH"]) {
      expect(checkCode(bad)).toEqual({ ok: false, reason: "malformed" });
    }
  });
});

describe("pasted invitations", () => {
  it("takes the code out of the platform's page and the app's link", () => {
    for (const link of ["https://live.example.org/join/ABCDEFGH", "http://127.0.0.1:8787/join/abcd-efgh", " https://live.example.org/join/ABCDEFGH/ ", "mentorlive://join/ABCD-EFGH"]) {
      expect(checkCode(link)).toEqual({ ok: true, code: "ABCDEFGH" });
    }
  });
  it("refuses links that are not exactly an invitation", () => {
    for (const link of ["https://x.org/join/ABCDEFGH?next=/", "https://x.org/join/ABCDEFGH#a", "https://x.org/ABCDEFGH", "https://x.org/join/ABCDEFG0", "mentorlive://leave/ABCDEFGH", "https://x.org/join/A/B"]) {
      expect(checkCode(link)).toEqual({ ok: false, reason: "malformed" });
    }
  });
  it("makes the invitation from the server's address", () => {
    expect(inviteUrl("https://live.example.org/", "ABCDEFGH")).toBe("https://live.example.org/join/ABCDEFGH");
  });
});

describe("display", () => {
  it("groups a code in fours", () => expect(grouped("ABCDEFGH")).toBe("ABCD EFGH"));
  it("counts down to expiry", () => {
    const now = Date.parse("2026-01-01T10:00:00Z");
    expect(countdown("2026-01-01T10:59:05Z", now)).toBe("59:05");
    expect(countdown("2026-01-01T09:00:00Z", now)).toBe("expired");
  });
  it("explains contract errors in words", () => {
    expect(codeErrorMessage("not_participant", "x")).toMatch(/only its mentor and learner/);
    expect(codeErrorMessage("expired_code", "expired at 14:05 UTC")).toMatch(/expired at 14:05 UTC/);
  });
});
