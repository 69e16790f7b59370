// Runs the contract peer page in headless Chromium (Debian's, through
// playwright-core) with fake camera and microphone, joins a live code, and
// prints JSON lines: first `ready`, then `connected`, then a final `stats`.
// Usage: node browser-call.js SERVER_URL TOKEN CODE SECONDS
import { launchChromium, servePeerPage } from "./browser-page.js";

const [serverUrl, token, code, secondsText] = process.argv.slice(2);
const seconds = Number(secondsText ?? 8);
const pages = await servePeerPage();
const pageUrl = pages.urlFor(serverUrl, token, code);
const browser = await launchChromium();
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
  pages.close();
}
