// Ending a camera or microphone that a <video> element is showing.
//
// Why not just stop the tracks: in WebKitGTK 2.50 without compositing, a
// track that ends under a <video> element still playing it can deadlock the
// web process. The track's end makes the element's GStreamer pipeline take
// a pad's lock on the main thread, while its video sink's thread holds that
// pad's stream and waits for the main thread to draw the frame it has. The
// page then never answers again (seen after Hang up, about one time in ten;
// DEVELOPERS.md has the stacks). Taking the element off the stream first,
// and stopping the tracks only once WebKit has had a turn of its loop to
// drop the element's player, tears the pipeline down the way WebKit expects,
// with the draw cancelled.

/** How long the tracks outlive their elements: WebKit drops a media
 *  element's player in a task of its own after `srcObject` is cleared. */
export const RELEASE_DELAY_MS = 100;

/** Takes a stream out of `video`, as the first step of `releaseStream`;
 *  whether it was showing one. */
export function detach(video: HTMLVideoElement | null | undefined): boolean {
  if (!video || !video.srcObject) return false;
  video.pause();
  video.srcObject = null;
  return true;
}

/** Takes `stream` out of each element in `shownIn`, then, once WebKit has
 *  let go of it, stops its tracks (or only `tracks`, when given: a device
 *  switch stops one kind itself). Resolves when the tracks are stopped, or
 *  with none to stop, when the elements have let go. */
export function releaseStream(
  stream: MediaStream | null | undefined,
  shownIn: (HTMLVideoElement | null | undefined)[],
  tracks: MediaStreamTrack[] = stream?.getTracks() ?? [],
): Promise<void> {
  const detached = shownIn.map(detach).some(Boolean);
  if (tracks.length === 0 && !detached) return Promise.resolve();
  // Always after a turn, even with nothing detached here: an element
  // detached elsewhere in the same clean-up (a screen going away) is let
  // go of too.
  return new Promise((resolve) =>
    window.setTimeout(() => {
      tracks.forEach((t) => t.stop());
      resolve();
    }, RELEASE_DELAY_MS),
  );
}
