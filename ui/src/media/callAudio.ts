// The calls' sound: one AudioContext for the page's life, not one a call.
//
// Why: closing an AudioContext while its AudioWorklet runs crashed
// WebKitGTK 2.50's web process now and then at Hang up (SIGSEGV in the
// AudioWorklet thread; DEVELOPERS.md), and each closed context left its
// worklet thread behind (24 after 24 calls). So the context outlives the
// call: it is suspended between calls (no sound thread runs), each
// worklet module is loaded once, and a call's worklet nodes are ended by
// message, which lets their processors go.

let shared: AudioContext | null = null;
const loaded = new WeakMap<BaseAudioContext, Map<string, Promise<void>>>();

/** The calls' AudioContext, made on first use (and again if something
 *  closed it). It may be suspended: a call resumes it once joined. */
export function callAudio(): AudioContext {
  if (!shared || shared.state === "closed") shared = new AudioContext({ sampleRate: 48_000, latencyHint: "interactive" });
  return shared;
}

/** Between calls: the context stops drawing sound (and CPU) until the next. */
export function restCallAudio(context: AudioContext): void {
  // Whatever its state now: a resume still on its way is overtaken.
  if (context.state !== "closed") context.suspend().catch(() => {});
}

/** Loads a worklet module into `context` once: a second `addModule` would
 *  register its processor's name again, which throws. */
export function loadWorklet(context: BaseAudioContext, url: string): Promise<void> {
  let modules = loaded.get(context);
  if (!modules) loaded.set(context, (modules = new Map()));
  let loading = modules.get(url);
  if (!loading) {
    loading = context.audioWorklet.addModule(url);
    // A failed load may be tried again.
    loading.catch(() => modules.delete(url));
    modules.set(url, loading);
  }
  return loading;
}

/** Ends a call's worklet node: its processor stops (the worklets end on a
 *  `null` message) and nothing plays into or out of it. */
export function endWorkletNode(node: AudioWorkletNode | null): void {
  if (!node) return;
  node.port.postMessage(null);
  node.port.onmessage = null;
  node.disconnect();
}
