import { grouped } from "../code";

/** The pre-join screen for a checked code. Camera preview, devices and
 *  "Join" arrive with the in-call work; the code is already validated here. */
export function PreJoin(props: { code: string; onBack: () => void }) {
  return (
    <section className="card narrow" aria-labelledby="prejoin-title" data-testid="prejoin">
      <h1 id="prejoin-title">Ready to join</h1>
      <p>
        Live session <strong data-testid="prejoin-code">{grouped(props.code)}</strong>
      </p>
      <p className="muted">Camera and microphone preview will appear here.</p>
      <div className="actions">
        <button onClick={props.onBack}>Back</button>
      </div>
    </section>
  );
}
