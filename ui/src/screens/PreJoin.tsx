import { useCallback, useEffect, useRef, useState } from "react";
import { api, AppError, type AppInfo, type Validated } from "../api";
import { detach, releaseStream } from "../media/release";
import { codeErrorMessage, grouped } from "../code";
import { captureErrorMessage, listDevices, missingDevicesNote, openCapture, type DeviceChoice } from "../media/devices";

export type { JoinRequest } from "../backend/backend";
import type { JoinRequest } from "../backend/backend";

/** The pre-join screen: the code checked with the server, a camera
 *  preview, device choice (remembered), a microphone level meter, and
 *  "Join" muted or with the camera off if wanted. The camera and microphone
 *  open only once the code is valid: a link any web page can fire must not
 *  light them (protocol.md, "Invitations and deep links"). With `checkFirst`
 *  (many links in a short time), the person is asked before the code is
 *  checked, so links cannot spend their budget of checks at the server. */
export function PreJoin(props: { code: string; checkFirst: boolean; info: AppInfo | null; userId: string; onBack: () => void; onSignedOut: () => void; onJoin: (r: JoinRequest) => void }) {
  const [valid, setValid] = useState<Validated | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [captureError, setCaptureError] = useState<string | null>(null);
  const [stream, setStream] = useState<MediaStream | null>(null);
  const [devices, setDevices] = useState<{ cameras: MediaDeviceInfo[]; microphones: MediaDeviceInfo[]; speakers: MediaDeviceInfo[] }>({ cameras: [], microphones: [], speakers: [] });
  const [choice, setChoice] = useState<DeviceChoice>({ cameraId: props.info?.cameraId ?? null, microphoneId: props.info?.microphoneId ?? null, speakerId: props.info?.speakerId ?? null });
  const [startMuted, setStartMuted] = useState(false);
  const [startCameraOff, setStartCameraOff] = useState(false);
  const [attempt, setAttempt] = useState(0);
  const [level, setLevel] = useState(0);
  const preview = useRef<HTMLVideoElement>(null);
  const handedOver = useRef(false);
  // The last devices let go of (media/release.ts): the next open waits for it.
  const released = useRef<Promise<void>>(Promise.resolve());
  const [checkAsked, setCheckAsked] = useState(!props.checkFirst);
  const { code, onSignedOut } = props;
  const isValid = valid !== null;

  useEffect(() => {
    if (!checkAsked) return;
    setValid(null);
    setError(null);
    api
      .validateLiveCode(code)
      .then(setValid)
      .catch((e: AppError) => (e.code === "unauthorized" ? onSignedOut() : setError(codeErrorMessage(e.code, e.message))));
  }, [code, onSignedOut, checkAsked]);

  // Open the devices chosen, once the code is valid; reopen when the choice changes.
  useEffect(() => {
    if (!isValid) return;
    let cancelled = false;
    let opened: MediaStream | null = null;
    // Rendered with the valid code, and kept: React clears the ref before
    // an unmount's clean-up runs.
    const shown = preview.current;
    setCaptureError(null);
    // After the last devices are let go: a camera opened twice may refuse.
    released.current
      .then(() => (cancelled ? null : openCapture(choice)))
      .then(async (s) => {
        if (!s) return;
        if (cancelled) return s.getTracks().forEach((t) => t.stop());
        opened = s;
        setStream(s);
        setDevices(await listDevices());
      })
      .catch((err) => !cancelled && setCaptureError(captureErrorMessage(err)));
    return () => {
      cancelled = true;
      // Handed to the call: the call stops the tracks when it ends. Else
      // the preview lets go of them first (here when the devices change,
      // in the effect below when the screen goes).
      if (opened && !handedOver.current) released.current = releaseStream(opened, [shown?.srcObject === opened ? shown : null]);
    };
  }, [isValid, choice.cameraId, choice.microphoneId, attempt]); // eslint-disable-line react-hooks/exhaustive-deps

  useEffect(() => {
    const video = preview.current;
    if (!video || !stream) return;
    video.srcObject = stream;
    // Handed over or not, the preview lets go of the stream when it goes:
    // a <video> left holding it would be playing when the call stops its
    // tracks (media/release.ts).
    return () => void detach(video);
  }, [stream]);

  // The level meter: loudness of the microphone, ten times a second.
  useEffect(() => {
    const track = stream?.getAudioTracks()[0];
    if (!track) return;
    const context = new AudioContext();
    const analyser = context.createAnalyser();
    analyser.fftSize = 1024;
    context.createMediaStreamSource(new MediaStream([track])).connect(analyser);
    const samples = new Float32Array(analyser.fftSize);
    const timer = window.setInterval(() => {
      analyser.getFloatTimeDomainData(samples);
      let sum = 0;
      for (const s of samples) sum += s * s;
      setLevel(Math.min(1, Math.sqrt(sum / samples.length) * 4));
    }, 100);
    return () => {
      window.clearInterval(timer);
      context.close();
    };
  }, [stream]);

  const choose = useCallback((patch: Partial<DeviceChoice>) => {
    setChoice((old) => {
      const next = { ...old, ...patch };
      api.saveDevices(next.cameraId, next.microphoneId, next.speakerId).catch(() => {});
      return next;
    });
  }, []);

  const partnerName = valid ? (valid.session.mentor.id === props.userId ? valid.session.learner : valid.session.mentor).name : "your partner";
  const hasCamera = (stream?.getVideoTracks().length ?? 0) > 0;
  const hasMicrophone = (stream?.getAudioTracks().length ?? 0) > 0;
  const missingNote = stream ? missingDevicesNote(stream, partnerName) : null;

  const join = () => {
    if (!stream || !valid) return;
    handedOver.current = true;
    // What is missing cannot be sent: the partner is told muted / camera off.
    props.onJoin({ code, stream, startMuted: startMuted || !hasMicrophone, startCameraOff: startCameraOff || !hasCamera, speakerId: choice.speakerId, partnerName, sessionTitle: valid.session.title });
  };

  const currentCamera = stream?.getVideoTracks()[0]?.getSettings().deviceId ?? "";
  const currentMic = stream?.getAudioTracks()[0]?.getSettings().deviceId ?? "";

  return (
    <section className="card prejoin" aria-labelledby="prejoin-title" data-testid="prejoin">
      <h1 id="prejoin-title">Ready to join?</h1>
      <p>
        Live session <strong data-testid="prejoin-code">{grouped(code)}</strong>
      </p>
      {!checkAsked && (
        <div className="note" data-testid="prejoin-check-first">
          <p>Several invitation links were opened in a short time. Check this code only if you meant to open it.</p>
          <button onClick={() => setCheckAsked(true)} data-testid="prejoin-check">Check the code</button>
        </div>
      )}
      {checkAsked && !valid && !error && <p aria-busy="true">Checking the code…</p>}
      {error && <p className="error" role="alert" data-testid="prejoin-error">{error}</p>}
      {valid && (
        <p data-testid="prejoin-session">
          “{valid.session.title}” with {valid.session.mentor.name} and {valid.session.learner.name}
        </p>
      )}
      {valid && (
        <div className="prejoin-media">
          <div className="preview-box">
            <video ref={preview} className={startCameraOff || !hasCamera ? "preview off" : "preview"} autoPlay muted playsInline data-testid="prejoin-preview" />
            {stream && !hasCamera && <span className="preview-note">No camera</span>}
            {hasCamera && startCameraOff && <span className="preview-note">Camera off</span>}
            {!stream && !captureError && <span className="preview-note" aria-busy="true">Starting camera…</span>}
          </div>
          <div className="devices">
            {missingNote && (
              <p className="note" role="status" data-testid="missing-devices">
                {missingNote}
              </p>
            )}
            {captureError && (
              <div role="alert" className="error" data-testid="capture-error">
                <p>{captureError}</p>
                <button onClick={() => setAttempt((n) => n + 1)}>Try again</button>
              </div>
            )}
            <label>
              Camera
              <select value={currentCamera} onChange={(e) => choose({ cameraId: e.target.value })} data-testid="camera-select">
                {devices.cameras.length === 0 && <option value="">None found</option>}
                {devices.cameras.map((d, i) => <option key={d.deviceId} value={d.deviceId}>{d.label || `Camera ${i + 1}`}</option>)}
              </select>
            </label>
            <label>
              Microphone
              <select value={currentMic} onChange={(e) => choose({ microphoneId: e.target.value })} data-testid="microphone-select">
                {devices.microphones.length === 0 && <option value="">None found</option>}
                {devices.microphones.map((d, i) => <option key={d.deviceId} value={d.deviceId}>{d.label || `Microphone ${i + 1}`}</option>)}
              </select>
            </label>
            <div className="meter" role="meter" aria-label="Microphone level" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(level * 100)} data-testid="mic-level">
              <span style={{ width: `${Math.round(level * 100)}%` }} />
            </div>
            <label>
              Speaker
              <select value={choice.speakerId ?? ""} onChange={(e) => choose({ speakerId: e.target.value || null })} data-testid="speaker-select">
                <option value="">System default</option>
                {devices.speakers.map((d, i) => <option key={d.deviceId} value={d.deviceId}>{d.label || `Speaker ${i + 1}`}</option>)}
              </select>
            </label>
            <label className="check">
              <input type="checkbox" checked={startMuted || (!!stream && !hasMicrophone)} disabled={!!stream && !hasMicrophone} onChange={(e) => setStartMuted(e.target.checked)} /> Join muted
            </label>
            <label className="check">
              <input type="checkbox" checked={startCameraOff || (!!stream && !hasCamera)} disabled={!!stream && !hasCamera} onChange={(e) => setStartCameraOff(e.target.checked)} /> Join with camera off
            </label>
          </div>
        </div>
      )}
      <div className="actions">
        <button onClick={props.onBack}>Back</button>
        <button className="primary" disabled={!valid || !stream} onClick={join} data-testid="join-call">Join</button>
      </div>
    </section>
  );
}
