// The web app's side of a live session, reduced to the contract: join with a
// code, perfect negotiation with the `polite` flag, trickle ICE both ways.
// State for the test driver is kept in `window.peer`.
(async () => {
  const params = new URLSearchParams(location.search);
  const state = (window.peer = { log: [], joined: null, connection: "new", error: null });
  const log = (what, detail) => state.log.push({ t: performance.now(), what, detail });
  try {
    const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 640, height: 480, frameRate: 30 } });
    const socket = io(params.get("server"), { transports: ["websocket"], auth: { token: params.get("token") } });
    await new Promise((resolve, reject) => {
      socket.once("connect", resolve);
      socket.once("connect_error", reject);
    });
    state.joinStarted = performance.now();
    const joined = await socket.emitWithAck("live:join", { code: params.get("code") });
    if (!joined.ok) throw new Error(`join refused: ${joined.error.code}`);
    state.joined = joined;
    const polite = joined.polite;
    let remotePeer = joined.peers[0]?.peerId ?? null;
    const weOffer = remotePeer !== null; // the second to join offers
    let pc = null;
    let makingOffer = false;
    let ignoreOffer = false;
    let mayOffer = weOffer;

    const send = (data) => remotePeer && socket.emit("live:signal", { to: remotePeer, data });

    const start = () => {
      pc = new RTCPeerConnection({ iceServers: joined.iceServers });
      state.pc = pc;
      for (const track of stream.getTracks()) pc.addTrack(track, stream);
      state.channel = pc.createDataChannel("mentorlive", { negotiated: true, id: 0 });
      state.channel.onmessage = (e) => log("message", e.data);
      pc.ontrack = ({ track, streams }) => {
        log("track", track.kind);
        if (track.kind === "video") {
          const video = document.getElementById("remote");
          video.srcObject = streams[0] ?? new MediaStream([track]);
          // The first remote frame presented: what a person would see.
          video.requestVideoFrameCallback(() => (state.firstFrameAt ??= performance.now()));
        }
      };
      pc.onconnectionstatechange = () => {
        state.connection = pc.connectionState;
        if (pc.connectionState === "connected" && !state.connectedAt) state.connectedAt = performance.now();
        log("connection", pc.connectionState);
      };
      pc.onicecandidate = ({ candidate }) =>
        send({ type: "candidate", candidate: candidate ? candidate.toJSON() : { candidate: "", sdpMid: null, sdpMLineIndex: null } });
      pc.onnegotiationneeded = async () => {
        if (!mayOffer) return;
        try {
          makingOffer = true;
          await pc.setLocalDescription();
          send({ type: pc.localDescription.type, sdp: pc.localDescription.sdp });
        } catch (err) {
          log("offer-error", String(err));
        } finally {
          makingOffer = false;
        }
      };
    };

    socket.on("live:peer-joined", ({ peerId }) => {
      log("peer-joined", peerId);
      remotePeer = peerId;
      pc?.close();
      mayOffer = false;
      start();
    });
    socket.on("live:peer-left", ({ peerId, reason }) => {
      log("peer-left", reason);
      if (peerId === remotePeer) {
        pc?.close();
        pc = null;
      }
    });
    socket.on("live:signal", async ({ from, data }) => {
      if (from !== remotePeer || !pc) return;
      try {
        if (data.type === "offer" || data.type === "answer") {
          const collision = data.type === "offer" && (makingOffer || pc.signalingState !== "stable");
          ignoreOffer = !polite && collision;
          if (ignoreOffer) return;
          await pc.setRemoteDescription({ type: data.type, sdp: data.sdp });
          if (data.type === "offer") {
            await pc.setLocalDescription();
            send({ type: pc.localDescription.type, sdp: pc.localDescription.sdp });
          }
          mayOffer = true; // renegotiation is allowed from now on
        } else if (data.type === "candidate") {
          try {
            await pc.addIceCandidate(data.candidate.candidate === "" ? undefined : data.candidate);
          } catch (err) {
            if (!ignoreOffer) log("candidate-error", String(err));
          }
        }
      } catch (err) {
        log("signal-error", String(err));
      }
    });

    if (remotePeer) start();
    window.leave = async () => {
      await socket.timeout(2000).emitWithAck("live:leave", {}).catch(() => {});
      pc?.close();
      socket.close();
    };
    state.ready = true;
  } catch (err) {
    state.error = String(err);
  }
})();

// What the driver reads: the inbound video and audio as the browser's own stats see them.
window.inboundStats = async () => {
  const pc = window.peer.pc;
  if (!pc) return null;
  const out = { video: null, audio: null, outbound: {} };
  for (const s of (await pc.getStats()).values()) {
    if (s.type === "inbound-rtp") out[s.kind] = { framesDecoded: s.framesDecoded ?? 0, packetsReceived: s.packetsReceived, packetsLost: s.packetsLost, jitter: s.jitter };
    if (s.type === "outbound-rtp") out.outbound[s.kind] = { packetsSent: s.packetsSent, framesEncoded: s.framesEncoded ?? null };
  }
  return out;
};
