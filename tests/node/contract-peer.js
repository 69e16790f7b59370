// A peer that speaks only the contract with the official socket.io-client, as
// the platform's web app does: joins a live code, answers every offer, and
// prints what it sees as JSON lines. Usage: node contract-peer.js URL TOKEN CODE
import { io } from "socket.io-client";

const [url, token, code] = process.argv.slice(2);
const socket = io(url, { transports: ["websocket"], auth: { token } });
const print = (kind, payload) => console.log(JSON.stringify({ kind, payload }));

socket.on("live:peer-joined", (p) => print("peer-joined", p));
socket.on("live:peer-left", (p) => print("peer-left", p));
socket.on("live:signal", async ({ from, data }) => {
  print("signal", { from, data });
  if (data.type === "offer") {
    const ack = await socket.emitWithAck("live:signal", { to: from, data: { type: "answer", sdp: `answer to ${data.sdp}` } });
    print("answer-ack", ack);
  }
});
socket.on("connect_error", (err) => {
  print("connect-error", err.message);
  process.exit(1);
});
socket.once("connect", async () => {
  const ack = await socket.emitWithAck("live:join", { code });
  print("joined", ack);
});
