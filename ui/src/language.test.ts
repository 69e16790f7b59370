import { describe, expect, it, vi } from "vitest";

describe("the page's language", () => {
  it("is a tag Intl accepts even when the system's locale is C", async () => {
    vi.spyOn(navigator, "language", "get").mockReturnValue("C");
    expect(() => new Intl.NumberFormat(navigator.language)).toThrow(RangeError);
    await import("./language");
    expect(() => new Intl.NumberFormat(navigator.language)).not.toThrow();
    expect(navigator.languages).toEqual([navigator.language]);
  });
});
