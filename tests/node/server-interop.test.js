// The official socket.io-client against our server: the contract's signaling
// part, every rule, with real sockets on a real port.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { io } from "socket.io-client";
import { execFileSync } from "node:child_process";
import { startServer, demoWithCode, api, login } from "./server.js";

const GRACE_SECONDS = 1;
let server;
before(async () => {
  server = await startServer(["--grace-period", String(GRACE_SECONDS), "--stun", "stun:127.0.0.1:3478"]);
});
after(async () => server?.stop());

function connect(token, extra = {}) {
  return io(server.url, { transports: ["websocket"], auth: token === undefined ? undefined : { token }, reconnection: false, forceNew: true, ...extra });
}

function connected(socket) {
  return new Promise((resolve, reject) => {
    socket.once("connect", resolve);
    socket.once("connect_error", reject);
  });
}

function next(socket, event, ms = 3000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${event} within ${ms} ms`)), ms);
    socket.once(event, (payload) => {
      clearTimeout(timer);
      resolve(payload);
    });
  });
}

function nothing(socket, event, ms) {
  return new Promise((resolve, reject) => {
    const handler = (payload) => reject(new Error(`unexpected ${event}: ${JSON.stringify(payload)}`));
    socket.on(event, handler);
    setTimeout(() => {
      socket.off(event, handler);
      resolve();
    }, ms);
  });
}

const ask = (socket, event, payload) => socket.timeout(3000).emitWithAck(event, payload);

test("a missing or bad token gets CONNECT_ERROR unauthorized", async () => {
  for (const token of [undefined, "not-a-token"]) {
    const socket = connect(token);
    const error = await connected(socket).then(
      () => assert.fail("connected without a valid token"),
      (err) => err,
    );
    assert.equal(error.message, "unauthorized");
    assert.deepEqual(error.data ?? { message: error.message }, { message: "unauthorized" });
    socket.close();
  }
});

test("two participants meet, see each other, and relay signals", async () => {
  const { mentor, learner, code, sessionId } = await demoWithCode(server.url);
  const a = connect(mentor);
  const b = connect(learner);
  await Promise.all([connected(a), connected(b)]);

  const first = await ask(a, "live:join", { code: code.toLowerCase().replace(/^(.{4})/, "$1-") });
  assert.equal(first.ok, true, JSON.stringify(first));
  assert.equal(first.sessionId, sessionId);
  assert.deepEqual(first.peers, []);
  assert.equal(first.polite, true);
  assert.deepEqual(first.iceServers, [{ urls: ["stun:127.0.0.1:3478"] }]);

  const joinedEvent = next(a, "live:peer-joined");
  const second = await ask(b, "live:join", { code });
  assert.equal(second.ok, true);
  assert.equal(second.polite, false, "one side yields on glare");
  assert.equal(second.peers.length, 1);
  assert.equal(second.peers[0].peerId, first.peerId);
  assert.deepEqual(second.peers[0].user, { id: second.peers[0].user.id, name: "Maya Mentor", role: "mentor" });
  assert.deepEqual(await joinedEvent, { peerId: second.peerId, user: { id: (await api(server.url, "GET", "/auth/me", learner)).body.id, name: "Leo Learner", role: "learner" } });

  // The second joiner offers; the offer and 100 candidates arrive in order.
  const received = [];
  const all = new Promise((resolve) => a.on("live:signal", (m) => { received.push(m); if (received.length === 101) resolve(); }));
  const offer = { type: "offer", sdp: "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n" };
  const acks = [ask(b, "live:signal", { to: first.peerId, data: offer })];
  for (let i = 0; i < 100; i++) {
    acks.push(ask(b, "live:signal", { to: first.peerId, data: { type: "candidate", candidate: { candidate: `candidate:${i}`, sdpMid: "0", sdpMLineIndex: 0 } } }));
  }
  for (const ack of await Promise.all(acks)) assert.deepEqual(ack, { ok: true });
  await all;
  assert.deepEqual(received[0], { from: second.peerId, data: offer });
  assert.deepEqual(received.slice(1).map((m) => m.data.candidate.candidate), [...Array(100).keys()].map((i) => `candidate:${i}`));

  // Errors keep the contract's codes.
  assert.equal((await ask(b, "live:signal", { to: "nobody", data: { type: "answer", sdp: "" } })).error.code, "unknown_peer");

  const left = next(a, "live:peer-left");
  assert.deepEqual(await ask(b, "live:leave", {}), { ok: true });
  assert.deepEqual(await left, { peerId: second.peerId, reason: "left" });
  assert.equal((await ask(b, "live:signal", { to: first.peerId, data: { type: "answer", sdp: "" } })).error.code, "not_joined");
  a.close();
  b.close();
});

test("codes that cannot be used are refused with the contract's codes", async () => {
  const { mentor, code } = await demoWithCode(server.url);
  const stranger = (await api(server.url, "POST", "/auth/register", null, { email: `s${Date.now()}@example.com`, password: "long enough", name: "S", role: "learner" })).body.token;
  const s = connect(stranger);
  const m = connect(mentor);
  await Promise.all([connected(s), connected(m)]);
  assert.equal((await ask(s, "live:join", { code })).error.code, "not_participant");
  assert.equal((await ask(m, "live:join", { code: "ABC" })).error.code, "malformed_code");
  assert.equal((await ask(m, "live:join", { code: code === "ABCDEFGH" ? "HGFEDCBA" : "ABCDEFGH" })).error.code, "unknown_code");
  // Malformed payloads get an error ack, never silence.
  for (const payload of [undefined, 42, "ABCDEFGH", { nope: 1 }, { code: 12345678 }]) {
    const reply = await ask(m, "live:join", payload);
    assert.equal(reply.ok, false, JSON.stringify(payload));
    assert.equal(reply.error.code, "invalid_input");
    assert.ok(reply.error.message.length > 0);
  }
  for (const payload of [undefined, { to: "x" }, { to: "x", data: "not an object" }, { data: {} }]) {
    assert.equal((await ask(m, "live:signal", payload)).error.code, "invalid_input", JSON.stringify(payload));
  }
  assert.equal((await ask(m, "live:dance", {})).error.code, "invalid_input");
  s.close();
  m.close();
});

test("an expired code cannot be joined", async () => {
  const shortLived = await startServer(["--live-code-ttl", "1"]);
  try {
    const { mentor, code } = await demoWithCode(shortLived.url);
    await new Promise((r) => setTimeout(r, 2100));
    const socket = io(shortLived.url, { transports: ["websocket"], auth: { token: mentor }, reconnection: false, forceNew: true });
    await connected(socket);
    const reply = await ask(socket, "live:join", { code });
    assert.equal(reply.error.code, "expired_code");
    assert.match(reply.error.message, /expired at/);
    socket.close();
  } finally {
    await shortLived.stop();
  }
});

test("the same user joining again replaces the earlier peer", async () => {
  const { mentor, learner, code } = await demoWithCode(server.url);
  const a1 = connect(mentor);
  const b = connect(learner);
  await Promise.all([connected(a1), connected(b)]);
  const first = await ask(a1, "live:join", { code });
  await ask(b, "live:join", { code });

  const a2 = connect(await login(server.url, "mentor@example.com"));
  await connected(a2);
  const toOld = next(a1, "live:peer-left");
  const toPartnerLeft = next(b, "live:peer-left");
  const toPartnerJoined = next(b, "live:peer-joined");
  const again = await ask(a2, "live:join", { code });
  assert.equal(again.ok, true);
  assert.notEqual(again.peerId, first.peerId);
  assert.equal(again.peers.length, 1, "the learner, not the old mentor peer");
  assert.deepEqual(await toOld, { peerId: first.peerId, reason: "replaced" });
  assert.deepEqual(await toPartnerLeft, { peerId: first.peerId, reason: "replaced" });
  assert.equal((await toPartnerJoined).peerId, again.peerId);
  // The replaced socket is out of the room.
  assert.equal((await ask(a1, "live:signal", { to: again.peers[0].peerId, data: { type: "offer", sdp: "" } })).error.code, "not_joined");
  for (const s of [a1, a2, b]) s.close();
});

test("a dropped peer resumes within the grace period unnoticed, and is dropped after it", async () => {
  const { mentor, learner, code, sessionId } = await demoWithCode(server.url);
  const a = connect(mentor);
  let b = connect(learner);
  await Promise.all([connected(a), connected(b)]);
  const mentorJoin = await ask(a, "live:join", { code });
  const partnerArrived = next(a, "live:peer-joined");
  const learnerJoin = await ask(b, "live:join", { code });
  await partnerArrived;

  // Drop and come back quickly with resumePeerId: same peer id, and the
  // mentor sees neither peer-left nor peer-joined.
  const quiet = Promise.all([nothing(a, "live:peer-left", GRACE_SECONDS * 1500), nothing(a, "live:peer-joined", GRACE_SECONDS * 1500)]);
  b.disconnect();
  // Let the server see the drop (a signal sent in the very instant of a drop
  // can be lost with the socket; the call engine recovers from that by an
  // ICE restart).
  await new Promise((r) => setTimeout(r, 100));
  // Signals sent while the learner is away are delivered, in order, when it
  // resumes.
  const padding = "x".repeat(20_000);
  for (let i = 0; i < 10; i++) {
    assert.deepEqual(await ask(a, "live:signal", { to: learnerJoin.peerId, data: { type: "candidate", n: i, padding } }), { ok: true });
  }
  if (server.redis) {
    // On a cluster they wait in a list of their own: the room's snapshot,
    // which every operation on the room loads and stores, stays small.
    const redis = (...args) => execFileSync("redis-cli", [...server.redis.args, "--raw", ...args]).toString().trim();
    const room = redis("STRLEN", `${server.redis.prefix}:room:${sessionId}`);
    assert.ok(Number(room) > 0 && Number(room) < 4096, `room snapshot ${room} bytes`);
    assert.equal(redis("LLEN", `${server.redis.prefix}:pending:${sessionId}:${learnerJoin.peerId}`), "10");
  }
  b = connect(learner);
  await connected(b);
  const delivered = [];
  const allDelivered = new Promise((resolve) => b.on("live:signal", (m) => delivered.push(m.data.n) === 10 && resolve()));
  const resumed = await ask(b, "live:join", { code, resumePeerId: learnerJoin.peerId });
  assert.equal(resumed.peerId, learnerJoin.peerId);
  assert.equal(resumed.polite, learnerJoin.polite);
  assert.deepEqual(resumed.peers.map((p) => p.peerId), [mentorJoin.peerId]);
  await allDelivered;
  assert.deepEqual(delivered, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  await quiet;

  // Drop for longer than the grace period: now the mentor hears it.
  const gone = next(a, "live:peer-left", GRACE_SECONDS * 3000);
  b.disconnect();
  assert.deepEqual(await gone, { peerId: learnerJoin.peerId, reason: "disconnected" });
  // A resume after that is a fresh join.
  b = connect(learner);
  await connected(b);
  const fresh = await ask(b, "live:join", { code, resumePeerId: learnerJoin.peerId });
  assert.notEqual(fresh.peerId, learnerJoin.peerId);
  a.close();
  b.close();
});
