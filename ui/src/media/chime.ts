// A short, quiet sound when the partner joins (rising) or leaves (falling),
// made with Web Audio: no file to ship, nothing to decode. A setting turns
// sounds off; it is kept in this webview's storage.

const SETTING = "mentorlive.sounds";

export function soundsOn(): boolean {
  return window.localStorage?.getItem(SETTING) !== "off";
}

export function setSoundsOn(on: boolean): void {
  window.localStorage?.setItem(SETTING, on ? "on" : "off");
}

/** The two notes of each chime, in Hz. */
export const CHIMES = { joined: [660, 880], left: [880, 660] } as const;

/** Plays `kind` on `context` (the call's own AudioContext, so the chosen
 *  speaker is used); resolves once it is scheduled. */
export function playChime(context: AudioContext, kind: keyof typeof CHIMES): void {
  if (!soundsOn() || context.state === "closed") return;
  const start = context.currentTime + 0.01;
  CHIMES[kind].forEach((frequency, i) => {
    const at = start + i * 0.14;
    const osc = context.createOscillator();
    const gain = context.createGain();
    osc.type = "sine";
    osc.frequency.value = frequency;
    // Quiet (-26 dBFS) with soft edges, so it never clicks.
    gain.gain.setValueAtTime(0, at);
    gain.gain.linearRampToValueAtTime(0.05, at + 0.02);
    gain.gain.linearRampToValueAtTime(0, at + 0.12);
    osc.connect(gain).connect(context.destination);
    osc.start(at);
    osc.stop(at + 0.13);
  });
}
