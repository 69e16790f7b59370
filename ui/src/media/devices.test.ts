import { afterEach, describe, expect, it, vi } from "vitest";
import { captureErrorMessage, openCapture } from "./devices";

const choice = { cameraId: null, microphoneId: null, speakerId: null };

function devices(kinds: MediaDeviceKind[], getUserMedia: (c: MediaStreamConstraints) => Promise<MediaStream>) {
  Object.defineProperty(navigator, "mediaDevices", {
    configurable: true,
    value: {
      getUserMedia: vi.fn(getUserMedia),
      enumerateDevices: vi.fn(async () => kinds.map((kind, i) => ({ kind, deviceId: `d${i}`, label: "", groupId: "" }))),
    },
  });
  return navigator.mediaDevices as unknown as { getUserMedia: ReturnType<typeof vi.fn> };
}

const overconstrained = () => Promise.reject(new DOMException("", "OverconstrainedError"));

describe("opening the camera and microphone", () => {
  afterEach(() => {
    Reflect.deleteProperty(navigator, "mediaDevices");
  });

  it("says no device was found when there is none, not that a chosen one went away", async () => {
    devices([], overconstrained);
    const err = await openCapture(choice).catch((e) => e);
    expect(captureErrorMessage(err)).toMatch(/No camera or microphone was found/);
  });

  it("joins with the microphone alone when there is no camera", async () => {
    const stream = {} as MediaStream;
    const media = devices(["audioinput"], (c) => (c.video ? overconstrained() : Promise.resolve(stream)));
    await expect(openCapture(choice)).resolves.toBe(stream);
    expect(media.getUserMedia).toHaveBeenLastCalledWith({ audio: expect.any(Object) });
  });

  it("keeps the chosen-device message when devices exist", async () => {
    devices(["videoinput", "audioinput"], overconstrained);
    const err = await openCapture({ ...choice, cameraId: "gone" }).catch((e) => e);
    expect(captureErrorMessage(err)).toMatch(/no longer available/);
  });
});
