// Starts the real mentorlive-server binary for a Node test and talks REST to it.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";

export function serverBinary() {
  if (process.env.MENTORLIVE_SERVER_BIN) return process.env.MENTORLIVE_SERVER_BIN;
  const target = process.env.CARGO_TARGET_DIR ?? "/var/tmp/mentorlive-target";
  return join(target, "debug", "mentorlive-server");
}

export async function startServer(extraArgs = []) {
  const dir = mkdtempSync(join(tmpdir(), "mentorlive-node-"));
  const child = spawn(
    serverBinary(),
    ["--addr", "127.0.0.1:0", "--db", join(dir, "sessions.db"), "--seed-demo", ...extraArgs],
    { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, RUST_LOG: "mentorlive_server=warn" } },
  );
  const url = await new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.once("line", (line) => resolve(line.replace(/^listening on /, "")));
    child.once("exit", (code) => reject(new Error(`mentorlive-server exited with ${code}`)));
  });
  return {
    url,
    async stop() {
      child.kill("SIGTERM");
      await new Promise((resolve) => child.once("exit", resolve));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function api(url, method, path, token, body) {
  const response = await fetch(`${url}/api${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body ? { "content-type": "application/json" } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await response.json().catch(() => null);
  return { status: response.status, body: json };
}

export async function login(url, email, password = "mentorlive") {
  const { status, body } = await api(url, "POST", "/auth/login", null, { email, password });
  if (status !== 200) throw new Error(`login ${email}: ${status} ${JSON.stringify(body)}`);
  return body.token;
}

/** The demo pair, a new session of theirs (so each test has a room of its
 * own) and a live code for it. */
export async function demoWithCode(url) {
  const mentor = await login(url, "mentor@example.com");
  const learner = await login(url, "learner@example.com");
  const mentorId = (await api(url, "GET", "/auth/me", mentor)).body.id;
  const learnerId = (await api(url, "GET", "/auth/me", learner)).body.id;
  const created = await api(url, "POST", "/sessions", mentor, {
    title: "Interop", mentorId, learnerId, scheduledAt: new Date(Date.now() + 3600e3).toISOString(), durationMinutes: 30,
  });
  if (created.status !== 201) throw new Error(`create session: ${JSON.stringify(created.body)}`);
  const sessionId = created.body.id;
  const generated = await api(url, "POST", "/sessions/generate-live-code", mentor, { sessionId });
  return { mentor, learner, sessionId, code: generated.body.code };
}
