import { useEffect, useRef, useState } from "react";
import { api, AppError, type Validated } from "../api";
import { checkCode, codeErrorMessage, grouped } from "../code";

/** One input, forgiving as the contract is, checked with the server as soon as it looks whole. */
export function JoinWithCode(props: { initial?: string; onValid: (code: string) => void; onSignedOut: () => void }) {
  const [input, setInput] = useState(props.initial ?? "");
  const [result, setResult] = useState<{ input: string; valid?: Validated; error?: string } | null>(null);
  const check = checkCode(input);
  const latest = useRef(input);
  latest.current = input;

  useEffect(() => {
    if (!check.ok) {
      setResult(null);
      return;
    }
    const asked = input;
    // The code itself, also when a whole invitation link was pasted.
    api
      .validateLiveCode(check.code)
      .then((valid) => latest.current === asked && setResult({ input: asked, valid }))
      .catch((e: AppError) => {
        if (e.code === "unauthorized") return props.onSignedOut();
        if (latest.current === asked) setResult({ input: asked, error: codeErrorMessage(e.code, e.message) });
      });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [input, check.ok]);

  const hint =
    !check.ok && check.reason === "malformed"
      ? codeErrorMessage("malformed_code", "")
      : !check.ok && check.reason === "incomplete"
        ? "Keep typing: a code has 8 letters and digits."
        : null;

  return (
    <section className="card narrow" aria-labelledby="join-title">
      <h1 id="join-title">Join with a code</h1>
      <label>
        Live session code
        <input
          name="code"
          className="code-input"
          value={input}
          onChange={(e) => setInput(e.target.value)}
          placeholder="ABCD-EFGH, or paste the invitation link"
          autoFocus
          autoComplete="off"
          spellCheck={false}
          aria-describedby="code-status"
          data-testid="code-input"
        />
      </label>
      <div id="code-status" aria-live="polite">
        {hint && <p className="muted">{hint}</p>}
        {result?.error && <p className="error" role="alert" data-testid="code-error">{result.error}</p>}
        {result?.valid && (
          <div className="ok" data-testid="code-valid">
            <p>
              {grouped(check.ok ? check.code : "")}: “{result.valid.session.title}” with {result.valid.session.mentor.name} and{" "}
              {result.valid.session.learner.name}
            </p>
            <button className="primary" onClick={() => check.ok && props.onValid(check.code)} data-testid="continue">
              Continue
            </button>
          </div>
        )}
      </div>
    </section>
  );
}
