// Chromium sharing a screen, for the figures beside the app's: its own
// getDisplayMedia (the fake 1920x1080 screen of --use-fake-ui-for-media-stream)
// sent over a loopback RTCPeerConnection pair in one page, VP8 with
// contentHint "detail", at 5 and 15 frames/s. CPU of every Chromium process
// while not sharing and while sharing, and the bitrate sent. JSON lines.
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
window.stop = () => { window.current.track.stop(); window.current.a.close(); window.current.b.close(); };
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
} finally {
  await browser.close();
  server.close();
}
