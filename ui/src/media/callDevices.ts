// Devices during a call: switching camera or microphone, and carrying on
// when one is unplugged. Only the local stream changes; the encoders and
// the engine go on, so nothing is renegotiated.

import { listDevices } from "./devices";

export type DeviceKind = "camera" | "microphone";

const constraints = {
  camera: { width: { ideal: 640 }, height: { ideal: 480 }, frameRate: { ideal: 30 } } as MediaTrackConstraints,
  microphone: { echoCancellation: true, noiseSuppression: true, autoGainControl: true, channelCount: 1 } as MediaTrackConstraints,
};

function tracksOf(stream: MediaStream, kind: DeviceKind): MediaStreamTrack[] {
  return kind === "camera" ? stream.getVideoTracks() : stream.getAudioTracks();
}

/** A stream with `kind` taken from device `deviceId` (null: the default),
 *  or without `kind` when `deviceId` is "none"; the other kind's tracks are
 *  kept and the replaced ones stopped. */
export async function switchDevice(current: MediaStream, kind: DeviceKind, deviceId: string | null): Promise<MediaStream> {
  const other = kind === "camera" ? current.getAudioTracks() : current.getVideoTracks();
  const old = tracksOf(current, kind);
  const previousId = old[0]?.getSettings().deviceId;
  // The old device first: many cameras cannot be open twice, and WebKit
  // mutes one camera's track when the page opens another.
  old.forEach((t) => t.stop());
  if (deviceId === "none") return new MediaStream(other);
  const open = async (id: string | null | undefined) => {
    const wanted = { ...constraints[kind], ...(id ? { deviceId: { exact: id } } : {}) };
    return tracksOf(await navigator.mediaDevices.getUserMedia(kind === "camera" ? { video: wanted } : { audio: wanted }), kind);
  };
  try {
    return new MediaStream([...other, ...(await open(deviceId))]);
  } catch (err) {
    // The chosen one would not open: back to the one we had, if it still can.
    if (previousId && previousId !== deviceId) {
      const back = await open(previousId).catch(() => null);
      if (back) return new MediaStream([...other, ...back]);
    }
    throw err;
  }
}

/** After a `devicechange`: a track whose device went away is replaced by
 *  the default device of its kind, or dropped when there is none. Returns
 *  the new stream, or null when nothing in use went away. */
export async function repairStream(current: MediaStream): Promise<{ stream: MediaStream; lost: DeviceKind[] } | null> {
  const { cameras, microphones } = await listDevices();
  const present = (track: MediaStreamTrack, list: MediaDeviceInfo[]) =>
    track.readyState === "live" && (list.length === 0 || list.some((d) => !d.deviceId || d.deviceId === track.getSettings().deviceId));
  let stream = current;
  const lost: DeviceKind[] = [];
  for (const [kind, list] of [["camera", cameras], ["microphone", microphones]] as const) {
    const track = tracksOf(stream, kind)[0];
    if (!track || present(track, list)) continue;
    lost.push(kind);
    stream = await switchDevice(stream, kind, list.length > 0 ? null : "none").catch(() => switchDevice(stream, kind, "none"));
  }
  return lost.length > 0 ? { stream, lost } : null;
}

/** Devices that appeared since `before` (to offer them). */
export function newDevices(before: MediaDeviceInfo[], after: MediaDeviceInfo[]): MediaDeviceInfo[] {
  const known = new Set(before.map((d) => `${d.kind}:${d.deviceId}`));
  return after.filter((d) => (d.kind === "videoinput" || d.kind === "audioinput") && d.deviceId && !known.has(`${d.kind}:${d.deviceId}`));
}
