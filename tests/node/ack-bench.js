// The same measurement as crates/mentorlive-signaling/examples/ack_bench.rs,
// with the official socket.io-client. Prints one JSON line of figures.
// Usage: node ack-bench.js SERVER_URL TOKEN_A TOKEN_B CODE COUNT WINDOW
import { io } from "socket.io-client";

const [url, tokenA, tokenB, code, countText, windowText] = process.argv.slice(2);
const count = Number(countText);
const window = Number(windowText);
const connect = (token) =>
  new Promise((resolve, reject) => {
    const socket = io(url, { transports: ["websocket"], auth: { token } });
    socket.once("connect", () => resolve(socket));
    socket.once("connect_error", reject);
  });

const a = await connect(tokenA);
const b = await connect(tokenB);
await a.emitWithAck("live:join", { code });
const joinedB = await b.emitWithAck("live:join", { code });
b.on("live:signal", () => {});
const target = joinedB.peerId;
const payload = { type: "candidate", candidate: { candidate: "candidate:1 1 udp 2122260223 127.0.0.1 54321 typ host", sdpMid: "0", sdpMLineIndex: 0 } };
const signal = async () => {
  const ack = await a.timeout(10_000).emitWithAck("live:signal", { to: target, data: payload });
  if (!ack.ok) throw new Error(JSON.stringify(ack));
};
for (let i = 0; i < 200; i++) await signal();

const latencies = [];
const started = performance.now();
let sent = 0;
async function worker() {
  while (sent < count) {
    sent++;
    const t = performance.now();
    await signal();
    latencies.push(performance.now() - t);
  }
}
await Promise.all(Array.from({ length: window }, worker));
const elapsed = (performance.now() - started) / 1000;
latencies.sort((x, y) => x - y);
const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))];
console.log(JSON.stringify({ client: "node (socket.io-client)", messages: count, window, per_second: Math.round(count / elapsed), p50_ms: pct(0.5), p99_ms: pct(0.99) }));
a.close();
b.close();
