import { afterEach, describe, expect, it, vi } from "vitest";
import { captureErrorMessage, missingDevicesNote, openCapture } from "./devices";

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

  it("with no device at all, gives a stream without tracks to join with", async () => {
    class FakeStream {
      getVideoTracks = () => [];
      getAudioTracks = () => [];
    }
    vi.stubGlobal("MediaStream", FakeStream);
    devices([], overconstrained);
    const stream = await openCapture(choice);
    expect(stream).toBeInstanceOf(FakeStream);
    expect(missingDevicesNote(stream, "Leo")).toBe("No camera or microphone was found. You can still join: you will see and hear Leo, and Leo will see that you have no camera or microphone.");
    vi.unstubAllGlobals();
  });

  it("says what the partner will miss", () => {
    const stream = (video: number, audio: number) => ({ getVideoTracks: () => Array(video), getAudioTracks: () => Array(audio) }) as unknown as MediaStream;
    expect(missingDevicesNote(stream(1, 1), "Leo")).toBeNull();
    expect(missingDevicesNote(stream(0, 1), "Leo")).toMatch(/Leo will hear you but not see you/);
    expect(missingDevicesNote(stream(1, 0), "Leo")).toMatch(/Leo will see you but not hear you/);
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
