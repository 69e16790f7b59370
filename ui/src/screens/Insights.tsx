import { useCallback, useEffect, useMemo, useState } from "react";
import { api, AppError } from "../api";
import type { MyAnalytics } from "../generated/types";
import { WeekChart, weekLabel, type WeekSeries } from "../insights/WeekChart";
import { qualityWord } from "../insights/quality";
import { LoadFailed } from "../components/LoadFailed";

const percent = (share: number | null) => (share == null ? "–" : `${Math.round(share * 100)} %`);
const seconds = (ms: number | null) => (ms == null ? "–" : ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`);
const minutes = (m: number) => (m >= 120 ? `${(m / 60).toFixed(1)} h` : `${Math.round(m)} min`);

function Figure(props: { label: string; value: string; detail?: string; testId: string }) {
  return (
    <div className="figure">
      <div className="muted">{props.label}</div>
      <div className="figure-value" data-testid={props.testId}>{props.value}</div>
      {props.detail && <div className="muted small">{props.detail}</div>}
    </div>
  );
}

/** The person's own calls over the last 90 days: figures first, then the
 *  charts people would rather look at than read, each with its table. */
export default function Insights(props: { onSignedOut: () => void }) {
  const [data, setData] = useState<MyAnalytics | null>(null);
  const [error, setError] = useState<string | null>(null);
  const { onSignedOut } = props;

  const load = useCallback(() => {
    setError(null);
    api.myAnalytics().then(setData, (e: AppError) => (e.code === "unauthorized" ? onSignedOut() : setError(e.message)));
  }, [onSignedOut]);
  useEffect(load, [load]);

  const weeks = useMemo(() => data?.weeks.map((w) => Date.parse(w.weekStart) / 1000) ?? [], [data]);
  const usage = useMemo<WeekSeries[]>(
    () => [
      { label: "Calls", values: data?.weeks.map((w) => w.calls) ?? [], kind: "bars", side: "left", format: (v) => String(Math.round(v)) },
      { label: "Minutes", values: data?.weeks.map((w) => w.minutes) ?? [], kind: "line", side: "right", format: (v) => `${Math.round(v)} min` },
    ],
    [data],
  );
  const connecting = useMemo<WeekSeries[]>(() => [{ label: "Time to connect (median)", values: data?.weeks.map((w) => w.timeToConnectP50Ms) ?? [], kind: "line", side: "left", format: (v) => seconds(v) }], [data]);
  const quality = useMemo<WeekSeries[]>(() => [{ label: "Call quality (MOS, 1 to 5)", values: data?.weeks.map((w) => w.mos) ?? [], kind: "line", side: "left", format: (v) => v.toFixed(1), range: [1, 5] }], [data]);

  if (error) return <LoadFailed message={error} onRetry={load} />;
  if (!data) return <p aria-busy="true">Loading your insights…</p>;

  if (data.calls === 0) {
    return (
      <section aria-labelledby="insights-title">
        <h1 id="insights-title">Insights</h1>
        <div className="card empty-insights" data-testid="insights-empty">
          <h2>No calls yet</h2>
          <p>After your first live session, this page shows:</p>
          <ul>
            <li>your calls and minutes, week by week;</li>
            <li>how long calls take to connect;</li>
            <li>how good the calls were, over time;</li>
            <li>how many calls connected, and how many went through a relay.</li>
          </ul>
          <p className="muted">Only figures about each call go to the server, never video, sound or chat. You can turn them off in Settings.</p>
        </div>
      </section>
    );
  }

  const q = data.quality;
  return (
    <section aria-labelledby="insights-title" className="insights">
      <h1 id="insights-title">Insights</h1>
      <p className="muted">Your calls from {new Date(data.from).toLocaleDateString()} to {new Date(data.to).toLocaleDateString()}.</p>
      <div className="figures">
        <Figure label="Calls" value={String(data.calls)} testId="insights-calls" />
        <Figure label="Time in calls" value={minutes(data.minutes)} testId="insights-minutes" />
        <Figure label="Connected" value={percent(data.connectedShare)} detail="of calls had media flowing" testId="insights-connected" />
        <Figure label="Through a relay" value={percent(data.relayedShare)} detail="of connected calls (TURN)" testId="insights-relayed" />
        <Figure label="Time to connect" value={seconds(data.timeToConnectMs.p50)} detail={`median; 9 in 10 within ${seconds(data.timeToConnectMs.p90)}`} testId="insights-connect" />
        <Figure label="Call quality" value={q.mos == null ? "–" : `${q.mos.toFixed(1)} · ${qualityWord(q.mos)}`} detail={q.stars == null ? "estimated from round trip, jitter and loss" : `your ratings: ${q.stars.toFixed(1)} of 5`} testId="insights-quality" />
      </div>
      <div className="card chart-card">
        <h2>Calls and minutes per week</h2>
        <WeekChart weeks={weeks} series={usage} testId="chart-usage" />
      </div>
      <div className="chart-pair">
        <div className="card chart-card">
          <h2>Time to connect</h2>
          <WeekChart weeks={weeks} series={connecting} height={170} testId="chart-connect" />
        </div>
        <div className="card chart-card">
          <h2>Quality over time</h2>
          <WeekChart weeks={weeks} series={quality} height={170} testId="chart-quality" />
        </div>
      </div>
      <details className="card">
        <summary>The figures per week</summary>
        <table className="week-table" data-testid="insights-table">
          <thead>
            <tr>
              <th scope="col">Week of</th>
              <th scope="col">Calls</th>
              <th scope="col">Minutes</th>
              <th scope="col">Connected</th>
              <th scope="col">Time to connect</th>
              <th scope="col">Quality</th>
            </tr>
          </thead>
          <tbody>
            {data.weeks.map((w) => (
              <tr key={w.weekStart}>
                <th scope="row">{weekLabel(Date.parse(w.weekStart) / 1000)}</th>
                <td>{w.calls}</td>
                <td>{Math.round(w.minutes)}</td>
                <td>{w.connected}</td>
                <td>{seconds(w.timeToConnectP50Ms)}</td>
                <td>{w.mos == null ? "–" : w.mos.toFixed(1)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </section>
  );
}
