import { useCallback, useEffect, useRef, useState } from "react";
import { api, AppError } from "../api";
import type { RecordingEntry, RecordingList } from "../generated/types";
import { elapsed } from "./InCall";
import { RecordingPlayer } from "../recordings/player";

/** A recording playing: every camera (and screen) on its own canvas, in sync. */
function Player(props: { entry: RecordingEntry; onClose: () => void }) {
  const { entry, onClose } = props;
  const host = useRef<HTMLDivElement>(null);
  const [player, setPlayer] = useState<RecordingPlayer | null>(null);
  const [time, setTime] = useState(0);
  const [playing, setPlaying] = useState(false);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let made: RecordingPlayer | null = null;
    let closed = false;
    RecordingPlayer.open({ size: entry.bytes, read: (a, b) => api.readRecording(entry.path, a, b) }, (t, p) => {
      setTime(t);
      setPlaying(p);
    }).then(
      (p) => {
        if (closed) return p.close();
        made = p;
        setPlayer(p);
        for (const tile of p.tiles) {
          tile.canvas.className = `player-tile ${tile.kind}`;
          tile.canvas.setAttribute("role", "img");
          tile.canvas.setAttribute("aria-label", `${tile.person}'s ${tile.kind}`);
          host.current?.appendChild(tile.canvas);
        }
        void p.play();
      },
      (e: Error) => setError(`This recording cannot be played: ${e.message}`),
    );
    return () => {
      closed = true;
      made?.close();
    };
  }, [entry]);

  return (
    <div className="dialog player-dialog" role="dialog" aria-label={`The recording of ${entry.title || entry.fileName}`} data-testid="player">
      <div className="player-stage" ref={host} />
      {error && <p className="error" role="alert">{error}</p>}
      <div className="player-controls">
        <button onClick={() => void (playing ? player?.pause() : player?.play())} disabled={!player} data-testid="play-pause">{playing ? "Pause" : "Play"}</button>
        <input type="range" min={0} max={player?.duration ?? 0} step={0.1} value={time} onChange={(e) => void player?.seek(Number(e.target.value))} aria-label="Position" disabled={!player} />
        <span className="muted" data-testid="player-time">{elapsed(time * 1000)} / {elapsed((player?.duration ?? 0) * 1000)}</span>
        <button onClick={onClose} data-testid="close-player">Close</button>
      </div>
    </div>
  );
}

/** Megabytes or gigabytes, as people read file sizes. */
export function fileSize(bytes: number): string {
  return bytes >= 1e9 ? `${(bytes / 1e9).toFixed(1)} GB` : `${Math.max(0.1, bytes / 1e6).toFixed(1)} MB`;
}

/** The recordings in the recordings folder, newest first: the session, the
 *  partner, when, how long, how big; opened in the folder or deleted (after
 *  a confirmation). Recordings a crash cut off are completed on the way and
 *  said so. */
