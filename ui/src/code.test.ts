import { describe, expect, it } from "vitest";
import { checkCode, codeErrorMessage, countdown, grouped } from "./code";

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
