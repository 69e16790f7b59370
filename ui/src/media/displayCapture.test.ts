import { describe, expect, it } from "vitest";
import { displayErrorMessage } from "./displayCapture";
import { screenSize } from "./screenSender";

const failure = (name: string) => Object.assign(new Error("x"), { name });

describe("screen sharing", () => {
  it("says in words why the system would not share", () => {
    expect(displayErrorMessage(failure("NotAllowedError"))).toMatch(/not allowed/);
    // WebKitGTK without a portal answers OverconstrainedError; others NotFound or NotReadable.
    for (const name of ["OverconstrainedError", "NotFoundError", "NotReadableError"]) {
      expect(displayErrorMessage(failure(name))).toMatch(/desktop portal/);
    }
    expect(displayErrorMessage(failure("InvalidStateError"))).toMatch(/click/);
    expect(displayErrorMessage(failure("SomethingNew"))).toMatch(/Could not share the screen/);
  });

  it("sends the screen at its size up to 1920x1080, aspect kept", () => {
    expect(screenSize(1280, 720)).toEqual({ width: 1280, height: 720 });
    expect(screenSize(1920, 1080)).toEqual({ width: 1920, height: 1080 });
    expect(screenSize(3840, 2160)).toEqual({ width: 1920, height: 1080 });
    expect(screenSize(2560, 1600)).toEqual({ width: 1728, height: 1080 });
    expect(screenSize(1001, 601)).toEqual({ width: 1002, height: 602 });
  });
});
