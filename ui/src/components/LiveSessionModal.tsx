import { useEffect, useRef, useState } from "react";
import { api, AppError, type LiveCodeView, type Session } from "../api";

/** "Start a live session now?" — confirming asks the server for the code. */
export function LiveSessionModal(props: { session: Session; onCancel: () => void; onGenerated: (code: LiveCodeView) => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const confirmRef = useRef<HTMLButtonElement>(null);
  useEffect(() => confirmRef.current?.focus(), []);

  const confirm = async () => {
    setBusy(true);
    setError(null);
    try {
      props.onGenerated(await api.generateLiveCode(props.session.id));
    } catch (err) {
      setError((err as AppError).message);
      setBusy(false);
    }
  };

  return (
    <div className="backdrop" onKeyDown={(e) => e.key === "Escape" && props.onCancel()}>
      <div className="card modal" role="dialog" aria-modal="true" aria-labelledby="modal-title">
        <h2 id="modal-title">Start Live Session</h2>
        <p>
          Start “{props.session.title}” now? You will get a code to share with your partner. It stays valid for one hour.
        </p>
        {error && <p className="error" role="alert">{error}</p>}
        <div className="actions">
          <button onClick={props.onCancel}>Cancel</button>
          <button ref={confirmRef} className="primary" onClick={confirm} disabled={busy} data-testid="confirm-start">
            {busy ? "Starting…" : "Start"}
          </button>
        </div>
      </div>
    </div>
  );
}
