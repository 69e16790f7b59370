// A call in the browser, speaking the platform's contract exactly
// (shared/protocol.md): the official socket.io-client for signaling, the
// browser's RTCPeerConnection under W3C perfect negotiation, and the
// negotiated data channel (id 0, "mentorlive") for chat and media state.
// It reports the same events the desktop engine does, so the call screen
// is one screen. A screen share is a video track on a transceiver of its
// own, announced with its mid; the partner's is told from their camera by
// the mid they announce.

import { io, type Socket } from "socket.io-client";
import { AppError } from "../errors";
import type { CallEvent, CallState, CallStats, ChatMessage, EndReason, LeaveReason, PeerUser, SignalData } from "../generated/types";
import { codeErrorMessage } from "../code";
import { exposeForTests } from "../testHooks";
import { pickDisplay, ShareRefused } from "../media/displayCapture";
import { PartnerConsent } from "../call/partnerConsent";
import type { CallConnection, CallStart } from "./backend";
import { relayOnly, sendCallReport, token } from "./web";
import { inboundStats, type Counters } from "./webStats";
import { WebReportMeter } from "./webReport";
import { isNewConnection } from "./sdp";

type JoinAck =
  | { ok: true; sessionId: string; peerId: string; polite: boolean; peers: { peerId: string; user: PeerUser }[]; iceServers: RTCIceServer[] }
  | { ok: false; error: { code: string; message: string } };

/** How long a `live:leave` may wait for its ack when hanging up. */
const LEAVE_TIMEOUT_MS = 2000;
/** How long to wait on a path that dropped before restarting ICE. */
const ICE_RESTART_AFTER_MS = 2000;
const CHAT_MAX = 2000;

