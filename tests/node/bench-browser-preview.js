// Chromium doing what the app's profile stages do, for the same figures:
// one page idle (blank), then one page showing its fake camera's 640x480
// preview (getUserMedia into a <video>, as the pre-join screen does).
// Prints JSON lines. Usage: node bench-browser-preview.js [IDLE_SECONDS] [SECONDS]
import { chromiumCpuSeconds, chromiumPss, launchChromium } from "./browser-page.js";

const idle = Number(process.argv[2] ?? 60);
const seconds = Number(process.argv[3] ?? 20);
const browser = await launchChromium();
const measure = async (page, name, secs) => {
  await page.waitForTimeout(3000);
  const before = chromiumCpuSeconds();
  await page.waitForTimeout(secs * 1000);
  const used = chromiumCpuSeconds() - before;
  const memory = chromiumPss();
  console.log(JSON.stringify({ figure: "profile", peer: "chromium (headless, one page)", stage: name, seconds: secs, cpu_seconds_per_minute: (used * 60) / secs, pss_mb: Math.round(memory.mb), processes: memory.processes }));
};
try {
  const page = await browser.newPage();
  // localhost is a secure context, so getUserMedia is allowed; nothing listens there.
  await page.route("http://localhost/**", (route) => route.fulfill({ contentType: "text/html", body: "<!doctype html><title>preview</title><video autoplay muted playsinline width=640 height=480></video>" }));
  await page.goto("http://localhost/preview");
  await measure(page, "idle, a blank page", idle);
  await page.evaluate(async () => {
    const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480, frameRate: 30 }, audio: true });
    const video = document.querySelector("video");
    video.srcObject = stream;
    await new Promise((resolve) => (video.onplaying = resolve));
  });
  await measure(page, "the camera's preview alone", seconds);
} finally {
  await browser.close();
}
