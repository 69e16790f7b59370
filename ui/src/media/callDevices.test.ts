import { afterEach, describe, expect, it, vi } from "vitest";
import { newDevices, repairStream, switchDevice } from "./callDevices";

type Track = { kind: "video" | "audio"; id: string; readyState: "live" | "ended"; stop: () => void; getSettings: () => { deviceId: string } };

function track(kind: "video" | "audio", deviceId: string, readyState: "live" | "ended" = "live"): Track {
  const t: Track = { kind, id: `${kind}-${deviceId}`, readyState, stop: vi.fn(() => (t.readyState = "ended")), getSettings: () => ({ deviceId }) };
  return t;
}

class FakeStream {
  constructor(private tracks: Track[] = []) {}
  getVideoTracks = () => this.tracks.filter((t) => t.kind === "video");
  getAudioTracks = () => this.tracks.filter((t) => t.kind === "audio");
  getTracks = () => this.tracks;
}

function machine(devices: { kind: MediaDeviceKind; deviceId: string }[]) {
  vi.stubGlobal("MediaStream", FakeStream);
  const getUserMedia = vi.fn(async (c: MediaStreamConstraints) => {
    const wanted = (c.video ?? c.audio) as MediaTrackConstraints;
    const id = (wanted.deviceId as { exact?: string } | undefined)?.exact ?? devices.find((d) => d.kind === (c.video ? "videoinput" : "audioinput"))?.deviceId ?? "default";
    return new FakeStream([track(c.video ? "video" : "audio", id)]);
  });
  Object.defineProperty(navigator, "mediaDevices", {
    configurable: true,
    value: { getUserMedia, enumerateDevices: vi.fn(async () => devices.map((d) => ({ ...d, label: d.deviceId, groupId: "" }))) },
  });
  return getUserMedia;
}

afterEach(() => {
  vi.unstubAllGlobals();
  Reflect.deleteProperty(navigator, "mediaDevices");
});

describe("devices during a call", () => {
  it("switches the camera and keeps the microphone", async () => {
    machine([{ kind: "videoinput", deviceId: "cam2" }]);
    const oldCam = track("video", "cam1");
    const mic = track("audio", "mic1");
    const next = (await switchDevice(new FakeStream([oldCam, mic]) as unknown as MediaStream, "camera", "cam2")) as unknown as FakeStream;
    expect(next.getVideoTracks()[0].getSettings().deviceId).toBe("cam2");
    expect(next.getAudioTracks()).toEqual([mic]);
    expect(oldCam.stop).toHaveBeenCalled();
    expect(mic.stop).not.toHaveBeenCalled();
  });

  it("falls back to another microphone when the one in use is unplugged", async () => {
    machine([{ kind: "videoinput", deviceId: "cam1" }, { kind: "audioinput", deviceId: "builtin" }]);
    const stream = new FakeStream([track("video", "cam1"), track("audio", "headset", "ended")]);
    const repaired = await repairStream(stream as unknown as MediaStream);
    expect(repaired?.lost).toEqual(["microphone"]);
    const s = repaired!.stream as unknown as FakeStream;
    expect(s.getAudioTracks()[0].getSettings().deviceId).toBe("builtin");
    expect(s.getVideoTracks()[0].getSettings().deviceId).toBe("cam1");
  });

  it("goes on without a camera when the last one is unplugged", async () => {
    machine([{ kind: "audioinput", deviceId: "mic1" }]);
    const stream = new FakeStream([track("video", "usbcam", "ended"), track("audio", "mic1")]);
    const repaired = await repairStream(stream as unknown as MediaStream);
    expect(repaired?.lost).toEqual(["camera"]);
    expect((repaired!.stream as unknown as FakeStream).getVideoTracks()).toEqual([]);
  });

  it("changes nothing while every device in use is there", async () => {
    machine([{ kind: "videoinput", deviceId: "cam1" }, { kind: "audioinput", deviceId: "mic1" }]);
    const stream = new FakeStream([track("video", "cam1"), track("audio", "mic1")]);
    expect(await repairStream(stream as unknown as MediaStream)).toBeNull();
  });

  it("offers only devices that were not there before", () => {
    const d = (kind: MediaDeviceKind, deviceId: string) => ({ kind, deviceId, label: deviceId, groupId: "" }) as MediaDeviceInfo;
    expect(newDevices([d("audioinput", "a")], [d("audioinput", "a"), d("audioinput", "headset"), d("audiooutput", "x")]).map((x) => x.deviceId)).toEqual(["headset"]);
  });
});
