// WebKitGTK takes the page's language from the process's locale, so under
// LANG=C (minimal systems, services, this project's tests) it reports
// navigator.language "C", which is no language tag: every
// `Intl.*Format(navigator.language)` throws a RangeError. uPlot builds one
// when it loads, so the Insights screen could not open. Such a system gets
// the tag its dates and numbers already fall back to. Imported first by
// main.tsx, before any module that reads the language.

function isLanguageTag(tag: string): boolean {
  try {
    return Intl.getCanonicalLocales(tag).length === 1;
  } catch {
    return false;
  }
}

if (typeof navigator !== "undefined" && !isLanguageTag(navigator.language)) {
  const fallback = new Intl.DateTimeFormat().resolvedOptions().locale.split("-u-")[0] || "en-US";
  Object.defineProperty(navigator, "language", { value: fallback, configurable: true });
  Object.defineProperty(navigator, "languages", { value: [fallback], configurable: true });
}

export {};
