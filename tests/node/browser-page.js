// Serves the contract peer page on a loopback port and launches Debian's
// Chromium (through playwright-core) with fake camera and microphone.
import { createServer } from "node:http";
import { readFileSync } from "node:fs";
import { execSync } from "node:child_process";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const files = {
  "/": ["browser-peer/index.html", "text/html"],
  "/peer.js": ["browser-peer/peer.js", "text/javascript"],
  "/socket.io.min.js": ["node_modules/socket.io-client/dist/socket.io.min.js", "text/javascript"],
};

/** Starts the page server; returns `{ urlFor(server, token, code), close() }`. */
export async function servePeerPage() {
  const http = createServer((req, res) => {
    const file = files[new URL(req.url, "http://x").pathname];
    if (!file) return res.writeHead(404).end();
    res.writeHead(200, { "content-type": file[1] }).end(readFileSync(join(here, file[0])));
  });
  await new Promise((r) => http.listen(0, "127.0.0.1", r));
  const base = `http://127.0.0.1:${http.address().port}/?`;
  return {
    urlFor: (server, token, code) => base + new URLSearchParams({ server, token, code }),
    close: () => http.close(),
  };
}

/** CPU seconds used so far by every Chromium process on the machine
 *  (playwright hands out no pid; benchmarks run one browser at a time). */
export function chromiumCpuSeconds() {
  let ticks = 0;
  for (const p of chromiumPids()) {
    try {
      const f = readFileSync(`/proc/${p}/stat`, "utf8").split(") ")[1].split(" ");
      ticks += Number(f[11]) + Number(f[12]);
    } catch {}
  }
  return ticks / 100;
}

/** Proportional set size of every Chromium process, so shared pages count
 *  once, as for the app's figure. */
export function chromiumPss() {
  const pids = chromiumPids();
  let kb = 0;
  for (const p of pids) {
    try {
      const line = readFileSync(`/proc/${p}/smaps_rollup`, "utf8").split("\n").find((l) => l.startsWith("Pss:"));
      kb += Number(line.split(/\s+/)[1]);
    } catch {}
  }
  return { mb: kb / 1024, processes: pids.length };
}

function chromiumPids() {
  return execSync("pgrep -f /usr/lib/chromium/chromium || true").toString().split(/\s+/).filter(Boolean);
}

/** `headed`: a window on the X display in DISPLAY, painted as a person
 *  would see it (software compositing: there is no GPU here), the size of
 *  the app's window; otherwise headless, which paints to no screen.
 *  `cameraFps`: the fake camera's rate (Chromium's default is 20; the
 *  app's mock camera gives 30, so figures beside the app ask for 30). */
export function launchChromium({ headed = false, cameraFps = null } = {}) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    headless: !headed,
    args: [
      "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
      cameraFps ? `--use-fake-device-for-media-stream=fps=${cameraFps}` : "--use-fake-device-for-media-stream",
      "--use-fake-ui-for-media-stream",
      ...(headed ? ["--window-size=1100,760", "--window-position=0,0"] : []),
    ],
  });
}
