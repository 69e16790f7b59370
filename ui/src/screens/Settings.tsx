import { useEffect, useState, type FormEvent } from "react";
import { api, AppError, type AppInfo } from "../api";
import { setSoundsOn, soundsOn } from "../media/chime";

export function Settings(props: { info: AppInfo | null; onChanged: () => void }) {
  const [server, setServer] = useState(props.info?.serverUrl ?? "");
  const [message, setMessage] = useState<{ ok: boolean; text: string } | null>(null);
  const [sounds, setSounds] = useState(soundsOn());
  const [folder, setFolder] = useState("");
  const [shareReports, setShareReports] = useState(props.info?.shareCallReports ?? true);
  const [relayOnly, setRelayOnly] = useState(props.info?.relayOnly ?? false);
  useEffect(() => {
    if (props.info) {
      setShareReports(props.info.shareCallReports);
      setRelayOnly(props.info.relayOnly);
    }
  }, [props.info]);

  useEffect(() => {
    if (api.canRecord) api.listRecordings().then((l) => setFolder(l.folder), () => {});
  }, []);

  const saveFolder = async (e: FormEvent, chosen: string) => {
    e.preventDefault();
    try {
      const inUse = await api.setRecordingsFolder(chosen);
      setFolder(inUse);
      setMessage({ ok: true, text: `Recordings will be saved in ${inUse}.` });
    } catch (err) {
      setMessage({ ok: false, text: (err as AppError).message });
    }
  };

  const save = async (e: FormEvent) => {
    e.preventDefault();
    try {
      const saved = await api.setServerUrl(server);
      setServer(saved);
      setMessage({ ok: true, text: "Saved. Sign out and in again to use the new server." });
      props.onChanged();
    } catch (err) {
      setMessage({ ok: false, text: (err as AppError).message });
    }
  };

  return (
    <section className="card narrow" aria-labelledby="settings-title">
      <h1 id="settings-title">Settings</h1>
      {api.kind === "desktop" && (
        <form onSubmit={save}>
          <label>
            Server
            <input name="server" type="url" value={server} onChange={(e) => setServer(e.target.value)} required />
          </label>
          <button type="submit">Save</button>
        </form>
      )}
      {message && <p className={message.ok ? "ok" : "error"} role="status">{message.text}</p>}
      <h2>Sounds</h2>
      <label className="check">
        <input
          type="checkbox"
          checked={sounds}
          data-testid="sounds-setting"
          onChange={(e) => {
            setSoundsOn(e.target.checked);
            setSounds(e.target.checked);
          }}
        />{" "}
        Play a short sound when your partner joins or leaves
      </label>
      <h2>Call quality</h2>
      <label className="check">
        <input
          type="checkbox"
          checked={shareReports}
          data-testid="share-reports-setting"
          onChange={(e) => {
            const on = e.target.checked;
            setShareReports(on);
            api.setShareCallReports(on).then(props.onChanged, (err: AppError) => {
              setShareReports(!on);
              setMessage({ ok: false, text: err.message });
            });
          }}
        />{" "}
        Send call-quality reports and ratings to the server
      </label>
      <p className="muted small" data-testid="share-reports-explained">
        After each call, mentorlive sends figures about how it went: when it connected, round trip, loss, frame rate, freezes, and your rating if you give one. Never video, sound, chat or addresses. They make your Insights and help the server's operators fix bad calls. When this is off, nothing is sent and no rating is asked. The server still keeps its own record of when people join and leave a call, because running the service needs it.
      </p>
      <h2>Privacy</h2>
      <label className="check">
        <input
          type="checkbox"
          checked={relayOnly}
          data-testid="relay-only-setting"
          onChange={(e) => {
            const on = e.target.checked;
            setRelayOnly(on);
            api.setRelayOnly(on).then(props.onChanged, (err: AppError) => {
              setRelayOnly(!on);
              setMessage({ ok: false, text: err.message });
            });
          }}
        />{" "}
        Connect through the server's relay only
      </label>
      <p className="muted small" data-testid="relay-only-explained">
        A direct connection tells your partner's computer your network addresses, at home or at work. With this on, calls go through the server's relay, so your partner sees only the relay's address. The call may take a little longer to connect, and it needs a server that offers a relay. It applies from the next call.
      </p>
      {api.canRecord && (
        <form onSubmit={(e) => void saveFolder(e, folder)}>
          <h2>Recordings</h2>
          <label>
            Save recordings in
            <input name="recordings-folder" value={folder} onChange={(e) => setFolder(e.target.value)} data-testid="recordings-folder-setting" />
          </label>
          <button type="submit">Save</button>{" "}
          <button type="button" onClick={(e) => void saveFolder(e, "")}>Use the Videos folder</button>
        </form>
      )}
      {api.kind === "desktop" && (
        <>
          <h2>Logs</h2>
          <p className="muted" data-testid="logs-dir">{props.info?.logsDir}</p>
          <button onClick={() => api.openLogsFolder().catch((e: AppError) => setMessage({ ok: false, text: e.message }))}>Open logs folder</button>
        </>
      )}
      <p className="muted">mentorlive {props.info?.version}</p>
    </section>
  );
}
