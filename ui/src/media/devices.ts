// Camera and microphone: the constraints we ask for, device lists, and
// the words a person needs when capture fails.

export interface DeviceChoice {
  cameraId: string | null;
  microphoneId: string | null;
  speakerId: string | null;
}

export async function openCapture(choice: DeviceChoice): Promise<MediaStream> {
  const video: MediaTrackConstraints = { width: { ideal: 640 }, height: { ideal: 480 }, frameRate: { ideal: 30 } };
  if (choice.cameraId) video.deviceId = { ideal: choice.cameraId };
  const audio: MediaTrackConstraints = { echoCancellation: true, noiseSuppression: true, autoGainControl: true, channelCount: 1 };
  if (choice.microphoneId) audio.deviceId = { ideal: choice.microphoneId };
  try {
    return await navigator.mediaDevices.getUserMedia({ video, audio });
  } catch (err) {
    const name = (err as DOMException).name;
    // WebKitGTK says "overconstrained" when there is no device at all, so
    // what is plugged in decides the words, not the error's name.
    if (name !== "NotFoundError" && name !== "OverconstrainedError") throw err;
    const { cameras, microphones } = await listDevices().catch(() => ({ cameras: [], microphones: [] }));
    // A call with one of the two, or neither, is still a call: the person
    // sees and hears the partner, and the partner is told what is missing.
    if (cameras.length === 0 && microphones.length > 0) return navigator.mediaDevices.getUserMedia({ audio });
    if (cameras.length > 0 && microphones.length === 0) return navigator.mediaDevices.getUserMedia({ video });
    if (cameras.length === 0 && microphones.length === 0) return new MediaStream();
    throw err;
  }
}

/** What the partner will get of us with this stream, in words; null when
 *  both camera and microphone are there. */
export function missingDevicesNote(stream: MediaStream, partner: string): string | null {
  const camera = stream.getVideoTracks().length > 0;
  const microphone = stream.getAudioTracks().length > 0;
  if (camera && microphone) return null;
  if (!camera && !microphone) return `No camera or microphone was found. You can still join: you will see and hear ${partner}, and ${partner} will see that you have no camera or microphone.`;
  if (!camera) return `No camera was found. You can still join: ${partner} will hear you but not see you.`;
  return `No microphone was found. You can still join: ${partner} will see you but not hear you, so use the chat to talk.`;
}

export async function listDevices(): Promise<{ cameras: MediaDeviceInfo[]; microphones: MediaDeviceInfo[]; speakers: MediaDeviceInfo[] }> {
  const all = await navigator.mediaDevices.enumerateDevices();
  return {
    cameras: all.filter((d) => d.kind === "videoinput"),
    microphones: all.filter((d) => d.kind === "audioinput"),
    speakers: all.filter((d) => d.kind === "audiooutput"),
  };
}

export function captureErrorMessage(err: unknown): string {
  const name = (err as DOMException)?.name;
  switch (name) {
    case "NotAllowedError":
    case "SecurityError":
      return "mentorlive may not use your camera or microphone. Allow them for mentorlive in your system's privacy settings (macOS: System Settings → Privacy & Security → Camera and Microphone; Windows: Settings → Privacy → Camera and Microphone; Linux: your desktop's privacy or portal settings), then press Try again.";
    case "NotFoundError":
      return "No camera or microphone was found. Connect one and press Try again.";
    case "NotReadableError":
    case "AbortError":
      return "The camera or microphone is in use by another app, or could not start. Close the other app and press Try again.";
    case "OverconstrainedError":
      return "The chosen device is no longer available. Pick another one.";
    default:
      return `The camera and microphone could not start (${String((err as Error)?.message ?? err)}).`;
  }
}

/** Speaker choice works where the engine lets an AudioContext pick its output. */
export function canChooseSpeaker(context: AudioContext): boolean {
  return typeof (context as AudioContext & { setSinkId?: unknown }).setSinkId === "function";
}

export async function routeToSpeaker(context: AudioContext, speakerId: string | null): Promise<void> {
  const withSink = context as AudioContext & { setSinkId?: (id: string) => Promise<void> };
  // "" is the system's default: the context outlives the call, so a speaker
  // chosen in the last call must not stay chosen in this one.
  if (withSink.setSinkId) await withSink.setSinkId(speakerId ?? "").catch(() => {});
}
