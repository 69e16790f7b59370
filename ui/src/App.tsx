import { lazy, Suspense, useCallback, useEffect, useRef, useState } from "react";
import { api, AppError, type AppInfo, type LinkEvent, type User } from "./api";
import { SignIn } from "./screens/SignIn";
import { Sessions } from "./screens/Sessions";
import { JoinWithCode } from "./screens/JoinWithCode";
import { PreJoin, type JoinRequest } from "./screens/PreJoin";
import { InCall } from "./screens/InCall";
import { Settings } from "./screens/Settings";
import { Invitation } from "./screens/Invitation";
import { Downloads } from "./screens/Downloads";
import { Recordings } from "./screens/Recordings";
import { UpdateBanner } from "./components/UpdateBanner";
import { RateCall } from "./components/RateCall";
import { ScreenError } from "./components/ScreenError";
import { asksForRating } from "./call/rating";
import type { EndedCall } from "./backend/backend";
import { openCapture } from "./media/devices";

// Its charting library loads only when someone opens it.
const Insights = lazy(() => import("./screens/Insights"));

export type Screen =
  | { name: "sessions" }
  | { name: "join"; code?: string }
  | { name: "prejoin"; code: string; checkFirst?: boolean }
  | { name: "settings" }
  | { name: "recordings" }
  | { name: "insights" }
  | { name: "call"; request: JoinRequest }
  // The web client's pages, open without a sign-in.
  | { name: "invitation"; code: string }
  | { name: "downloads" };

/** Where the web client's address bar points for a screen. */
function addressOf(screen: Screen): string {
  // The pre-join (and the sign-in before it) keep the invitation's
  // address, so a reload does not lose the code.
  if (screen.name === "invitation" || screen.name === "prejoin") return `/join/${screen.code}`;
  if (screen.name === "downloads") return "/downloads";
  return "/";
}

function firstScreen(): { screen: Screen; notice: string | null } {
  const page = api.pageInAddress();
  if (page?.name === "refused") return { screen: { name: "sessions" }, notice: page.message };
  return { screen: page ?? { name: "sessions" }, notice: null };
}

