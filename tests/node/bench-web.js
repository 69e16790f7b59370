// The web client's figures in Debian's Chromium, against a running server.
// Prints JSON lines. Usage: node bench-web.js SERVER TOKEN_A TOKEN_B CODE TRIALS
// - the invitation page: first contentful paint, and the moment its
//   buttons are on screen (the page renders them after its script runs);
// - two web clients: the second one's Join click to its first presented
//   remote frame (requestVideoFrameCallback), TRIALS times.
import { launchChromium } from "./browser-page.js";

const [server, tokenA, tokenB, code, trialsText] = process.argv.slice(2);
const trials = Number(trialsText ?? 10);
const browser = await launchChromium();
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const print = (value) => console.log(JSON.stringify(value));

async function signedInPage(token) {
  const context = await browser.newContext({ permissions: ["camera", "microphone"] });
  await context.addInitScript((t) => sessionStorage.setItem("mentorlive.token", t), token);
  return context.newPage();
}

// The invitation page, cold each time (a fresh context: no cache).
const paints = [];
const ready = [];
for (let i = 0; i < trials; i++) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${server}/join/${code}`);
  await page.waitForSelector("[data-testid=join-in-browser]");
  const t = await page.evaluate(() => ({
    fcp: performance.getEntriesByName("first-contentful-paint")[0]?.startTime ?? null,
    buttons: performance.now(),
  }));
  paints.push(t.fcp);
  ready.push(t.buttons);
  await context.close();
}
print({ figure: "invitation_page", trials, firstContentfulPaintMs: median(paints), buttonsShownMs: median(ready) });

// Two web clients in one call: the second's Join to its first remote frame.
const joins = [];
for (let i = 0; i < trials; i++) {
  const pages = [];
  for (const token of [tokenA, tokenB]) {
    const page = await signedInPage(token);
    await page.goto(`${server}/join/${code}`);
    await page.click("[data-testid=join-in-browser]");
    await page.waitForFunction(() => !document.querySelector("[data-testid=join-call]")?.disabled && document.querySelector("[data-testid=join-call]"), null, { timeout: 20_000 });
    pages.push(page);
  }
  const [a, b] = pages;
  await a.click("[data-testid=join-call]");
  await a.waitForSelector("[data-testid=waiting]");
  // The hook on the remote video is set as soon as the element appears.
  await b.evaluate(() => {
    window.__t0 = performance.now();
    new MutationObserver((_, observer) => {
      const v = document.querySelector("video[data-testid=remote-video]");
      if (!v) return;
      observer.disconnect();
      v.requestVideoFrameCallback(() => (window.__first = performance.now()));
    }).observe(document.body, { childList: true, subtree: true });
    document.querySelector("[data-testid=join-call]").click();
  });
  await b.waitForFunction(() => window.__first, null, { timeout: 20_000, polling: 5 });
  joins.push(await b.evaluate(() => window.__first - window.__t0));
  for (const p of [b, a]) {
    await p.click("[data-testid=hang-up]").catch(() => {});
    await p.context().close();
  }
}
print({ figure: "web_pair_join_to_first_remote_frame", trials, medianMs: median(joins), all: joins.map(Math.round) });
await browser.close();
