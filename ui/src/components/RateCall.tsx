import { useEffect, useRef, useState } from "react";
import { api } from "../api";
import type { EndedCall } from "../backend/backend";
import type { Problem } from "../generated/types";

const PROBLEMS: { value: Problem; label: string }[] = [
  { value: "audio", label: "Audio" },
  { value: "video", label: "Video" },
  { value: "connection", label: "Connection" },
  { value: "screen", label: "Screen sharing" },
];

const STAR_WORDS = ["", "Very poor", "Poor", "Fair", "Good", "Excellent"];

/** After a call of a minute or more: how was it? Optional, one click away
 *  ("Not now"); the answer goes with the call's report. */
export function RateCall(props: { ended: EndedCall; partnerName: string; onDone: () => void; onSent: () => void }) {
  const [stars, setStars] = useState(0);
  const [problems, setProblems] = useState<Problem[]>([]);
  const heading = useRef<HTMLHeadingElement>(null);
  // Said as it appears: the question takes the focus from the call's end.
  useEffect(() => heading.current?.focus(), []);
  const finish = (send: boolean) => {
    // What went wrong is asked only under five stars, and sent only then.
    const rating = send && stars > 0 ? { stars, problems: stars < 5 ? problems : [] } : null;
    api.rateCall(props.ended, rating).then(props.onSent, () => {});
    props.onDone();
  };
  const toggle = (p: Problem) => setProblems((list) => (list.includes(p) ? list.filter((x) => x !== p) : [...list, p]));

  return (
    <section className="card rate-call" aria-labelledby="rate-title" data-testid="rate-call">
      <h2 id="rate-title" ref={heading} tabIndex={-1}>How was your call with {props.partnerName}?</h2>
      <fieldset className="stars">
        <legend className="muted">Your rating (optional)</legend>
        {[1, 2, 3, 4, 5].map((n) => (
          <label key={n} className={n <= stars ? "star on" : "star"} title={STAR_WORDS[n]}>
            <input type="radio" name="stars" value={n} checked={stars === n} onChange={() => setStars(n)} aria-label={`${n} of 5: ${STAR_WORDS[n]}`} data-testid={`star-${n}`} />
            <span aria-hidden="true">★</span>
          </label>
        ))}
        <span className="muted star-word" aria-live="polite">{STAR_WORDS[stars]}</span>
      </fieldset>
      {stars > 0 && stars < 5 && (
        <fieldset className="problems">
          <legend className="muted">What went wrong?</legend>
          {PROBLEMS.map((p) => (
            <label key={p.value} className="check">
              <input type="checkbox" checked={problems.includes(p.value)} onChange={() => toggle(p.value)} data-testid={`problem-${p.value}`} /> {p.label}
            </label>
          ))}
        </fieldset>
      )}
      <div className="row-actions">
        <button className="primary" disabled={stars === 0} onClick={() => finish(true)} data-testid="rate-send">Send</button>
        <button onClick={() => finish(false)} data-testid="rate-dismiss">Not now</button>
      </div>
      <p className="muted small">Only figures about the call's quality and your answer go to the server. You can turn this off in Settings.</p>
    </section>
  );
}
