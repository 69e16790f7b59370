// Two Chromium pages (the contract peer page) join one live code, TRIALS
// times: the second joiner's live:join to its first presented remote frame.
// Then one call held for SECONDS while the browser's CPU time is read.
// Prints JSON lines. Usage: node bench-browser-pair.js SERVER TOKEN_A TOKEN_B CODE TRIALS SECONDS
import { chromiumCpuSeconds, chromiumPss, launchChromium, servePeerPage } from "./browser-page.js";

const [serverUrl, tokenA, tokenB, code, trialsText, secondsText] = process.argv.slice(2);
const trials = Number(trialsText ?? 10);
const seconds = Number(secondsText ?? 20);
const pages = await servePeerPage();
const browser = await launchChromium();
const open = async (token) => {
  const page = await browser.newPage();
  await page.goto(pages.urlFor(serverUrl, token, code));
  await page.waitForFunction(() => window.peer?.ready || window.peer?.error, null, { timeout: 20_000 });
  const error = await page.evaluate(() => window.peer.error);
  if (error) throw new Error(error);
  return page;
};
const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];
try {
  const joins = [];
  for (let i = 0; i < trials; i++) {
    const a = await open(tokenA);
    const b = await open(tokenB);
    await b.waitForFunction(() => window.peer.firstFrameAt, null, { timeout: 20_000, polling: 5 });
    joins.push(await b.evaluate(() => window.peer.firstFrameAt - window.peer.joinStarted));
    for (const p of [b, a]) {
      await p.evaluate(() => window.leave());
      await p.close();
    }
  }
  const sorted = [...joins].sort((x, y) => x - y);
  console.log(JSON.stringify({ figure: "join_to_first_frame", peer: "chromium pair", trials, median_ms: pct(sorted, 0.5), min_ms: sorted[0], max_ms: sorted.at(-1), all_ms: joins }));

  // CPU of one held call: every process of the browser, before and after.
  const a = await open(tokenA);
  const b = await open(tokenB);
  await b.waitForFunction(() => window.peer.firstFrameAt, null, { timeout: 20_000 });
  const before = chromiumCpuSeconds();
  await a.waitForTimeout(seconds * 1000);
  const used = chromiumCpuSeconds() - before;
  console.log(JSON.stringify({ figure: "cpu_per_minute", peer: "chromium pair (one browser, two pages; includes VP8/Opus encode and decode)", seconds, cpu_seconds_per_minute: (used * 60) / seconds }));
  const memory = chromiumPss();
  console.log(JSON.stringify({ figure: "pss", peer: "chromium pair (one browser, two pages)", pss_mb: Math.round(memory.mb), processes: memory.processes }));
} finally {
  await browser.close();
  pages.close();
}
