// Asking the system for a screen or window to share (getDisplayMedia: the
// desktop portal's picker on Linux, the browser's own elsewhere), with what
// goes wrong put in words.

/** What a screen share asks of the capture: legible text first, so the
 *  picture is as large as the screen up to 1080p, at a modest frame rate. */
export const DISPLAY_CONSTRAINTS: DisplayMediaStreamOptions = {
  video: { width: { ideal: 1920, max: 1920 }, height: { ideal: 1080, max: 1080 }, frameRate: { ideal: 10, max: 15 } },
  audio: false,
};

export class ShareRefused extends Error {}

/** The words for a getDisplayMedia failure, by the DOMException's name. */
export function displayErrorMessage(err: unknown): string {
  const name = (err as { name?: string })?.name ?? "";
  switch (name) {
    case "NotAllowedError":
      return "Screen sharing was not allowed: you (or the system's sharing dialog) said no.";
    case "NotFoundError":
    case "OverconstrainedError":
    case "NotReadableError":
      return "This desktop offers nothing to share: screen sharing needs the desktop portal (xdg-desktop-portal with PipeWire) to be running.";
    case "InvalidStateError":
      return "Screen sharing must be started with a click or a key press.";
    case "AbortError":
      return "Screen sharing was cancelled.";
    default:
      return `Could not share the screen${(err as Error)?.message ? `: ${(err as Error).message}` : "."}`;
  }
}

/** The picker; resolves with one video track, or throws ShareRefused in words. */
export async function pickDisplay(): Promise<MediaStreamTrack> {
  if (!navigator.mediaDevices?.getDisplayMedia) throw new ShareRefused("This system's web engine cannot share the screen.");
  let stream: MediaStream;
  try {
    stream = await navigator.mediaDevices.getDisplayMedia(DISPLAY_CONSTRAINTS);
  } catch (err) {
    throw new ShareRefused(displayErrorMessage(err));
  }
  const track = stream.getVideoTracks()[0];
  stream.getAudioTracks().forEach((t) => t.stop());
  if (!track) throw new ShareRefused("The system gave no picture to share.");
  // Browsers tune the encoder for legible text over smooth motion.
  if ("contentHint" in track) track.contentHint = "detail";
  return track;
}
