import { useCallback, useEffect, useRef, useState, type FormEvent } from "react";
import { api, AppError, type CallStats } from "../api";
import { useCall } from "../call/useCall";
import { useCallDevices } from "../call/useCallDevices";
import type { EndedCall, JoinRequest } from "../backend/backend";
import { LeaveDialog } from "../call/LeaveDialog";

export function quality(stats: CallStats | null, partnerHere = true): { level: "good" | "fair" | "poor" | "unknown"; detail: string } {
  // With nobody on the other end the last figures describe a link that is gone.
  if (!partnerHere) return { level: "unknown", detail: "No partner in the call" };
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

/** Phones' browsers have no getDisplayMedia: no Share button there. */
const canShareScreen = typeof navigator !== "undefined" && typeof navigator.mediaDevices?.getDisplayMedia === "function";

/** While we share: a link this short cannot carry a legible screen. */
const LEGIBLE_KBPS = 300;

/** The call: the partner's video large (or their screen share, with their
 *  camera small), ours small, the controls below. */
export function InCall(props: { request: JoinRequest; onLeft: (ended: EndedCall | null) => void }) {
  const { request, onLeft } = props;
  const remote = useRef<HTMLCanvasElement & HTMLVideoElement>(null);
  const remoteScreen = useRef<HTMLCanvasElement & HTMLVideoElement>(null);
  const [actualSize, setActualSize] = useState(false);
  const local = useRef<HTMLVideoElement>(null);
  const stage = useRef<HTMLDivElement>(null);
  const [muted, setMuted] = useState(request.startMuted);
  const [cameraOff, setCameraOff] = useState(request.startCameraOff);
  const [now, setNow] = useState(Date.now());
  const [draft, setDraft] = useState("");
  const [devicesOpen, setDevicesOpen] = useState(false);
  const { view, dispatch, connection, localStream, endedCall } = useCall(request, remote, remoteScreen, local, muted, cameraOff);
  const onError = useCallback((message: string) => dispatch({ type: "failed", message }), [dispatch]);
  const devices = useCallDevices({ localStream, connection, local, speakerId: request.speakerId, setMuted, setCameraOff, onError });
  const { state, partner, partnerLeft, stats, connectedAt, chat, ended, error, sharing, shareNotice, recording } = view;
  const { has, inUse, lists } = devices;

  const leave = useCallback(async () => {
    await connection.current?.hangUp().catch(() => {});
    onLeft(await endedCall(1500));
  }, [onLeft, connection, endedCall]);

  // The call outlives its window (desktop): closing asks first, and the
  // tray's Mute and Hang up act as the buttons here do.
  const background = api.background;
  const [askLeave, setAskLeave] = useState(false);
  const inBackground = useRef(false);
  useEffect(() => background?.onCloseRequested(() => setAskLeave(true)), [background]);
  useEffect(
    () =>
      background?.onTrayAction((action) => {
        if (action === "toggle_mute" && localStream.current.getAudioTracks().length > 0) setMuted((m) => !m);
        if (action === "hang_up") void leave();
      }),
    [background, leave, localStream],
  );
  useEffect(() => {
    if (inBackground.current) background?.setMuted(muted).catch(() => {});
  }, [background, muted]);
  // The call over (or this screen gone), its window comes back.
  useEffect(() => {
    if (ended && inBackground.current) void background?.leave();
  }, [background, ended]);
  useEffect(
    () => () => {
      if (inBackground.current) void background?.leave();
    },
    [background],
  );
  const keepInBackground = async () => {
    setAskLeave(false);
    inBackground.current = true;
    const secs = connectedAt ? Math.round((Date.now() - connectedAt) / 1000) : 0;
    await background?.keep(partner.name, secs, muted).catch((e: AppError) => {
      inBackground.current = false;
      onError(e.message);
    });
  };
  const leaveAndClose = async () => {
    setAskLeave(false);
    await connection.current?.hangUp().catch(() => {});
    await endedCall(1500);
    await background?.quit();
  };

  const toggleShare = useCallback(async () => {
    const call = connection.current;
    if (!call) return;
    if (sharing) return call.stopScreen();
    try {
      await call.shareScreen();
    } catch (err) {
      dispatch({ type: "local_screen", sharing: false, notice: (err as Error).message });
    }
  }, [connection, sharing, dispatch]);

  const toggleRecording = useCallback(async () => {
    const call = connection.current;
    if (!call) return;
    if (recording.ours !== "off") return call.stopRecording();
    try {
      dispatch({ type: "recording_notice", notice: null });
      await call.record();
    } catch (err) {
      dispatch({ type: "recording_notice", notice: (err as Error).message });
    }
  }, [connection, recording.ours, dispatch]);

  useEffect(() => {
    // Twice a second, so the clock never lags its true value by a second.
    const timer = window.setInterval(() => setNow(Date.now()), 500);
    return () => window.clearInterval(timer);
  }, []);

  // M: mute, V: camera, S: share the screen, except while typing (and not
  // for a missing device).
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const target = e.target as HTMLElement | null;
      const typing = target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement || target?.isContentEditable === true;
      if (typing || e.repeat || e.ctrlKey || e.metaKey || e.altKey) return;
      if ((e.key === "m" || e.key === "M") && localStream.current.getAudioTracks().length > 0) setMuted((m) => !m);
      if ((e.key === "v" || e.key === "V") && localStream.current.getVideoTracks().length > 0) setCameraOff((c) => !c);
      // Stop works whatever the call's state; a share starts on a connected call.
      if ((e.key === "s" || e.key === "S") && (state === "connected" || sharing)) void toggleShare();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [localStream, state, sharing, toggleShare]);

  // Each share of the partner's starts fitted to the window.
  useEffect(() => {
    if (!partner.sharing) setActualSize(false);
  }, [partner.sharing]);

  const sendChat = async (e: FormEvent) => {
    e.preventDefault();
    const text = draft.trim();
    if (!text) return;
    try {
      if (!connection.current) return;
      const sent = await connection.current.sendChat(text);
      dispatch({ type: "chat_sent", id: sent.id, text: sent.text, at: Date.now() });
      setDraft("");
    } catch (err) {
      onError((err as AppError).message);
    }
  };

  const fullscreen = () => {
    if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
    else stage.current?.requestFullscreen().catch(() => {});
  };

  const waiting = state === "joining" || state === "waiting_for_peer";
  const q = quality(stats, partner.present && !waiting && !ended);
  const slowForScreen = sharing && stats?.targetBitrateKbps != null && stats.targetBitrateKbps < LEGIBLE_KBPS;
  // Their screen large and their camera small while they share.
  const cameraClass = `remote${partner.sharing ? " tile" : ""}${partner.videoOff ? " hidden" : ""}`;
  const screenClass = `screen${actualSize ? " actual" : ""}`;

  return (
    <section className="call" aria-label="Live session" data-testid="call" data-state={state}>
      {askLeave && <LeaveDialog partner={partner.name} onLeave={() => void leaveAndClose()} onKeep={() => void keepInBackground()} onCancel={() => setAskLeave(false)} />}
      <div className={partner.sharing ? "stage sharing" : "stage"} ref={stage}>
        <div className={partner.sharing ? "screen-view" : "screen-view hidden"} data-testid="screen-view" data-size={actualSize ? "actual" : "fit"}>
          {api.remoteView === "video" ? (
            <video ref={remoteScreen} className={screenClass} data-testid="remote-screen" aria-label={`${partner.name}'s screen`} autoPlay playsInline muted />
          ) : (
            <canvas ref={remoteScreen} className={screenClass} data-testid="remote-screen" aria-label={`${partner.name}'s screen`} />
          )}
        </div>
        {partner.sharing && (
          <div className="screen-caption" data-testid="partner-sharing">
            <span>{partner.name} is sharing their screen</span>
            <button aria-pressed={actualSize} onClick={() => setActualSize((a) => !a)} data-testid="screen-size" title={actualSize ? "Fit the screen to the window" : "Show the screen at 100 % to read small text (scroll to move around)"}>
              {actualSize ? "Fit to window" : "100 %"}
            </button>
          </div>
        )}
        {api.remoteView === "video" ? (
          <video ref={remote} className={cameraClass} data-testid="remote-video" aria-label={`${partner.name}'s video`} autoPlay playsInline />
        ) : (
          <canvas ref={remote} className={cameraClass} data-testid="remote-video" aria-label={`${partner.name}'s video`} />
        )}
        {partner.videoOff && !partner.sharing && <div className="remote-note">{partner.name} turned their camera off</div>}
        {sharing && (
          <div className="banner sharing-bar" role="status" data-testid="sharing-bar">
            You are sharing your screen. <button onClick={() => connection.current?.stopScreen()} data-testid="stop-sharing">Stop</button>
          </div>
        )}
        {waiting && !ended && <div className="remote-note" aria-live="polite" data-testid="waiting">{state === "joining" ? "Joining…" : `Waiting for ${partner.name} to join…`}</div>}
        <video ref={local} className={cameraOff ? "local off" : "local"} autoPlay muted playsInline aria-label="Your camera" />
        {state === "reconnecting" && <div className="banner" role="status" data-testid="reconnecting">Reconnecting…</div>}
        <div className="recording-flags">
          {recording.ours === "recording" && (
            <span className="recording-flag" role="status" data-testid="recording-indicator">
              <span className="dot" aria-hidden="true">●</span> Recording {elapsed(now - (recording.oursSince ?? now))}
            </span>
          )}
          {recording.theirs === "recording" && (
            <span className="recording-flag" role="status" data-testid="partner-recording">
              <span className="dot" aria-hidden="true">●</span> {partner.name} is recording {elapsed(now - (recording.theirsSince ?? now))}{" "}
              <button onClick={() => connection.current?.revokeRecording()} data-testid="revoke-recording" title="Withdraw your consent: their recording stops at once">Revoke</button>
            </span>
          )}
        </div>
        {recording.theirs === "asking" && (
          <div className="banner consent" role="alertdialog" aria-label="Recording request" data-testid="record-request">
            <p>{partner.name} wants to record this call.</p>
            <button onClick={() => connection.current?.answerRecording(true)} data-testid="allow-recording">Allow</button>{" "}
            <button onClick={() => connection.current?.answerRecording(false)} data-testid="decline-recording">Decline</button>
          </div>
        )}
        {recording.ours === "asking" && (
          <div className="banner" role="status" data-testid="record-waiting">
            Waiting for {partner.name} to allow recording…
          </div>
        )}
        {partnerLeft && !ended && (
          <div className="banner" role="status" data-testid="partner-left">
            {partner.name} left the call. <button onClick={() => dispatch({ type: "wait_for_partner" })}>Wait for them</button> <button onClick={leave}>Leave</button>
          </div>
        )}
        {ended && (
          <div className="banner" role="alert" data-testid="call-ended">
            {ended} <button onClick={() => void endedCall(0).then(onLeft)}>Back to sessions</button>
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
        {canShareScreen && <button aria-pressed={sharing} onClick={() => void toggleShare()} disabled={state !== "connected" && !sharing} data-testid="toggle-share" title="Share your screen or a window (S)">{sharing ? "Stop sharing" : "Share screen"}</button>}
        {api.canRecord && (
          <button aria-pressed={recording.ours !== "off"} onClick={() => void toggleRecording()} disabled={state !== "connected" && recording.ours === "off"} data-testid="toggle-record" title={`Record this call (${partner.name} is asked first)`}>
            {recording.ours === "recording" ? "Stop recording" : recording.ours === "asking" ? "Cancel request" : "Record"}
          </button>
        )}
        <button aria-expanded={devicesOpen} onClick={() => setDevicesOpen((o) => !o)} data-testid="toggle-devices" title="Camera, microphone and speaker">Devices</button>
        <button onClick={fullscreen} title="Fullscreen">Fullscreen</button>
        <button className="danger" onClick={leave} data-testid="hang-up">Hang up</button>
      </div>
      {(shareNotice || slowForScreen) && (
        <p className="note" role="status" data-testid="share-notice">
          {shareNotice ?? "Your connection is too slow to share a legible screen right now: small text may blur until it recovers."}{" "}
          {shareNotice && <button className="link" onClick={() => dispatch({ type: "dismiss_share_notice" })}>Dismiss</button>}
        </p>
      )}
      {recording.notice && (
        <p className="note" role="status" data-testid="recording-notice">
          {recording.notice} <button className="link" onClick={() => dispatch({ type: "recording_notice", notice: null })}>Dismiss</button>
        </p>
      )}
      {devices.notice && (
        <p className="note" role="status" data-testid="device-notice">
          {devices.notice.text}{" "}
          {devices.notice.offer && <button onClick={() => devices.chooseDevice(devices.notice!.offer!.kind, devices.notice!.offer!.id)}>Use it</button>}{" "}
          <button className="link" onClick={devices.dismissNotice}>Dismiss</button>
        </p>
      )}
      {devicesOpen && (
        <div className="devices call-devices" data-testid="call-devices">
          <label>
            Camera
            <select value={inUse.camera} onChange={(e) => devices.chooseDevice("camera", e.target.value)} data-testid="call-camera-select">
              {inUse.camera === "" && <option value="">None</option>}
              {lists.cameras.map((d, i) => <option key={d.deviceId} value={d.deviceId}>{d.label || `Camera ${i + 1}`}</option>)}
            </select>
          </label>
          <label>
            Microphone
            <select value={inUse.microphone} onChange={(e) => devices.chooseDevice("microphone", e.target.value)} data-testid="call-microphone-select">
              {inUse.microphone === "" && <option value="">None</option>}
              {lists.microphones.map((d, i) => <option key={d.deviceId} value={d.deviceId}>{d.label || `Microphone ${i + 1}`}</option>)}
            </select>
          </label>
          <label>
            Speaker
            <select value={inUse.speaker} onChange={(e) => devices.chooseSpeaker(e.target.value)} data-testid="call-speaker-select">
              <option value="">System default</option>
              {lists.speakers.map((d, i) => <option key={d.deviceId} value={d.deviceId}>{d.label || `Speaker ${i + 1}`}</option>)}
            </select>
          </label>
        </div>
      )}
      {error && <p className="error" role="alert" data-testid="call-error">{error}</p>}
      <aside className="chat" aria-label="Chat">
        <ol data-testid="chat-lines">
          {chat.map((line) => (
            <li key={`${line.from}-${line.id}-${line.at}`} className={line.from}>
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
