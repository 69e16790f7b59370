// Chromium sharing a screen, for the figures beside the app's: its own
// getDisplayMedia (the fake 1920x1080 screen of --use-fake-ui-for-media-stream)
// sent over a loopback RTCPeerConnection pair in one page, VP8 with
// contentHint "detail", at 5 and 15 frames/s. CPU of every Chromium process
// while not sharing and while sharing, and the bitrate sent. Then a mostly
// still screen, as the app's benchmark shares it: the first picture of the
// fake screen kept, with a strip changed about once a second (the wall
// clock painted as cells, as ui/src/media/stamp.ts does), sent at 5, 10 and
// 15 frames/s; the receiver reads the strip as each frame is presented:
// change-to-paint delay and the bitrate sent. JSON lines.
// Usage: node bench-screen.js SECONDS
import { createServer } from "node:http";
import { readFileSync } from "node:fs";
import { execSync } from "node:child_process";
import { launchChromium } from "./browser-page.js";

const seconds = Number(process.argv[2] ?? 20);
const page = `<!doctype html><button id=share>share</button><video id=v muted playsinline autoplay></video><script>
window.share = async (fps) => {
  const stream = await navigator.mediaDevices.getDisplayMedia({ video: { width: 1920, height: 1080, frameRate: { ideal: fps, max: fps } } });
  const track = stream.getVideoTracks()[0];
  track.contentHint = "detail";
  const a = new RTCPeerConnection(), b = new RTCPeerConnection();
  a.onicecandidate = (e) => e.candidate && b.addIceCandidate(e.candidate);
  b.onicecandidate = (e) => e.candidate && a.addIceCandidate(e.candidate);
  b.ontrack = (e) => { document.getElementById("v").srcObject = new MediaStream([e.track]); };
  const t = a.addTransceiver(track, { direction: "sendonly" });
  t.setCodecPreferences(RTCRtpSender.getCapabilities("video").codecs.filter((c) => c.mimeType === "video/VP8"));
  await a.setLocalDescription(); await b.setRemoteDescription(a.localDescription);
  await b.setLocalDescription(); await a.setRemoteDescription(b.localDescription);
  window.current = { a, b, track };
};
window.bytesSent = async () => { let n = 0; (await window.current.a.getStats()).forEach((s) => { if (s.type === "outbound-rtp") n += s.bytesSent; }); return n; };
const CELL = 16, BITS = 32;
const check = (ms) => ((ms & 0xff) + ((ms >> 8) & 0xff) + ((ms >> 16) & 0xff) + 0x5a) & 0xff;
function paintStamp(ctx, now) {
  const ms = now & 0xffffff, word = ((ms << 8) | check(ms)) >>> 0;
  for (let i = 0; i < BITS; i++) { ctx.fillStyle = (word >>> (BITS - 1 - i)) & 1 ? "#fff" : "#000"; ctx.fillRect(i * CELL, 0, CELL, CELL); }
}
function readStamp(rgba) {
  let word = 0;
  for (let i = 0; i < BITS; i++) { const p = ((CELL / 2) * CELL * BITS + i * CELL + CELL / 2) * 4; word = ((word << 1) | ((rgba[p] + rgba[p + 1] + rgba[p + 2]) / 3 > 128 ? 1 : 0)) >>> 0; }
  const ms = word >>> 8;
  return (word & 0xff) === check(ms) ? ms : null;
}
window.shareStill = async (fps) => {
  const display = await navigator.mediaDevices.getDisplayMedia({ video: { width: 1920, height: 1080 } });
  const source = document.createElement("video");
  source.muted = true; source.srcObject = display; await source.play();
  await new Promise((r) => source.requestVideoFrameCallback(r));
  const canvas = document.createElement("canvas");
  canvas.width = 1920; canvas.height = 1080;
  const ctx = canvas.getContext("2d");
  ctx.drawImage(source, 0, 0, 1920, 1080);
  display.getTracks().forEach((t) => t.stop());
  let changedAt = Date.now(), changeTimer = 0;
  const change = () => { changedAt = Date.now(); changeTimer = setTimeout(change, 700 + Math.random() * 600); };
  change();
  const track = canvas.captureStream(0).getVideoTracks()[0];
  track.contentHint = "detail";
  const tick = setInterval(() => { paintStamp(ctx, changedAt); track.requestFrame(); }, 1000 / fps);
  const a = new RTCPeerConnection(), b = new RTCPeerConnection();
  a.onicecandidate = (e) => e.candidate && b.addIceCandidate(e.candidate);
  b.onicecandidate = (e) => e.candidate && a.addIceCandidate(e.candidate);
  const delays = [];
  b.ontrack = (e) => {
    const v = document.getElementById("v");
    v.srcObject = new MediaStream([e.track]);
    const strip = new OffscreenCanvas(CELL * BITS, CELL).getContext("2d", { willReadFrequently: true });
    let last = null;
    const onFrame = () => {
      if (v.videoWidth >= CELL * BITS) {
        strip.drawImage(v, 0, 0, CELL * BITS, CELL, 0, 0, CELL * BITS, CELL);
        const stamp = readStamp(strip.getImageData(0, 0, CELL * BITS, CELL).data);
        if (stamp !== null && stamp !== last) delays.push(((Date.now() & 0xffffff) - stamp + 0x1000000) % 0x1000000);
        if (stamp !== null) last = stamp;
      }
      v.requestVideoFrameCallback(onFrame);
    };
    v.requestVideoFrameCallback(onFrame);
  };
  const t = a.addTransceiver(track, { direction: "sendonly" });
  t.setCodecPreferences(RTCRtpSender.getCapabilities("video").codecs.filter((c) => c.mimeType === "video/VP8"));
  await a.setLocalDescription(); await b.setRemoteDescription(a.localDescription);
  await b.setLocalDescription(); await a.setRemoteDescription(b.localDescription);
  window.current = { a, b, track, delays, stopStill: () => { clearInterval(tick); clearTimeout(changeTimer); } };
};
window.stop = () => { window.current.stopStill?.(); window.current.track.stop(); window.current.a.close(); window.current.b.close(); };
document.getElementById("share").onclick = () => window.share(window.fps).then(() => (window.ready = true), (e) => (window.error = String(e)));
</script>`;
const server = createServer((_req, res) => res.end(page)).listen(0, "127.0.0.1");
await new Promise((r) => server.once("listening", r));
const browser = await launchChromium();
const cpu = () => {
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
const perMinute = async () => {
  const before = cpu();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  return ((cpu() - before) * 60) / seconds;
};
try {
  const tab = await browser.newPage();
  await tab.goto(`http://127.0.0.1:${server.address().port}/`);
  const idle = await perMinute();
  console.log(JSON.stringify({ figure: "screen_share_cpu", peer: "chromium", sharing: false, cpu_seconds_per_minute: idle }));
  for (const fps of [5, 15]) {
    await tab.evaluate((f) => { window.fps = f; window.ready = false; }, fps);
    await tab.click("#share");
    await tab.waitForFunction(() => window.ready || window.error, null, { timeout: 20_000 });
    await new Promise((r) => setTimeout(r, 3000));
    const bytes = await tab.evaluate(() => window.bytesSent());
    const used = await perMinute();
    const kbps = (((await tab.evaluate(() => window.bytesSent())) - bytes) * 8) / 1000 / seconds;
    console.log(JSON.stringify({ figure: "screen_share_cpu", peer: "chromium (sender and loopback receiver in one page)", fps, cpu_seconds_per_minute: used, added: used - idle, kbps_sent: Math.round(kbps) }));
    await tab.evaluate(() => window.stop());
  }
  const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
  for (const fps of [5, 10, 15]) {
    await tab.evaluate((f) => window.shareStill(f), fps);
    await new Promise((r) => setTimeout(r, 3000));
    const bytes = await tab.evaluate(() => window.bytesSent());
    const from = await tab.evaluate(() => window.current.delays.length);
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const kbps = (((await tab.evaluate(() => window.bytesSent())) - bytes) * 8) / 1000 / seconds;
    const delays = (await tab.evaluate((n) => window.current.delays.slice(n), from)).sort((x, y) => x - y);
    console.log(JSON.stringify({ figure: "still_screen", peer: "chromium (loopback pair in one page)", fps, change_to_paint_p50_ms: percentile(delays, 50), change_to_paint_p95_ms: percentile(delays, 95), changes: delays.length, kbps_sent: Math.round(kbps) }));
    await tab.evaluate(() => window.stop());
  }
} finally {
  await browser.close();
  server.close();
}
