// Figures for the end-to-end tests and the benchmarks, on `window`. Only
// builds that say so (debug builds, or release with `--features bench`; see
// AppInfo.testHooks) expose them: a shipped app puts nothing there.

let enabled = false;

export function enableTestHooks(on: boolean): void {
  enabled = on;
}

/** Sets `window[name] = value` when test hooks are on. */
export function exposeForTests(name: `mentorlive${string}`, value: unknown): void {
  if (enabled) (window as unknown as Record<string, unknown>)[name] = value;
}
