import { useCallback, useEffect, useRef, useState, type FormEvent } from "react";
import { Channel } from "@tauri-apps/api/core";
import { api, AppError, type CallEvent, type CallState, type CallStats } from "../api";
import { codeErrorMessage } from "../code";
import { MediaBridge } from "../media/bridge";
import { MediaReceiver } from "../media/receiver";
import { MediaSender } from "../media/sender";
import { captureErrorMessage, listDevices, routeToSpeaker } from "../media/devices";
import { newDevices, repairStream, switchDevice, type DeviceKind } from "../media/callDevices";
import { playChime } from "../media/chime";
import { exposeForTests } from "../testHooks";
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

/** The call's clock; a tick that came before the start reads 00:00. */
export function elapsed(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
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
  // The camera and microphone in use: they change when the person switches
  // devices or one is unplugged, without leaving the call.
  const localStream = useRef(request.stream);
  const audio = useRef<AudioContext | null>(null);
  const [devicesOpen, setDevicesOpen] = useState(false);
  const [deviceList, setDeviceList] = useState<{ cameras: MediaDeviceInfo[]; microphones: MediaDeviceInfo[]; speakers: MediaDeviceInfo[] }>({ cameras: [], microphones: [], speakers: [] });
  // Whether we have a camera and a microphone at all (for the buttons).
  const [has, setHas] = useState({ camera: request.stream.getVideoTracks().length > 0, microphone: request.stream.getAudioTracks().length > 0 });
  const [inUse, setInUse] = useState(() => ({
    camera: request.stream.getVideoTracks()[0]?.getSettings().deviceId ?? "",
    microphone: request.stream.getAudioTracks()[0]?.getSettings().deviceId ?? "",
    speaker: request.speakerId ?? "",
  }));
  const [deviceNotice, setDeviceNotice] = useState<{ text: string; offer?: { kind: DeviceKind; id: string } } | null>(null);

  // Device work one step at a time: a devicechange arriving while a switch
  // is opening its device would otherwise repair a stream already replaced.
  const deviceQueue = useRef<Promise<void>>(Promise.resolve());
  const serially = useCallback((job: () => Promise<void>) => {
    deviceQueue.current = deviceQueue.current.then(job).catch(() => {});
    return deviceQueue.current;
  }, []);
  // Turned off because the device went away (not by the person): back on
  // when a device of that kind returns.
  const forcedOff = useRef({ camera: false, microphone: false });

  const carryOnWith = useCallback((next: MediaStream) => {
    localStream.current = next;
    // The sender points the preview at the new stream (and restarts capture).
    if (sender.current) sender.current.carryOnWith(next).catch(() => {});
    else if (local.current) local.current.srcObject = next;
    setInUse((u) => ({ ...u, camera: next.getVideoTracks()[0]?.getSettings().deviceId ?? "", microphone: next.getAudioTracks()[0]?.getSettings().deviceId ?? "" }));
    setHas({ camera: next.getVideoTracks().length > 0, microphone: next.getAudioTracks().length > 0 });
    // What is gone cannot be sent: the partner is told.
    const camera = next.getVideoTracks().length > 0;
    const microphone = next.getAudioTracks().length > 0;
    if (!camera) setCameraOff(true);
    else if (forcedOff.current.camera) setCameraOff(false);
    if (!microphone) setMuted(true);
    else if (forcedOff.current.microphone) setMuted(false);
    forcedOff.current = { camera: !camera, microphone: !microphone };
  }, []);

  const chooseDevice = useCallback(
    (kind: DeviceKind, id: string) =>
      serially(async () => {
        try {
          carryOnWith(await switchDevice(localStream.current, kind, id || null));
          setDeviceNotice(null);
          const s = localStream.current;
          api.saveDevices(s.getVideoTracks()[0]?.getSettings().deviceId ?? null, s.getAudioTracks()[0]?.getSettings().deviceId ?? null, inUse.speaker || null).catch(() => {});
        } catch (err) {
          setError(captureErrorMessage(err));
        }
      }),
    [carryOnWith, serially, inUse.speaker],
  );

  const chooseSpeaker = useCallback(async (id: string) => {
    setInUse((u) => ({ ...u, speaker: id }));
    if (audio.current) await routeToSpeaker(audio.current, id || null);
  }, []);

  // Plugged in or pulled out: offer what is new, fall back from what is gone.
  useEffect(() => {
    let before: MediaDeviceInfo[] = [];
    let stopped = false;
    const refresh = async () => {
      const after = await navigator.mediaDevices.enumerateDevices();
      const added = newDevices(before, after);
      const first = before.length === 0;
      before = after;
      setDeviceList(await listDevices());
      if (stopped || first) return;
      const repaired = await repairStream(localStream.current);
      if (repaired) {
        carryOnWith(repaired.stream);
        const what = repaired.lost.join(" and ");
        setDeviceNotice({ text: `Your ${what} was disconnected. ${repaired.stream.getTracks().length ? "The call goes on with another device." : "The call goes on without it."}` });
      } else if (added.length > 0) {
        const d = added[0];
        const kind: DeviceKind = d.kind === "videoinput" ? "camera" : "microphone";
        setDeviceNotice({ text: `New ${kind}: ${d.label || "unnamed"}.`, offer: { kind, id: d.deviceId } });
      }
    };
    void serially(refresh);
    const onChange = () => void serially(refresh);
    navigator.mediaDevices?.addEventListener("devicechange", onChange);
    return () => {
      stopped = true;
      navigator.mediaDevices?.removeEventListener("devicechange", onChange);
    };
  }, [carryOnWith, serially]);

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
    audio.current = audioContext;
    if (local.current) local.current.srcObject = request.stream;
    const fail = (message: string) => !stopped && setError(message);

    // Whether we were alone in the room: a partner arriving then is news.
    let waiting = false;
    const onEvent = new Channel<CallEvent>();
    onEvent.onmessage = (event) => {
      switch (event.event) {
        case "state":
          waiting = event.state === "waiting_for_peer";
          setState(event.state);
          if (event.state === "connected") {
            // The clock runs from the moment both are in, and on across
            // reconnects (it is set once).
            setConnectedAt((at) => at ?? Date.now());
            setNow(Date.now());
            setPartnerLeft(false);
            send?.requestKeyframe();
          }
          if (event.state === "ended") setEnded("The call has ended.");
          break;
        case "peer_present":
          // The engine tells the newcomer our media state itself.
          setPartner((p) => ({ ...p, name: event.user.name, present: true }));
          setPartnerLeft(false);
          if (waiting) {
            playChime(audioContext, "joined");
            api.notifyIfAway(`${event.user.name} joined “${request.sessionTitle}”`, "Your live session has started.").catch(() => {});
          }
          break;
        case "peer_left":
          setPartner((p) => ({ ...p, present: false }));
          if (event.reason === "left") setPartnerLeft(true);
          if (event.reason !== "replaced") playChime(audioContext, "left");
          break;
        case "keyframe_requested":
          send?.requestKeyframe();
          break;
        case "target_bitrate":
          send?.setTargetBitrate(event.bps);
          break;
        case "stats":
          setStats(event.stats);
          exposeForTests("mentorliveEngineStats", event.stats);
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
      send = new MediaSender(bridge, local.current!, localStream.current, audioContext, fail);
      send.setAudioMuted(mediaState.current.muted);
      send.setVideoOff(mediaState.current.cameraOff);
      sender.current = send;
      await routeToSpeaker(audioContext, request.speakerId);
      await receive.start();
      await send.start();
      await audioContext.resume();
      // What the end-to-end test and the benchmark read. Figures only.
      exposeForTests("mentorliveCall", { videoState: () => send?.videoState(), sender: send.stats, receiver: receive.stats, audioState: () => audioContext.state, glassToGlassMs: receive.glassToGlassMs });
    })().catch((e: AppError | Error) => fail("code" in e ? codeErrorMessage(e.code, e.message) : e.message));

    return () => {
      stopped = true;
      api.callHangUp().catch(() => {});
      send?.stop();
      receive?.stop();
      bridge?.close();
      audioContext.close();
      localStream.current.getTracks().forEach((t) => t.stop());
      sender.current = null;
    };
  }, [request]);

  // Mute and camera: the sender stops sending, the partner is told.
  useEffect(() => {
    sender.current?.setAudioMuted(muted);
    sender.current?.setVideoOff(cameraOff);
    localStream.current.getVideoTracks().forEach((t) => (t.enabled = !cameraOff));
    if (state !== "joining") api.callSetMediaState(muted, cameraOff).catch(() => {});
  }, [muted, cameraOff]); // eslint-disable-line react-hooks/exhaustive-deps

  useEffect(() => {
    // Twice a second, so the clock never lags its true value by a second.
    const timer = window.setInterval(() => setNow(Date.now()), 500);
    return () => window.clearInterval(timer);
  }, []);

  // M: mute, V: camera, except while typing.
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const typing = e.target instanceof HTMLInputElement || e.target instanceof HTMLTextAreaElement;
      if (typing || e.ctrlKey || e.metaKey || e.altKey) return;
      if ((e.key === "m" || e.key === "M") && localStream.current.getAudioTracks().length > 0) setMuted((m) => !m);
      if ((e.key === "v" || e.key === "V") && localStream.current.getVideoTracks().length > 0) setCameraOff((c) => !c);
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
        {!has.microphone ? (
          <button disabled data-testid="toggle-mute" title="Plug in a microphone, or pick one under Devices">No microphone</button>
        ) : (
          <button aria-pressed={muted} onClick={() => setMuted((m) => !m)} data-testid="toggle-mute" title="Mute (M)">{muted ? "Unmute" : "Mute"}</button>
        )}
        {!has.camera ? (
          <button disabled data-testid="toggle-camera" title="Plug in a camera, or pick one under Devices">No camera</button>
        ) : (
          <button aria-pressed={cameraOff} onClick={() => setCameraOff((c) => !c)} data-testid="toggle-camera" title="Camera (V)">{cameraOff ? "Camera on" : "Camera off"}</button>
        )}
        <button aria-expanded={devicesOpen} onClick={() => setDevicesOpen((o) => !o)} data-testid="toggle-devices" title="Camera, microphone and speaker">Devices</button>
        <button onClick={fullscreen} title="Fullscreen">Fullscreen</button>
        <button className="danger" onClick={leave} data-testid="hang-up">Hang up</button>
      </div>
      {deviceNotice && (
        <p className="note" role="status" data-testid="device-notice">
          {deviceNotice.text}{" "}
          {deviceNotice.offer && <button onClick={() => chooseDevice(deviceNotice.offer!.kind, deviceNotice.offer!.id)}>Use it</button>}{" "}
          <button className="link" onClick={() => setDeviceNotice(null)}>Dismiss</button>
        </p>
      )}
      {devicesOpen && (
        <div className="devices call-devices" data-testid="call-devices">
          <label>
            Camera
            <select value={inUse.camera} onChange={(e) => chooseDevice("camera", e.target.value)} data-testid="call-camera-select">
              {inUse.camera === "" && <option value="">None</option>}
              {deviceList.cameras.map((d, i) => <option key={d.deviceId} value={d.deviceId}>{d.label || `Camera ${i + 1}`}</option>)}
            </select>
          </label>
          <label>
            Microphone
            <select value={inUse.microphone} onChange={(e) => chooseDevice("microphone", e.target.value)} data-testid="call-microphone-select">
              {inUse.microphone === "" && <option value="">None</option>}
              {deviceList.microphones.map((d, i) => <option key={d.deviceId} value={d.deviceId}>{d.label || `Microphone ${i + 1}`}</option>)}
            </select>
          </label>
          <label>
            Speaker
            <select value={inUse.speaker} onChange={(e) => chooseSpeaker(e.target.value)} data-testid="call-speaker-select">
              <option value="">System default</option>
              {deviceList.speakers.map((d, i) => <option key={d.deviceId} value={d.deviceId}>{d.label || `Speaker ${i + 1}`}</option>)}
            </select>
          </label>
        </div>
      )}
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
