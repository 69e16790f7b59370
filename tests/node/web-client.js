// The platform's web client (served by the server under test) in Debian's
// Chromium, driven line by line: the Rust test writes one JSON command per
// line on stdin and reads one JSON answer per line on stdout. Fake camera
// and microphone; `--phone` emulates a phone (360x740, touch, mobile);
// `--headed` opens a window on DISPLAY (the app's size) instead of headless;
// `--camera-fps=N` sets the fake camera's rate (Chromium's default is 20).
//
// Commands: {do: "open", url} · {do: "axe"} · {do: "fill", selector, value} ·
// {do: "click", selector} · {do: "waitFor", js, timeoutMs} · {do: "eval", js} ·
// {do: "press", key} · {do: "type", text} · {do: "focused"} ·
// {do: "screenshot", path} · {do: "close"}. `js` is an expression,
// awaited when it is a promise. Answers: {ok: true, value} or
// {ok: false, message}.
import { createInterface } from "node:readline";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { launchChromium } from "./browser-page.js";

const phone = process.argv.includes("--phone");
const headed = process.argv.includes("--headed");
const print = (value) => console.log(JSON.stringify(value));
const cameraFps = Number(process.argv.find((a) => a.startsWith("--camera-fps="))?.split("=")[1]) || null;
const browser = await launchChromium({ headed, cameraFps });
const permissions = ["camera", "microphone", "clipboard-read", "clipboard-write"];
const context = await browser.newContext(
  phone
    ? { viewport: { width: 360, height: 740 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, permissions }
    : headed
      ? { viewport: null, permissions } // the window's own size
      : { viewport: { width: 1100, height: 760 }, permissions },
);
// Figures for the test (window.mentorlive*): the client exposes them only
// when asked; they are never secrets.
await context.addInitScript(() => localStorage.setItem("mentorlive.testHooks", "1"));
const page = await context.newPage();
const problems = [];
page.on("pageerror", (err) => problems.push(`page error: ${err}`));
page.on("console", (m) => m.type() === "error" && problems.push(`console: ${m.text()}`));
// Every request the page makes, to check what leaves it (Referer).
const requests = [];
page.on("request", (r) => requests.push({ url: r.url(), referer: r.headers()["referer"] || null }));

// axe-core, evaluated through DevTools (the page's CSP allows no injected script).
const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

const run = {
  // The serious and critical accessibility violations on the page as it is.
  axe: async () => {
    if ((await page.evaluate("typeof window.axe")) !== "object") await page.evaluate(axeSource);
    const result = await page.evaluate("axe.run(document, { resultTypes: ['violations'] })");
    return result.violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(" ")).slice(0, 5) }));
  },
  open: ({ url }) => page.goto(url).then((r) => r?.status() ?? null),
  fill: ({ selector, value }) => page.fill(selector, value),
  click: ({ selector }) => page.click(selector, { timeout: 15_000 }),
  // Polled from here: waitForFunction would evaluate the string inside the
  // page, which the page's own CSP (no 'unsafe-eval') rightly refuses.
  waitFor: async ({ js, timeoutMs }) => {
    const deadline = Date.now() + (timeoutMs ?? 20_000);
    for (;;) {
      const value = await page.evaluate(js).catch((err) => {
        // A navigation in between: look again.
        if (/context was destroyed|navigat/i.test(String(err))) return null;
        throw err;
      });
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`timed out; last value ${JSON.stringify(value)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  },
  eval: ({ js }) => page.evaluate(js),
  // The keyboard alone: a key (Tab, Enter, Space) or text typed.
  press: ({ key }) => page.keyboard.press(key),
  type: ({ text }) => page.keyboard.type(text),
  // What has the focus: its test id, or its tag and text.
  focused: () => page.evaluate(() => {
    const e = document.activeElement;
    return e ? e.dataset.testid ?? `${e.tagName.toLowerCase()}:${(e.getAttribute("name") ?? e.textContent ?? "").trim().slice(0, 40)}` : null;
  }),
  screenshot: ({ path }) => page.screenshot({ path, fullPage: false }).then(() => path),
  problems: () => problems.splice(0),
  requests: () => requests.splice(0),
  close: async () => {
    await browser.close();
    process.exit(0);
  },
};

print({ ok: true, value: "ready" });
for await (const line of createInterface({ input: process.stdin })) {
  let command;
  try {
    command = JSON.parse(line);
    print({ ok: true, value: (await run[command.do](command)) ?? null });
  } catch (err) {
    print({ ok: false, message: `${command?.do ?? line}: ${String(err).split("\n").slice(0, 12).join(" | ")}` });
  }
}
await browser.close();
