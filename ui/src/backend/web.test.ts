import { describe, expect, it } from "vitest";
import { pageInAddress } from "./web";
import { platformName } from "../screens/Downloads";

describe("the web client's addresses", () => {
  it("opens the invitation for /join/CODE, forgiving as codes are", () => {
    expect(pageInAddress("/join/ABCDEFGH")).toEqual({ name: "invitation", code: "ABCDEFGH" });
    expect(pageInAddress("/join/abcd-efgh/")).toEqual({ name: "invitation", code: "ABCDEFGH" });
    expect(pageInAddress("/downloads")).toEqual({ name: "downloads" });
  });
  it("says so when an invitation is broken, and ignores other addresses", () => {
    for (const broken of ["/join/ABCDEFG0", "/join/ABC", "/join/%E0%A4%A"]) {
      expect(pageInAddress(broken)).toMatchObject({ name: "refused" });
    }
    for (const other of ["/", "/sessions", "/join", "/join/A/B"]) expect(pageInAddress(other)).toBeNull();
  });
});

describe("the downloads page", () => {
  it("names platforms in words", () => {
    expect(platformName("linux-x86_64-deb")).toBe("Linux Debian/Ubuntu (.deb) (x86_64)");
    expect(platformName("darwin-aarch64")).toBe("macOS (aarch64)");
  });
});
