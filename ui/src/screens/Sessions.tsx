import { useCallback, useEffect, useState } from "react";
import { api, AppError, type LiveCodeView, type Session, type User } from "../api";
import { LiveSessionModal } from "../components/LiveSessionModal";
import { LiveSessionCode } from "../components/LiveSessionCode";
import { lastCallLine } from "../insights/quality";
import { LoadFailed } from "../components/LoadFailed";

/** Sessions whose last call is looked up (the first ones on the screen). */
const LAST_CALLS_SHOWN = 20;

const statusOrder: Record<Session["status"], number> = { live: 0, upcoming: 1, completed: 2, cancelled: 3 };

/** `reportsSent` changes when a call's report has gone: the last calls are looked up again. */
export function Sessions(props: { user: User; reportsSent?: number; onJoin: (code: string) => void; onSignedOut: () => void }) {
  const [sessions, setSessions] = useState<Session[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<Session | null>(null);
  const [codes, setCodes] = useState<Record<string, LiveCodeView>>({});
  const [lastCalls, setLastCalls] = useState<Record<string, string>>({});

  const { onSignedOut } = props;
  const load = useCallback(() => {
    setError(null);
    api
      .listSessions()
      .then((list) => setSessions([...list].sort((a, b) => statusOrder[a.status] - statusOrder[b.status] || a.scheduledAt.localeCompare(b.scheduledAt))))
      .catch((e: AppError) => (e.code === "unauthorized" ? onSignedOut() : setError(e.message)));
  }, [onSignedOut]);
  useEffect(load, [load]);

  // Each session's last call, in a line; a session without one says nothing.
  useEffect(() => {
    if (!sessions) return;
    let current = true;
    for (const s of sessions.filter((s) => s.status !== "cancelled").slice(0, LAST_CALLS_SHOWN)) {
      api.sessionAnalytics(s.id).then(
        (a) => current && a.calls[0] && setLastCalls((m) => ({ ...m, [s.id]: lastCallLine(a.calls[0]) })),
        () => {},
      );
    }
    return () => {
      current = false;
    };
  }, [sessions, props.reportsSent]);

  if (error) return <LoadFailed message={error} onRetry={load} />;
  if (!sessions) return <p aria-busy="true">Loading your sessions…</p>;

  return (
    <section aria-labelledby="sessions-title">
      <h1 id="sessions-title">Sessions</h1>
      {sessions.length === 0 && <p className="empty">No sessions yet. Sessions booked on the platform appear here.</p>}
      <ul className="sessions">
        {sessions.map((s) => {
          const partner = props.user.id === s.mentor.id ? s.learner : s.mentor;
          const code = codes[s.id];
          return (
            <li key={s.id} className="card session" data-testid="session">
              <div className="row">
                <div>
                  <h2>{s.title}</h2>
                  <p className="muted">
                    with {partner.name} · {new Date(s.scheduledAt).toLocaleString()} · {s.durationMinutes} min
                  </p>
                  {lastCalls[s.id] && (
                    <p className="muted small" data-testid="last-call">
                      Last call: {lastCalls[s.id]}
                    </p>
                  )}
                </div>
                <span className={`status ${s.status}`}>{s.status}</span>
              </div>
              {code ? (
                <LiveSessionCode code={code} onJoin={() => props.onJoin(code.code)} onExpired={load} />
              ) : (
                (s.status === "upcoming" || s.status === "live") && (
                  <button className="primary" onClick={() => setConfirming(s)}>Start Live Session</button>
                )
              )}
            </li>
          );
        })}
      </ul>
      {confirming && (
        <LiveSessionModal
          session={confirming}
          onCancel={() => setConfirming(null)}
          onGenerated={(code) => {
            setCodes((c) => ({ ...c, [code.sessionId]: code }));
            setConfirming(null);
            load(); // the session is live now
          }}
        />
      )}
    </section>
  );
}
