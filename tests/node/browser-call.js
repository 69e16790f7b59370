// Runs the contract peer page in headless Chromium (Debian's, through
// playwright-core) with fake camera and microphone, joins a live code, and
// prints JSON lines: first `ready`, then `connected`, then a final `stats`.
// Usage: node browser-call.js SERVER_URL TOKEN CODE SECONDS
import { createServer } from "node:http";
import { readFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const [serverUrl, token, code, secondsText] = process.argv.slice(2);
const seconds = Number(secondsText ?? 8);
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
const pageUrl = `http://127.0.0.1:${http.address().port}/?` + new URLSearchParams({ server: serverUrl, token, code });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  headless: true,
  args: [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
  ],
});
const print = (value) => console.log(JSON.stringify(value));
try {
  const page = await browser.newPage();
  page.on("pageerror", (err) => print({ event: "page-error", message: String(err) }));
  await page.goto(pageUrl);
  await page.waitForFunction(() => window.peer?.ready || window.peer?.error, null, { timeout: 20_000 });
  const ready = await page.evaluate(() => ({ error: window.peer.error, joined: window.peer.joined }));
  if (ready.error) throw new Error(ready.error);
  print({ event: "ready", peerId: ready.joined.peerId, polite: ready.joined.polite, peers: ready.joined.peers.length });
  await page.waitForFunction(() => window.peer.connection === "connected", null, { timeout: 20_000 });
  const timing = await page.evaluate(() => ({ joinToConnectedMs: window.peer.connectedAt - window.peer.joinStarted }));
  print({ event: "connected", ...timing });
  const firstFrame = Date.now();
  await page.waitForFunction(async () => ((await window.inboundStats())?.video?.framesDecoded ?? 0) > 0, null, { timeout: 20_000, polling: 50 });
  print({ event: "first-frame", afterConnectedMs: Date.now() - firstFrame });
  await page.waitForTimeout(seconds * 1000);
  const stats = await page.evaluate(() => window.inboundStats());
  const log = await page.evaluate(() => window.peer.log.filter((l) => l.what.endsWith("error")));
  print({ event: "stats", stats, errors: log });
} catch (err) {
  print({ event: "failed", message: String(err) });
  process.exitCode = 1;
} finally {
  await browser.close();
  http.close();
}