export function Recordings() {
  const [list, setList] = useState<RecordingList | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<RecordingEntry | null>(null);
  const [exporting, setExporting] = useState<{ path: string; done: number } | null>(null);
  const [exportNotice, setExportNotice] = useState<string | null>(null);
  const cancelExport = useRef(false);
  const [playing, setPlaying] = useState<RecordingEntry | null>(null);

  const load = useCallback(() => {
    api.listRecordings().then(setList, (e: AppError) => setError(e.message));
  }, []);
  useEffect(load, [load]);

  const remove = async (entry: RecordingEntry) => {
    setConfirming(null);
    try {
      await api.deleteRecording(entry.path);
      load();
    } catch (e) {
      setError((e as AppError).message);
    }
  };

  const exportOne = async (entry: RecordingEntry) => {
    cancelExport.current = false;
    setExportNotice(null);
    setExporting({ path: entry.path, done: 0 });
    const started = performance.now();
    try {
      const made = await api.exportRecording(entry.path, (p) => setExporting({ path: entry.path, done: p.done }), () => cancelExport.current);
      const seconds = (performance.now() - started) / 1000;
      const name = made.path.split(/[\\/]/).pop();
      setExportNotice(`Exported as one video: ${name} (${elapsed(made.duration * 1000)}, made in ${seconds.toFixed(0)} s).`);
      load();
    } catch (e) {
      const err = e as Error;
      setExportNotice(err.name === "AbortError" ? "Export cancelled: nothing was saved." : `The export failed: ${err.message}`);
    } finally {
      setExporting(null);
    }
  };

  const repaired = list?.recordings.filter((r) => r.repaired) ?? [];
  return (
    <section className="recordings" aria-labelledby="recordings-title">
      <h1 id="recordings-title">Recordings</h1>
      {list && (
        <p className="muted">
          Saved in <code data-testid="recordings-folder">{list.folder}</code>{" "}
          <button onClick={() => api.openRecordingsFolder().catch((e: AppError) => setError(e.message))} data-testid="open-recordings-folder">Open folder</button>
        </p>
      )}
      {repaired.length > 0 && (
        <p className="note" role="status" data-testid="recordings-repaired">
          {repaired.length === 1 ? "A recording was cut off (the app or the computer stopped) and has been repaired: it plays up to where it stopped." : `${repaired.length} recordings were cut off and have been repaired: each plays up to where it stopped.`}
        </p>
      )}
      {error && <p className="error" role="alert">{error}</p>}
      {exportNotice && (
        <p className="note" role="status" data-testid="export-notice">
          {exportNotice} <button className="link" onClick={() => setExportNotice(null)}>Dismiss</button>
        </p>
      )}
      {list && list.recordings.length === 0 && <p data-testid="no-recordings">No recordings yet. In a call, Record asks your partner first.</p>}
      <ul className="recording-list" data-testid="recording-list">
        {list?.recordings.map((r) => (
          <li key={r.path} data-testid="recording">
            <div>
              <strong>{r.title || r.fileName}</strong>
              <span className="muted"> with {r.partner || "someone"}</span>
            </div>
            <div className="muted">
              {new Date(r.startedAtMs).toLocaleString()} · {elapsed(r.durationMs)} · {fileSize(r.bytes)}
              {r.repaired && " · repaired"}
            </div>
            <div className="actions">
              {exporting?.path === r.path ? (
                <>
                  <progress max={1} value={exporting.done} aria-label="Export progress" data-testid="export-progress" /> {Math.round(exporting.done * 100)} %{" "}
                  <button onClick={() => (cancelExport.current = true)} data-testid="cancel-export">Cancel</button>
                </>
              ) : (
                <button onClick={() => setPlaying(r)} disabled={exporting !== null} data-testid="play-recording">Play</button>
              )}{" "}
              {exporting?.path === r.path ? null : (
                <button onClick={() => void exportOne(r)} disabled={exporting !== null} data-testid="export-recording" title="One ordinary video for any player: both people side by side (the screen large while someone shares), both voices">
                  {r.exported ? "Export again" : "Export as one video"}
                </button>
              )}{" "}
              <button className="danger" onClick={() => setConfirming(r)} disabled={exporting?.path === r.path} data-testid="delete-recording">Delete</button>
            </div>
          </li>
        ))}
      </ul>
      {playing && <Player entry={playing} onClose={() => setPlaying(null)} />}
      {confirming && (
        <div className="dialog" role="alertdialog" aria-labelledby="confirm-delete" data-testid="confirm-delete">
          <p id="confirm-delete">
            Delete the recording of “{confirming.title || confirming.fileName}” with {confirming.partner || "your partner"}
            {confirming.exported ? ", its chat and its exported video" : " and its chat"}? It cannot be undone.
          </p>
          <button className="danger" onClick={() => void remove(confirming)} data-testid="confirm-delete-yes">Delete</button>{" "}
          <button onClick={() => setConfirming(null)}>Keep it</button>
        </div>
      )}
    </section>
  );
}