export function startWebCall(start: CallStart): CallConnection {
  const { request, onEvent } = start;
  // The setting as it was when the call began ("from the next call").
  const relayOnlyCall = relayOnly();
  const remoteVideo = start.remote as HTMLVideoElement;
  const remoteScreen = start.remoteScreen as HTMLVideoElement;
  let stream = request.stream;
  let stopped = false;
  let state: CallState | null = null;
  let socket: Socket | null = null;
  let peerId: string | null = null;
  let polite = false;
  let partner: string | null = null;
  let pc: RTCPeerConnection | null = null;
  // The servers the current connection was made with (a new one of the
  // partner's is followed with the same).
  let pcIceServers: RTCIceServer[] = [];
  let channel: RTCDataChannel | null = null;
  let audioSender: RTCRtpSender | null = null;
  let videoSender: RTCRtpSender | null = null;
  // The contract: the peer that joins second sends the first offer; the
  // one that waited offers only after that first exchange (an ICE restart).
  let mayOffer = false;
  // In the room on the current socket. Signals made while not (the socket
  // dropped, the rejoin not yet acknowledged) wait here: the server refuses
  // them as not_joined until the resume, and a lost offer would leave the
  // negotiation hanging.
  let inRoom = false;
  let heldSignals: { to: string; data: SignalData }[] = [];
  let isSettingRemoteAnswerPending = false;
  let makingOffer = false;
  let ignoreOffer = false;
  let restartTimer: number | undefined;
  const seenChat = new Set<string>();
  let counters: Counters | null = null;
  let media = start.media();
  // Our screen share: the track, its transceiver on this connection, and
  // the mid told to the partner for it.
  let screenTrack: MediaStreamTrack | null = null;
  let screenTransceiver: RTCRtpTransceiver | null = null;
  let announcedMid: string | null = null;
  // The partner's: the mid they announced.
  let partnerScreenMid: string | null = null;
  let sharePending = false;
  // The call's figures for the platform, sent once when it ends.
  const meter = new WebReportMeter();
  let sessionId: string | null = null;
  let partnerHadLeft = false;
  let reported = false;

  const emit = (event: CallEvent) => !stopped && onEvent(event);
  const setState = (next: CallState) => {
    if (state === next) return;
    state = next;
    meter.state(next);
    emit({ event: "state", state: next });
  };
  /** Ends the report (once), shows it to the screen and sends it. */
  const finishReport = (reason: EndReason) => {
    if (reported) return;
    reported = true;
    const report = meter.finish(reason);
    if (!report || !sessionId) return;
    emit({ event: "report", report });
    sendCallReport(sessionId, report);
  };
  /** Why the call ended when we leave it now. */
  const leavingReason = (): EndReason => (partner === null && partnerHadLeft ? "partner_left" : state === "reconnecting" ? "connection_lost" : "hangup");
  const fail = (message: string) => !stopped && start.onFail(message);
  const signal = (data: SignalData) => {
    if (!socket || !partner) return;
    if (inRoom && socket.connected) socket.emit("live:signal", { to: partner, data });
    else heldSignals.push({ to: partner, data });
  };
  const flushSignals = () => {
    const held = heldSignals;
    heldSignals = [];
    for (const { to, data } of held) if (to === partner) socket?.emit("live:signal", { to, data });
  };
  /** Sends on the data channel; false when it is not open (the message
   *  is not sent: the caller says it again once the channel opens). */
  const sendData = (message: object): boolean => {
    if (channel?.readyState !== "open") return false;
    channel.send(JSON.stringify(message));
    return true;
  };
  const sendMediaState = () => sendData({ type: "media", audioMuted: media.muted, videoOff: media.cameraOff, screen: screenTrack !== null });

  /** After a local description is set: tell the partner our screen's mid. */
  const announceScreen = () => {
    const mid = screenTrack ? (screenTransceiver?.mid ?? null) : null;
    if (!mid || mid === announcedMid) return;
    // Only a message that left counts as said: the channel's open says it again.
    if (sendData({ type: "screen", active: true, mid })) announcedMid = mid;
  };

  /** The partner's camera and screen, each to its element: the screen is
   *  the video whose transceiver has the announced mid; the camera is the
   *  first other video, with the audio. */
  const route = () => {
    const peer = pc;
    if (!peer) return;
    const receiving = peer.getTransceivers().filter((t) => t.mid !== null && t.receiver.track.readyState === "live");
    const audio = receiving.filter((t) => t.receiver.track.kind === "audio").map((t) => t.receiver.track);
    const videos = receiving.filter((t) => t.receiver.track.kind === "video");
    const screen = partnerScreenMid ? videos.find((t) => t.mid === partnerScreenMid) : undefined;
    // The camera comes back on the m-line ours goes on: the first video,
    // whose sender carries our camera (never our screen's transceiver).
    const camera = videos.find((t) => t.sender === videoSender) ?? videos.find((t) => t !== screen && t !== screenTransceiver);
    const cameraTracks = [...audio, ...(camera ? [camera.receiver.track] : [])];
    const current = remoteVideo.srcObject as MediaStream | null;
    const same = current && current.getTracks().length === cameraTracks.length && cameraTracks.every((t) => current.getTracks().includes(t));
    if (!same) {
      remoteVideo.srcObject = new MediaStream(cameraTracks);
      remoteVideo.play().catch(() => {});
    }
    const screenTrackIn = screen?.receiver.track ?? null;
    const shown = (remoteScreen.srcObject as MediaStream | null)?.getVideoTracks()[0] ?? null;
    if (screenTrackIn !== shown) {
      remoteScreen.srcObject = screenTrackIn ? new MediaStream([screenTrackIn]) : null;
      if (screenTrackIn) remoteScreen.play().catch(() => {});
    }
  };

  const applyMedia = () => {
    stream.getAudioTracks().forEach((t) => (t.enabled = !media.muted));
    stream.getVideoTracks().forEach((t) => (t.enabled = !media.cameraOff));
  };

  const closePeer = () => {
    if (pc) meter.peerClosed();
    window.clearTimeout(restartTimer);
    channel?.close();
    pc?.close();
    pc = null;
    channel = null;
    audioSender = videoSender = null;
    counters = null;
    screenTransceiver = null;
    announcedMid = null;
    // An ended track can leave its last frame on screen behind "Waiting for…".
    remoteVideo.srcObject = null;
    if (partnerScreenMid) {
      partnerScreenMid = null;
      remoteScreen.srcObject = null;
      emit({ event: "partner_screen", share: { active: false } });
    }
  };

  /** Puts our screen track on a transceiver of its own, as the contract
   *  says (a new m-line, sendonly); the same one again after a stop.
   *  Negotiation follows by itself (negotiationneeded). */
  const attachScreen = async (peer: RTCPeerConnection, track: MediaStreamTrack) => {
    if (screenTransceiver && peer.getTransceivers().includes(screenTransceiver)) {
      await screenTransceiver.sender.replaceTrack(track);
      screenTransceiver.direction = "sendonly";
      return;
    }
    screenTransceiver = peer.addTransceiver(track, { direction: "sendonly", streams: [new MediaStream([track])] });
  };

  // The recorded side of recording consent (this client does not record).
  const consent = new PartnerConsent({
    send: (message) => void sendData(message),
    show: (recording) => emit({ event: "recording", recording }),
    setTimer: (ms, run) => {
      const timer = window.setTimeout(run, ms);
      return () => window.clearTimeout(timer);
    },
  });

  const onMessage = (text: unknown) => {
    if (typeof text !== "string" || text.length > 64 * 1024) return;
    let message: { type?: unknown; [k: string]: unknown };
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    switch (message.type) {
      case "chat": {
        const { id, text: line, sentAt } = message;
        if (typeof id !== "string" || typeof line !== "string" || line.length === 0 || line.length > CHAT_MAX || seenChat.has(id)) return;
        seenChat.add(id);
        emit({ event: "chat", message: { id, text: line, sentAt: typeof sentAt === "string" ? sentAt : new Date().toISOString() } });
        break;
      }
      case "media":
        // A partner who says they share nothing has stopped, even if their
        // `screen` stop was lost on the way.
        if (message.screen !== true && partnerScreenMid !== null) {
          partnerScreenMid = null;
          route();
          emit({ event: "partner_screen", share: { active: false } });
        }
        emit({ event: "partner_media", state: { audioMuted: message.audioMuted === true, videoOff: message.videoOff === true, screen: message.screen === true } });
        break;
      case "screen": {
        const mid = message.active === true && typeof message.mid === "string" ? message.mid : null;
        if (message.active === true && !mid) return;
        if (mid === partnerScreenMid) return; // said again after a reconnect
        partnerScreenMid = mid;
        route();
        emit({ event: "partner_screen", share: { active: mid !== null, mid: mid ?? undefined } });
        break;
      }
      case "record":
        consent.onMessage(message.action, message.id);
        break;
      // `keyframe`: RTCP PLI already asks the browser's encoder; unknown types are ignored.
    }
  };

  /** Sends our camera and microphone on the offer's audio and video
   *  m-lines. JSEP matches a remote offer's m-lines only to transceivers
   *  made by addTrack, never to ones made by addTransceiver, so the side
   *  that answers takes the transceivers the offer made (and a person
   *  without a device still answers sendrecv: the partner's media comes). */
  const adoptOfferedTransceivers = async (peer: RTCPeerConnection) => {
    for (const t of peer.getTransceivers()) {
      const kind = t.receiver.track.kind;
      if (t.currentDirection === "stopped" || t === screenTransceiver) continue;
      // The partner's screen is not their camera: it is answered as it is.
      if (partnerScreenMid !== null && t.mid === partnerScreenMid) continue;
      if (kind === "audio" && !audioSender) {
        audioSender = t.sender;
        await t.sender.replaceTrack(stream.getAudioTracks()[0] ?? null);
        t.sender.setStreams?.(stream);
        t.direction = "sendrecv";
      } else if (kind === "video" && !videoSender) {
        videoSender = t.sender;
        await t.sender.replaceTrack(stream.getVideoTracks()[0] ?? null);
        t.sender.setStreams?.(stream);
        t.direction = "sendrecv";
      }
    }
  };

  /** A fresh peer connection for `partner`; the newcomer offers. */
  const newPeer = (iceServers: RTCIceServer[], weOffer: boolean) => {
    closePeer();
    // Relay only: the partner learns no address of this machine.
    const peer = new RTCPeerConnection({ iceServers, iceTransportPolicy: relayOnlyCall ? "relay" : "all" });
    pc = peer;
    pcIceServers = iceServers;
    if (weOffer) {
      // Both directions always exist, with or without a device here: a
      // person without a camera still sees the partner's.
      const audioTrack = stream.getAudioTracks()[0];
      const videoTrack = stream.getVideoTracks()[0];
      audioSender = peer.addTransceiver(audioTrack ?? "audio", { direction: "sendrecv", streams: [stream] }).sender;
      videoSender = peer.addTransceiver(videoTrack ?? "video", { direction: "sendrecv", streams: [stream] }).sender;
    }
    // A share in progress goes on the new connection too (with the first
    // offer when we make it; otherwise negotiated once that is answered).
    if (screenTrack && weOffer) void attachScreen(peer, screenTrack);
    const dc = peer.createDataChannel("mentorlive", { negotiated: true, id: 0, ordered: true });
    channel = dc;
    dc.onopen = () => {
      sendMediaState();
      announceScreen();
    };
    dc.onmessage = (e) => onMessage(e.data);

    peer.ontrack = ({ track }) => {
      track.addEventListener("unmute", route);
      route();
    };
    peer.onicecandidate = ({ candidate }) =>
      signal({ type: "candidate", candidate: candidate ? { candidate: candidate.candidate, sdpMid: candidate.sdpMid, sdpMLineIndex: candidate.sdpMLineIndex } : { candidate: "", sdpMid: null, sdpMLineIndex: null } });
    peer.onnegotiationneeded = async () => {
      if (!mayOffer) return;
      try {
        makingOffer = true;
        await peer.setLocalDescription();
        const local = peer.localDescription;
        if (local && pc === peer) signal({ type: local.type as "offer", sdp: local.sdp });
        if (pc === peer) announceScreen();
      } catch (err) {
        // Brief during glare or a rollback; the next negotiation or ICE
        // restart recovers, as in the W3C example.
        console.warn("offer not made", err);
      } finally {
        makingOffer = false;
      }
    };
    peer.onconnectionstatechange = () => {
      if (pc !== peer) return;
      switch (peer.connectionState) {
        case "connected":
          window.clearTimeout(restartTimer);
          setState("connected");
          // The contract: the media state after each (re)connect.
          sendMediaState();
          break;
        case "disconnected":
        case "failed":
          setState("reconnecting");
          // A path that dropped: a new one is looked for (an ICE restart,
          // offered by whichever side gets there; glare is handled).
          window.clearTimeout(restartTimer);
          restartTimer = window.setTimeout(() => pc === peer && peer.restartIce(), peer.connectionState === "failed" ? 0 : ICE_RESTART_AFTER_MS);
          break;
      }
    };
  };

  const onSignal = async (from: string, data: SignalData) => {
    const peer = pc;
    if (from !== partner || !peer) return;
    if (data.type === "offer" && isNewConnection(peer.remoteDescription?.sdp, data.sdp)) {
      // The partner made its connection again (it never came up on their
      // side): ours follows, and answers from a new one.
      newPeer(pcIceServers, false);
      makingOffer = false;
      ignoreOffer = false;
      return onSignal(from, data);
    }
    try {
      if (data.type === "offer" || data.type === "answer") {
        // W3C perfect negotiation: an answer being applied is no collision.
        const readyForOffer = !makingOffer && (peer.signalingState === "stable" || isSettingRemoteAnswerPending);
        const collision = data.type === "offer" && !readyForOffer;
        ignoreOffer = !polite && collision;
        if (ignoreOffer) return;
        isSettingRemoteAnswerPending = data.type === "answer";
        try {
          await peer.setRemoteDescription({ type: data.type, sdp: data.sdp });
        } finally {
          isSettingRemoteAnswerPending = false;
        }
        mayOffer = true;
        if (data.type === "offer") {
          await adoptOfferedTransceivers(peer);
          await peer.setLocalDescription();
          const local = peer.localDescription;
          if (local) signal({ type: "answer", sdp: local.sdp });
          announceScreen();
          // A share waiting for this connection goes now (its offer follows).
          if (screenTrack && !screenTransceiver) await attachScreen(peer, screenTrack);
        }
        route();
      } else if (data.type === "candidate") {
        try {
          await peer.addIceCandidate(data.candidate.candidate === "" ? undefined : data.candidate);
        } catch (err) {
          if (!ignoreOffer) throw err;
        }
      }
    } catch (err) {
      if (pc === peer) console.warn("signal not applied", err);
    }
  };

  const meet = (id: string, user: PeerUser, iceServers: RTCIceServer[], weOffer: boolean) => {
    partner = id;
    mayOffer = weOffer;
    emit({ event: "peer_present", peer_id: id, user });
    setState("connecting");
    newPeer(iceServers, weOffer);
  };

  const join = async () => {
    const bearer = token();
    if (!bearer) throw new AppError("unauthorized", "Sign in again to join.");
    const s = io(location.origin, { transports: ["websocket"], auth: { token: bearer }, reconnectionDelayMax: 2000 });
    socket = s;
    let iceServers: RTCIceServer[] = [];
    const sendJoin = async (resume: boolean): Promise<JoinAck> => s.timeout(10_000).emitWithAck("live:join", resume && peerId ? { code: request.code, resumePeerId: peerId } : { code: request.code });

    s.on("live:peer-joined", ({ peerId: id, user }: { peerId: string; user: PeerUser }) => {
      // A newcomer (or the partner from another device): the newcomer offers.
      meet(id, user, iceServers, false);
    });
    s.on("live:peer-left", ({ peerId: id, reason }: { peerId: string; reason: LeaveReason }) => {
      if (id === peerId && reason === "replaced") {
        emit({ event: "replaced" });
        setState("ended");
        finishReport("replaced");
        shutDown();
        return;
      }
      if (id !== partner) return;
      emit({ event: "peer_left", peer_id: id, reason });
      if (reason === "left") consent.partnerLeft();
      partnerHadLeft = true;
      partner = null;
      closePeer();
      setState("waiting_for_peer");
    });
    s.on("live:signal", ({ from, data }: { from: string; data: SignalData }) => void onSignal(from, data));
    s.on("connect_error", (err) => {
      if (err.message === "unauthorized") fail("The server no longer accepts this sign-in. Sign in again.");
    });
    s.on("disconnect", () => {
      inRoom = false;
    });
    // The media path does not depend on the socket: after a drop, rejoin
    // with the same peer id and the partner sees nothing of it. On the
    // namespace's connect (not the manager's reconnect, which comes before
    // it), and again until the server answers.
    const resume = () => {
      if (stopped || !peerId || !s.connected) return;
      sendJoin(true)
        .then((ack) => {
          if (!ack.ok) return fail(codeErrorMessage(ack.error.code as never, ack.error.message));
          inRoom = true;
          if (ack.peerId === peerId) {
            // Resumed: nothing changed for anyone. What waited goes now, and
            // a path that dropped meanwhile is looked for again.
            flushSignals();
            if (pc && mayOffer && pc.connectionState !== "connected" && pc.connectionState !== "new") pc.restartIce();
            return;
          }
          heldSignals = [];
          // The grace period had passed: this is a fresh join, and the
          // partner saw us leave. Start again from what the room holds.
          peerId = ack.peerId;
          meter.joined(ack.peerId);
          polite = ack.polite;
          iceServers = ack.iceServers;
          const first = ack.peers[0];
          if (first) meet(first.peerId, first.user, iceServers, true);
          else {
            partner = null;
            closePeer();
            setState("waiting_for_peer");
          }
        })
        .catch(() => window.setTimeout(resume, 1000));
    };
    s.on("connect", () => {
      if (peerId) resume();
    });

    await new Promise<void>((resolve, reject) => {
      s.once("connect", () => resolve());
      s.once("connect_error", (err) => reject(err.message === "unauthorized" ? new AppError("unauthorized", "Sign in again to join.") : new AppError("network", "Could not reach the signaling server.")));
    });
    const ack = await sendJoin(false);
    if (!ack.ok) throw new AppError(ack.error.code as never, ack.error.message);
    if (relayOnlyCall && !ack.iceServers.some((s) => s.credential && [s.urls].flat().some((u) => /^turns?:/.test(u)))) {
      await s.timeout(3000).emitWithAck("live:leave", {}).catch(() => {});
      throw new AppError("no_relay", "Relay only is on, and this server offers no relay (TURN) to connect through.");
    }
    if (stopped) return;
    inRoom = true;
    peerId = ack.peerId;
    sessionId = ack.sessionId;
    meter.joined(ack.peerId);
    polite = ack.polite;
    iceServers = ack.iceServers;
    emit({ event: "joined", session_id: ack.sessionId, peer_id: ack.peerId, polite: ack.polite });
    const first = ack.peers[0];
    if (first) meet(first.peerId, first.user, iceServers, true);
    else setState("waiting_for_peer");
  };

  // Figures once a second: the quality indicator and the test hooks.
  const statsTimer = window.setInterval(async () => {
    if (!pc || !state) return;
    const peer = pc;
    const figures = await inboundStats(peer, counters, { ours: announcedMid, partners: partnerScreenMid }).catch(() => null);
    if (!figures || stopped) return;
    counters = figures.counters;
    // Only the connection still in use: a closed one's totals are counted.
    if (pc === peer) meter.sample(figures.raw, [announcedMid, partnerScreenMid]);
    const stats: CallStats = { ...figures.stats, state };
    emit({ event: "stats", stats });
    exposeForTests("mentorliveEngineStats", stats);
  }, 1000);

  const shutDown = () => {
    stopped = true;
    window.removeEventListener("pagehide", onPageHide);
    // Nothing is captured once the call is over (replaced, ended, failed).
    screenTrack?.stop();
    screenTrack = null;
    window.clearInterval(statsTimer);
    closePeer();
    socket?.close();
    socket = null;
  };

  // Closing the tab mid-call: the partner hears `left` and the report goes
  // (`keepalive` carries it past the page's end).
  const onPageHide = () => {
    if (stopped) return;
    const reason = leavingReason();
    if (socket?.connected) socket.emit("live:leave", {});
    finishReport(reason);
  };
  window.addEventListener("pagehide", onPageHide);

  applyMedia();
  start.local.srcObject = stream;
  join().catch((e: AppError | Error) => {
    fail("code" in e ? codeErrorMessage(e.code, e.message) : e.message);
    // No socket may go on trying to join for a call that failed.
    shutDown();
  });
  exposeForTests("mentorliveWebCall", { peer: () => pc, screenMid: () => announcedMid, partnerScreenMid: () => partnerScreenMid });

  const stopSharing = (notice: string | null) => {
    const track = screenTrack;
    if (!track) return;
    screenTrack = null;
    announcedMid = null;
    track.stop();
    sendData({ type: "screen", active: false });
    sendMediaState();
    const t = screenTransceiver;
    if (t && pc?.getTransceivers().includes(t)) {
      void t.sender.replaceTrack(null);
      // As the contract says; the next share reuses it.
      t.direction = "inactive";
    }
    meter.screen(false);
    start.onLocalScreen(false, notice);
  };

  return {
    setMediaState(muted, cameraOff) {
      media = { muted, cameraOff };
      applyMedia();
      sendMediaState();
    },
    async sendChat(text) {
      const line = text.trim();
      if (line.length === 0 || line.length > CHAT_MAX) throw new AppError("invalid_chat", `A message has 1 to ${CHAT_MAX} characters.`);
      if (channel?.readyState !== "open") throw new AppError("not_connected", "The message could not be sent: the call is not connected.");
      const message: ChatMessage = { text: line, id: crypto.randomUUID(), sentAt: new Date().toISOString() };
      channel.send(JSON.stringify({ type: "chat", ...message }));
      return message;
    },
    async carryOnWith(next) {
      stream = next;
      applyMedia();
      start.local.srcObject = next;
      // replaceTrack: the same m-lines, nothing renegotiated.
      await audioSender?.replaceTrack(next.getAudioTracks()[0] ?? null);
      await videoSender?.replaceTrack(next.getVideoTracks()[0] ?? null);
    },
    async shareScreen() {
      if (screenTrack || sharePending) return;
      if (!pc || state !== "connected") throw new ShareRefused("Wait until the call has started to share your screen.");
      sharePending = true;
      let track: MediaStreamTrack;
      try {
        track = await pickDisplay();
      } finally {
        sharePending = false;
      }
      if (stopped) return track.stop();
      screenTrack = track;
      track.addEventListener("ended", () => screenTrack === track && stopSharing("What you shared is gone (the window was closed or the browser stopped it), so sharing stopped."));
      if (pc) await attachScreen(pc, track);
      sendMediaState();
      meter.screen(true);
      start.onLocalScreen(true, null);
    },
    stopScreen: () => stopSharing(null),
    record: () => Promise.reject(new AppError("recording_failed", "Recording is in the desktop app.")),
    stopRecording: () => {},
    answerRecording: (accept) => consent.answer(accept),
    revokeRecording: () => consent.revoke(),
    async setSpeaker(id) {
      const sink = remoteVideo as HTMLVideoElement & { setSinkId?: (id: string) => Promise<void> };
      await sink.setSinkId?.(id ?? "").catch(() => {});
    },
    async hangUp() {
      // The screen stops at the click, not when the room has answered.
      stopSharing(null);
      const s = socket;
      const reason = leavingReason();
      if (s?.connected) await s.timeout(LEAVE_TIMEOUT_MS).emitWithAck("live:leave", {}).catch(() => {});
      setState("ended");
      finishReport(reason);
      shutDown();
    },
    close() {
      if (!stopped && socket?.connected) socket.emit("live:leave", {});
      if (!stopped) finishReport(leavingReason());
      screenTrack?.stop();
      screenTrack = null;
      shutDown();
    },
  };
}
