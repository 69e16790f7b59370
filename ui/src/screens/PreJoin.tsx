import { useEffect, useState } from "react";
import { api, AppError, type Validated } from "../api";
import { codeErrorMessage, grouped } from "../code";

/** The pre-join screen for a code (typed, or from a link). The code is
 *  checked with the server here; camera preview, devices and "Join" arrive
 *  with the in-call work. */
export function PreJoin(props: { code: string; onBack: () => void; onSignedOut: () => void }) {
  const [valid, setValid] = useState<Validated | null>(null);
  const [error, setError] = useState<string | null>(null);
  const { code, onSignedOut } = props;

  useEffect(() => {
    setValid(null);
    setError(null);
    api
      .validateLiveCode(code)
      .then(setValid)
      .catch((e: AppError) => (e.code === "unauthorized" ? onSignedOut() : setError(codeErrorMessage(e.code, e.message))));
  }, [code, onSignedOut]);

  return (
    <section className="card narrow" aria-labelledby="prejoin-title" data-testid="prejoin">
      <h1 id="prejoin-title">Ready to join?</h1>
      <p>
        Live session <strong data-testid="prejoin-code">{grouped(code)}</strong>
      </p>
      {!valid && !error && <p aria-busy="true">Checking the code…</p>}
      {error && <p className="error" role="alert" data-testid="prejoin-error">{error}</p>}
      {valid && (
        <>
          <p data-testid="prejoin-session">
            “{valid.session.title}” with {valid.session.mentor.name} and {valid.session.learner.name}
          </p>
          <p className="muted">Camera and microphone preview will appear here.</p>
        </>
      )}
      <div className="actions">
        <button onClick={props.onBack}>Back</button>
      </div>
    </section>
  );
}
