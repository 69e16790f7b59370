// The official Node socket.io server, for testing our Rust client against it.
// Prints `listening on PORT`. Short ping settings so dead-connection tests are
// quick; connection-state recovery on, so events carry offsets.
import { createServer } from "node:http";
import { Server } from "socket.io";

const http = createServer();
const io = new Server(http, {
  pingInterval: Number(process.env.PING_INTERVAL ?? 300),
  pingTimeout: Number(process.env.PING_TIMEOUT ?? 200),
  connectionStateRecovery: { maxDisconnectionDuration: 60_000 },
});

io.use((socket, next) => {
  if (socket.recovered || socket.handshake.auth?.token === "good") next();
  else next(new Error("unauthorized"));
});

io.on("connection", (socket) => {
  socket.emit("hello", { recovered: socket.recovered });
  socket.on("echo", (...args) => {
    const ack = args.pop();
    ack(...args);
  });
  socket.on("push", (count) => {
    for (let i = 0; i < count; i++) socket.emit("pushed", i);
  });
  socket.on("binary", (buffer, ack) => ack(Buffer.concat([buffer, Buffer.from([255])])));
  socket.on("ask-client", async () => {
    const reply = await socket.timeout(2000).emitWithAck("question", 41);
    socket.emit("answer", reply);
  });
});

http.listen(0, "127.0.0.1", () => console.log(`listening on ${http.address().port}`));
