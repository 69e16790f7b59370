import { useCallback, useEffect, useRef, useState, type FormEvent } from "react";
import { Channel } from "@tauri-apps/api/core";
import { api, AppError, type CallEvent, type CallState, type CallStats } from "../api";
import { codeErrorMessage } from "../code";
import { MediaBridge } from "../media/bridge";
import { MediaReceiver } from "../media/receiver";
import { MediaSender } from "../media/sender";
import { useSpeaker } from "../media/devices";
import { warmUpWebCodecs, webCodecsAvailable } from "../media/warmup";
import type { JoinRequest } from "./PreJoin";

type ChatLine = { from: "me" | "partner"; text: string; at: number };

export function quality(stats: CallStats | null): { level: "good" | "fair" | "poor" | "unknown"; detail: string } {
  if (!stats) return { level: "unknown", detail: "No figures yet" };
  const rtt = stats.rttMs ?? 0;
  const loss = stats.loss * 100;
  const detail = `Round trip ${stats.rttMs == null ? "–" : `${Math.round(rtt)} ms`} · loss ${loss.toFixed(1)}% · in ${Math.round(stats.bitrateInKbps)} kbit/s · out ${Math.round(stats.bitrateOutKbps)} kbit/s`;
  if (loss < 2 && rtt < 200) return { level: "good", detail };
  if (loss < 8 && rtt < 500) return { level: "fair", detail };
  return { level: "poor", detail };
}

function elapsed(ms: number): string {
  const s = Math.floor(ms / 1000);
  const mm = String(Math.floor(s / 60) % 60).padStart(2, "0");
  const ss = String(s % 60).padStart(2, "0");
  return s >= 3600 ? `${Math.floor(s / 3600)}:${mm}:${ss}` : `${mm}:${ss}`;
}

