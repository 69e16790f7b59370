// Two Chromium pages (the contract peer page) join one live code, TRIALS
// times: the second joiner's live:join to its first presented remote frame.
// Then one call held for SECONDS while the browser's CPU time is read.
// Prints JSON lines. Usage: node bench-browser-pair.js SERVER TOKEN_A TOKEN_B CODE TRIALS SECONDS
import { createServer } from "node:http";
import { readFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { execSync } from "node:child_process";
import { chromium } from "playwright-core";

const [serverUrl, tokenA, tokenB, code, trialsText, secondsText] = process.argv.slice(2);
const trials = Number(trialsText ?? 10);
const seconds = Number(secondsText ?? 20);
const here = dirname(fileURLToPath(import.meta.url));
const files = {
  "/": ["browser-peer/index.html", "text/html"],
  "/peer.js": ["browser-peer/peer.js", "text/javascript"],
  "/socket.io.min.js": ["node_modules/socket.io-client/dist/socket.io.min.js", "text/javascript"],
};
const http = createServer((req, res) => {
  const file = files[new URL(req.url, "http://x").pathname];
  if (!file) return res.writeHead(404).end();
  res.writeHead(200, { "content-type": file[1] }).end(readFileSync(join(here, file[0])));
});
await new Promise((r) => http.listen(0, "127.0.0.1", r));
const base = `http://127.0.0.1:${http.address().port}/?`;
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"],
});
const open = async (token) => {
  const page = await browser.newPage();
  await page.goto(base + new URLSearchParams({ server: serverUrl, token, code }));
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
  const cpu = () => {
    // Every chromium process started for this run (playwright hands out no pid).
    const all = execSync("pgrep -f /usr/lib/chromium/chromium || true").toString().split(/\s+/).filter(Boolean);
    let ticks = 0;
    for (const p of all) {
      try {
        const f = readFileSync(`/proc/${p}/stat`, "utf8").split(") ")[1].split(" ");
        ticks += Number(f[11]) + Number(f[12]);
      } catch {}
    }
    return ticks / 100;
  };
  const before = cpu();
  await a.waitForTimeout(seconds * 1000);
  const used = cpu() - before;
  console.log(JSON.stringify({ figure: "cpu_per_minute", peer: "chromium pair (one browser, two pages; includes VP8/Opus encode and decode)", seconds, cpu_seconds_per_minute: (used * 60) / seconds }));
} finally {
  await browser.close();
  http.close();
}
