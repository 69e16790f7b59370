// Starts the real mentorlive-server binary for a Node test and talks REST to it.
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";

export function serverBinary() {
  if (process.env.MENTORLIVE_SERVER_BIN) return process.env.MENTORLIVE_SERVER_BIN;
  const target = process.env.CARGO_TARGET_DIR ?? "/var/tmp/mentorlive-target";
  return join(target, "debug", "mentorlive-server");
}

function startNode(args) {
  const child = spawn(serverBinary(), ["--addr", "127.0.0.1:0", ...args], {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, RUST_LOG: "mentorlive_server=warn" },
  });
  const url = new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.once("line", (line) => resolve(line.replace(/^listening on /, "")));
    child.once("exit", (code) => reject(new Error(`mentorlive-server exited with ${code}`)));
  });
  return { child, url };
}

function freePort() {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

async function stopChild(child) {
  if (child.exitCode !== null) return;
  child.kill("SIGTERM");
  await new Promise((resolve) => child.once("exit", resolve));
}

/** One server, or with MENTORLIVE_TEST_CLUSTER=1 (and MENTORLIVE_TEST_ENGINES
 * naming PostgreSQL and Redis) two nodes on a fresh database behind
 * HAProxy's round robin, so consecutive sockets land on different nodes. */
export async function startServer(extraArgs = []) {
  const dir = mkdtempSync(join(tmpdir(), "mentorlive-node-"));
  const engines = process.env.MENTORLIVE_TEST_CLUSTER ? (process.env.MENTORLIVE_TEST_ENGINES ?? "").split(/\s+/) : [];
  if (engines.length < 2) {
    const node = startNode(["--db", join(dir, "sessions.db"), "--seed-demo", ...extraArgs]);
    const url = await node.url;
    return {
      url,
      async stop() {
        await stopChild(node.child);
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const [admin, redis] = engines;
  const name = `mlt_node_${process.pid}_${Math.floor(Math.random() * 1e9)}`;
  execFileSync("psql", [admin, "-qAt", "-c", `CREATE DATABASE ${name}`]);
  const db = admin.replace(/\/[^/]*$/, `/${name}`);
  const shared = ["--db", db, "--redis", redis, "--redis-prefix", name, ...extraArgs];
  const a = startNode([...shared, "--node-id", "a", "--seed-demo"]);
  const urlA = await a.url;
  const b = startNode([...shared, "--node-id", "b"]);
  const urlB = await b.url;
  const port = await freePort();
  const config = join(dir, "haproxy.cfg");
  writeFileSync(
    config,
    `defaults\n  mode http\n  timeout connect 2s\n  timeout client 60s\n  timeout server 60s\n  timeout tunnel 1h\n` +
      `frontend lb\n  bind 127.0.0.1:${port}\n  default_backend nodes\n` +
      `backend nodes\n  balance roundrobin\n  server a ${urlA.replace("http://", "")}\n  server b ${urlB.replace("http://", "")}\n`,
  );
  const lb = spawn("haproxy", ["-f", config, "-db"], { stdio: "ignore" });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    const ok = await fetch(`${url}/api/health`).then((r) => r.ok).catch(() => false);
    if (ok) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    /** What the nodes keep in Redis: `redis-cli` arguments and the key prefix. */
    redis: { args: ["-u", redis], prefix: name },
    async stop() {
      await Promise.all([a.child, b.child, lb].map(stopChild));
      execFileSync("psql", [admin, "-qAt", "-c", `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`]);
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