/** The call: the partner's video large, ours small, the controls below. */
export function InCall(props: { request: JoinRequest; onLeft: () => void }) {
  const { request } = props;
  const [state, setState] = useState<CallState | "joining">("joining");
  const [error, setError] = useState<string | null>(null);
  const [partner, setPartner] = useState<{ name: string; audioMuted: boolean; videoOff: boolean; present: boolean }>({ name: request.partnerName, audioMuted: false, videoOff: false, present: false });
  const [partnerLeft, setPartnerLeft] = useState(false);
  const [muted, setMuted] = useState(request.startMuted);
  const [cameraOff, setCameraOff] = useState(request.startCameraOff);
  const [stats, setStats] = useState<CallStats | null>(null);
  const [connectedAt, setConnectedAt] = useState<number | null>(null);
  const [now, setNow] = useState(Date.now());
  const [chat, setChat] = useState<ChatLine[]>([]);
  const [draft, setDraft] = useState("");
  const [ended, setEnded] = useState<string | null>(null);
  const remote = useRef<HTMLCanvasElement>(null);
  const local = useRef<HTMLVideoElement>(null);
  const stage = useRef<HTMLDivElement>(null);
  const sender = useRef<MediaSender | null>(null);
  const mediaState = useRef({ muted, cameraOff });
  mediaState.current = { muted, cameraOff };

  const leave = useCallback(async () => {
    await api.callHangUp().catch(() => {});
    props.onLeft();
  }, [props]);

  useEffect(() => {
    let stopped = false;
    let bridge: MediaBridge | null = null;
    let send: MediaSender | null = null;
    let receive: MediaReceiver | null = null;
    const audioContext = new AudioContext({ sampleRate: 48_000, latencyHint: "interactive" });
    if (local.current) local.current.srcObject = request.stream;
    const fail = (message: string) => !stopped && setError(message);

    const onEvent = new Channel<CallEvent>();
    onEvent.onmessage = (event) => {
      switch (event.event) {
        case "state":
          setState(event.state);
          if (event.state === "connected") {
            setConnectedAt((at) => at ?? Date.now());
            setPartnerLeft(false);
            send?.requestKeyframe();
          }
          if (event.state === "ended") setEnded("The call has ended.");
          break;
        case "peer_present":
          // The engine tells the newcomer our media state itself.
          setPartner((p) => ({ ...p, name: event.user.name, present: true }));
          setPartnerLeft(false);
          break;
        case "peer_left":
          setPartner((p) => ({ ...p, present: false }));
          if (event.reason === "left") setPartnerLeft(true);
          break;
        case "keyframe_requested":
          send?.requestKeyframe();
          break;
        case "target_bitrate":
          send?.setTargetBitrate(event.bps);
          break;
        case "stats":
          setStats(event.stats);
          (window as unknown as { mentorliveEngineStats: CallStats }).mentorliveEngineStats = event.stats;
          break;
        case "chat":
          setChat((c) => [...c.slice(-199), { from: "partner", text: event.message.text, at: Date.now() }]);
          break;
        case "partner_media":
          setPartner((p) => ({ ...p, audioMuted: event.state.audioMuted, videoOff: event.state.videoOff }));
          break;
        case "replaced":
          setEnded("You joined this session from another device, so this window left the call.");
          break;
      }
    };

    (async () => {
      if (!webCodecsAvailable()) throw new AppError("no_webcodecs", "This system's web engine cannot encode video (WebCodecs is missing).");
      warmUpWebCodecs();
      const joined = await api.joinCall(request.code, onEvent);
      if (stopped) return;
      // The engine keeps it and tells the partner on every (re)connect.
      api.callSetMediaState(mediaState.current.muted, mediaState.current.cameraOff).catch(() => {});
      bridge = new MediaBridge(joined.bridgeUrl, {
        onChunk: (c) => receive?.push(c),
        onKeyframeWanted: () => send?.requestKeyframe(),
        onClose: () => fail("The connection to the call engine closed."),
      });
      receive = new MediaReceiver(() => bridge, remote.current!, audioContext, fail);
      send = new MediaSender(bridge, local.current!, request.stream, audioContext, fail);
      send.setAudioMuted(mediaState.current.muted);
      send.setVideoOff(mediaState.current.cameraOff);
      sender.current = send;
      await useSpeaker(audioContext, request.speakerId);
      await receive.start();
      await send.start();
      await audioContext.resume();
      // What the end-to-end test and the benchmark read. Figures only.
      (window as unknown as { mentorliveCall: unknown }).mentorliveCall = { sender: send.stats, receiver: receive.stats, audioState: () => audioContext.state, glassToGlassMs: receive.glassToGlassMs };
    })().catch((e: AppError | Error) => fail("code" in e ? codeErrorMessage(e.code, e.message) : e.message));

    return () => {
      stopped = true;
      api.callHangUp().catch(() => {});
      send?.stop();
      receive?.stop();
      bridge?.close();
      audioContext.close();
      request.stream.getTracks().forEach((t) => t.stop());
      sender.current = null;
    };
  }, [request]);

  // Mute and camera: the sender stops sending, the partner is told.
  useEffect(() => {
    sender.current?.setAudioMuted(muted);
    sender.current?.setVideoOff(cameraOff);
    request.stream.getVideoTracks().forEach((t) => (t.enabled = !cameraOff));
    if (state !== "joining") api.callSetMediaState(muted, cameraOff).catch(() => {});
  }, [muted, cameraOff]); // eslint-disable-line react-hooks/exhaustive-deps

  useEffect(() => {
    const timer = window.setInterval(() => setNow(Date.now()), 1000);
    return () => window.clearInterval(timer);
  }, []);

  // M: mute, V: camera, except while typing.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const typing = e.target instanceof HTMLInputElement || e.target instanceof HTMLTextAreaElement;
      if (typing || e.ctrlKey || e.metaKey || e.altKey) return;
      if (e.key === "m" || e.key === "M") setMuted((m) => !m);
      if (e.key === "v" || e.key === "V") setCameraOff((c) => !c);
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  const sendChat = async (e: FormEvent) => {
    e.preventDefault();
    const text = draft.trim();
    if (!text) return;
    try {
      await api.callSendChat(text);
      setChat((c) => [...c.slice(-199), { from: "me", text, at: Date.now() }]);
      setDraft("");
    } catch (err) {
      setError((err as AppError).message);
    }
  };

  const fullscreen = () => {
    if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
    else stage.current?.requestFullscreen().catch(() => {});
  };

  const q = quality(stats);
  const waiting = state === "joining" || state === "waiting_for_peer";

  return (
    <section className="call" aria-label="Live session" data-testid="call" data-state={state}>
      <div className="stage" ref={stage}>
        <canvas ref={remote} className={partner.videoOff ? "remote hidden" : "remote"} data-testid="remote-video" aria-label={`${partner.name}'s video`} />
        {partner.videoOff && <div className="remote-note">{partner.name} turned their camera off</div>}
        {waiting && !ended && <div className="remote-note" aria-live="polite" data-testid="waiting">{state === "joining" ? "Joining…" : `Waiting for ${partner.name} to join…`}</div>}
        <video ref={local} className={cameraOff ? "local off" : "local"} autoPlay muted playsInline aria-label="Your camera" />
        {state === "reconnecting" && <div className="banner" role="status" data-testid="reconnecting">Reconnecting…</div>}
        {partnerLeft && !ended && (
          <div className="banner" role="status" data-testid="partner-left">
            {partner.name} left the call. <button onClick={() => setPartnerLeft(false)}>Wait for them</button> <button onClick={leave}>Leave</button>
          </div>
        )}
        {ended && (
          <div className="banner" role="alert" data-testid="call-ended">
            {ended} <button onClick={props.onLeft}>Back to sessions</button>
          </div>
        )}
      </div>
      <div className="call-bar">
        <span className="partner" data-testid="partner-name">
          {partner.name}
          {partner.audioMuted && <span className="tag" data-testid="partner-muted"> muted</span>}
        </span>
        <span className={`quality ${q.level}`} title={q.detail} data-testid="quality">● {q.level === "unknown" ? "…" : q.level}</span>
        <span className="elapsed" data-testid="elapsed">{connectedAt ? elapsed(now - connectedAt) : "00:00"}</span>
        <span className="grow" />
        <button aria-pressed={muted} onClick={() => setMuted((m) => !m)} data-testid="toggle-mute" title="Mute (M)">{muted ? "Unmute" : "Mute"}</button>
        <button aria-pressed={cameraOff} onClick={() => setCameraOff((c) => !c)} data-testid="toggle-camera" title="Camera (V)">{cameraOff ? "Camera on" : "Camera off"}</button>
        <button onClick={fullscreen} title="Fullscreen">Fullscreen</button>
        <button className="danger" onClick={leave} data-testid="hang-up">Hang up</button>
      </div>
      {error && <p className="error" role="alert" data-testid="call-error">{error}</p>}
      <aside className="chat" aria-label="Chat">
        <ol data-testid="chat-lines">
          {chat.map((line, i) => (
            <li key={i} className={line.from}>
              <strong>{line.from === "me" ? "You" : partner.name}:</strong> {line.text}
            </li>
          ))}
        </ol>
        <form onSubmit={sendChat}>
          <input name="chat" value={draft} maxLength={2000} onChange={(e) => setDraft(e.target.value)} placeholder="Message" aria-label="Chat message" disabled={state !== "connected"} />
        </form>
      </aside>
    </section>
  );
}
