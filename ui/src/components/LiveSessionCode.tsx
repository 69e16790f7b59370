import { useEffect, useState } from "react";
import { api, type LiveCodeView } from "../api";
import { countdown } from "../code";

/** The code, large and grouped, with its countdown and the copy buttons. */
export function LiveSessionCode(props: { code: LiveCodeView; onJoin: () => void; onExpired: () => void; copy?: (text: string) => Promise<void> }) {
  const copy = props.copy ?? api.copyText;
  const [now, setNow] = useState(Date.now());
  const [copied, setCopied] = useState<"code" | "link" | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  const left = countdown(props.code.expiresAt, now);
  const { onExpired } = props;
  useEffect(() => {
    if (left === "expired") onExpired();
  }, [left, onExpired]);

  const doCopy = async (what: "code" | "link") => {
    try {
      await copy(what === "code" ? props.code.code : props.code.inviteLink);
      setCopied(what);
      setTimeout(() => setCopied(null), 2000);
    } catch {
      setError("Could not copy. Select the code and copy it by hand.");
    }
  };

  return (
    <div className="code-box">
      <p className="code" aria-label={`Live session code ${props.code.code.split("").join(" ")}`} data-testid="live-code" data-code={props.code.code}>
        {props.code.grouped}
      </p>
      <p className="muted">Expires in <span data-testid="countdown">{left}</span></p>
      <div className="actions">
        <button onClick={() => doCopy("code")} data-testid="copy-code">{copied === "code" ? "Copied" : "Copy"}</button>
        <button onClick={() => doCopy("link")} data-testid="copy-link">{copied === "link" ? "Copied" : "Copy invite link"}</button>
        <button className="primary" onClick={props.onJoin} data-testid="join-now">Join Session Now</button>
      </div>
      {error && <p className="error" role="alert">{error}</p>}
    </div>
  );
}
