// WebKitGTK 2.50 (WebKit bug 320327): the first WebCodecs call kills the web
// process unless the media stack was asked about VP8 first. Harmless elsewhere.
let warmed = false;

export function warmUpWebCodecs(): void {
  if (warmed) return;
  warmed = true;
  try {
    document.createElement("video").canPlayType('video/webm; codecs="vp8"');
    if (typeof MediaSource !== "undefined") MediaSource.isTypeSupported('video/webm; codecs="vp8"');
  } catch {
    // Only a warm-up: the codecs report their own errors later.
  }
}

export function webCodecsAvailable(): boolean {
  return typeof VideoEncoder !== "undefined" && typeof VideoDecoder !== "undefined" && typeof AudioEncoder !== "undefined" && typeof AudioDecoder !== "undefined";
}