export function App() {
  const [info, setInfo] = useState<AppInfo | null>(null);
  const [user, setUser] = useState<User | null | undefined>(undefined);
  const [first] = useState(firstScreen);
  const [screen, setScreen] = useState<Screen>(first.screen);
  const [notice, setNotice] = useState<string | null>(first.notice);
  const [startError, setStartError] = useState<string | null>(null);
  const [repairNotice, setRepairNotice] = useState<string | null>(null);
  const [rating, setRating] = useState<{ ended: EndedCall; partnerName: string } | null>(null);
  // Bumped when a call's report has gone: the sessions list shows it.
  const [reportsSent, setReportsSent] = useState(0);
  const signedIn = user != null;

  // At start: a recording a crash cut off is completed now, and said so.
  useEffect(() => {
    if (!signedIn || !api.canRecord) return;
    api.listRecordings().then(
      (list) => {
        const repaired = list.recordings.filter((r) => r.repaired).length;
        if (repaired > 0) setRepairNotice(repaired === 1 ? "A recording was cut off when mentorlive last stopped: it has been repaired and plays up to where it stopped (see Recordings)." : `${repaired} recordings were cut off when mentorlive last stopped: they have been repaired (see Recordings).`);
      },
      () => {},
    );
  }, [signedIn]);

  const inCall = useRef(false);
  inCall.current = screen.name === "call";

  const onLink = useCallback((event: LinkEvent) => {
    if (event.kind === "join" && inCall.current) {
      // A link never interrupts a call.
      setNotice(`Finish this call first to join ${event.code}.`);
    } else if (event.kind === "join") {
      setNotice(null);
      // A link never joins by itself: it opens the pre-join screen.
      setScreen({ name: "prejoin", code: event.code, checkFirst: event.checkFirst });
    } else {
      setNotice(event.message);
    }
  }, []);

  // A page loaded again (an update, F5, a web process that crashed) while
  // the engine still holds a call goes straight back into it.
  const takeBackRunningCall = useCallback(async () => {
    const running = await api.runningCall().catch(() => null);
    if (!running) return;
    const saved = await api.appInfo();
    const stream = await openCapture({ cameraId: saved.cameraId, microphoneId: saved.microphoneId, speakerId: saved.speakerId }).catch(() => new MediaStream());
    setScreen({
      name: "call",
      request: {
        code: running.code,
        stream,
        startMuted: running.audioMuted || stream.getAudioTracks().length === 0,
        startCameraOff: running.videoOff || stream.getVideoTracks().length === 0,
        speakerId: saved.speakerId,
        partnerName: running.partnerName,
        sessionTitle: running.sessionTitle,
        reattach: true,
      },
    });
  }, []);

  useEffect(() => {
    api.appInfo().then(setInfo).catch((e: AppError) => setStartError(e.message));
    api
      .restoreSession()
      .then(async (restored) => {
        setUser(restored);
        if (restored) await takeBackRunningCall();
      })
      .catch((e: AppError) => {
        setUser(null);
        if (e.code !== "unauthorized") setStartError(e.message);
      });
    // A link that reached this page live is not also kept for the next page
    // (a reload would open it again, unasked).
    const unlisten = api.onLink((event) => {
      onLink(event);
      api.takePendingLink().catch(() => {});
    });
    api.takePendingLink().then((e) => e && onLink(e));
    return unlisten;
  }, [onLink, takeBackRunningCall]);

  // The web client's address follows the screen, so a reload lands on it.
  useEffect(() => {
    if (api.kind !== "web") return;
    const address = addressOf(screen);
    if (location.pathname !== address) history.replaceState(null, "", address);
  }, [screen]);

  const signedOut = useCallback(async () => {
    await api.signOut().catch(() => {});
    setUser(null);
    setRating(null);
    setScreen({ name: "sessions" });
  }, []);

  if (user === undefined) return <main className="center" aria-busy="true"><p>Loading…</p></main>;

  return (
    <div className="app">
      <header className="bar">
        <strong className="brand">mentorlive</strong>
        {user && screen.name !== "call" && (
          <nav aria-label="Main">
            <button className={screen.name === "sessions" ? "tab active" : "tab"} onClick={() => setScreen({ name: "sessions" })}>Sessions</button>
            <button className={screen.name === "join" ? "tab active" : "tab"} onClick={() => setScreen({ name: "join" })}>Join with a code</button>
            <button className={screen.name === "insights" ? "tab active" : "tab"} onClick={() => setScreen({ name: "insights" })} data-testid="open-insights">Insights</button>
            {api.canRecord && <button className={screen.name === "recordings" ? "tab active" : "tab"} onClick={() => setScreen({ name: "recordings" })} data-testid="open-recordings">Recordings</button>}
            <button className={screen.name === "settings" ? "tab active" : "tab"} onClick={() => setScreen({ name: "settings" })}>Settings</button>
          </nav>
        )}
        {user && (
          <span className="who">
            {user.name} ({user.role}) <button className="link" onClick={signedOut}>Sign out</button>
          </span>
        )}
      </header>
      {notice && (
        <div className="notice error" role="alert" data-testid="link-notice">
          {notice} <button className="link" onClick={() => setNotice(null)}>Dismiss</button>
        </div>
      )}
      {startError && <div className="notice error" role="alert">{startError}</div>}
      {repairNotice && (
        <div className="notice" role="status" data-testid="repair-notice">
          {repairNotice} <button className="link" onClick={() => setRepairNotice(null)}>Dismiss</button>
        </div>
      )}
      <UpdateBanner hidden={screen.name === "call"} serverUrl={info?.serverUrl} />
      {rating && screen.name !== "call" && <RateCall key={rating.ended.report.peerId} ended={rating.ended} partnerName={rating.partnerName} onDone={() => setRating(null)} onSent={() => setReportsSent((n) => n + 1)} />}
      <main>
        {screen.name === "invitation" ? (
          <Invitation code={screen.code} onJoinHere={() => setScreen({ name: "prejoin", code: screen.code })} onDownloads={() => setScreen({ name: "downloads" })} />
        ) : screen.name === "downloads" ? (
          <Downloads onBack={() => setScreen({ name: "sessions" })} />
        ) : !user ? (
          <SignIn defaultServer={info?.serverUrl ?? "http://127.0.0.1:8787"} defaultEmail={info?.account ?? ""} purpose={screen.name === "prejoin" ? "Sign in to join the live session." : undefined} onSignedIn={(u) => { setUser(u); api.appInfo().then(setInfo); }} />
        ) : screen.name === "sessions" ? (
          <Sessions reportsSent={reportsSent} user={user} onJoin={(code) => setScreen({ name: "prejoin", code })} onSignedOut={signedOut} />
        ) : screen.name === "join" ? (
          <JoinWithCode initial={screen.code} onValid={(code) => setScreen({ name: "prejoin", code })} onSignedOut={signedOut} />
        ) : screen.name === "prejoin" ? (
          <PreJoin key={screen.code} code={screen.code} checkFirst={screen.checkFirst ?? false} info={info} userId={user.id} onBack={() => setScreen({ name: "sessions" })} onSignedOut={signedOut} onJoin={(request) => setScreen({ name: "call", request })} />
        ) : screen.name === "recordings" ? (
          <Recordings />
        ) : screen.name === "insights" ? (
          <ScreenError onBack={() => setScreen({ name: "sessions" })}>
            <Suspense fallback={<p aria-busy="true">Loading your insights…</p>}>
              <Insights onSignedOut={signedOut} />
            </Suspense>
          </ScreenError>
        ) : screen.name === "call" ? (
          <InCall
            request={screen.request}
            onLeft={(ended) => {
              if (ended && info?.shareCallReports && asksForRating(ended.report)) setRating({ ended, partnerName: screen.request.partnerName });
              api.appInfo().then(setInfo);
              setScreen({ name: "sessions" });
            }}
          />
        ) : (
          <Settings info={info} onChanged={() => api.appInfo().then(setInfo)} />
        )}
      </main>
    </div>
  );
}
