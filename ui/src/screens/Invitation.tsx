import { useCallback, useEffect, useRef, useState } from "react";

/** How long the page watches for the desktop app taking the link. */
const APP_TAKES_IT_MS = 1500;

/** The invitation page `{server}/join/CODE` in a browser: it offers the
 *  desktop app and joining here. It says nothing about the session: that
 *  needs a sign-in and a code that validates for the person, on the
 *  pre-join screen.
 *
 *  The app's link is tried on a click, not on load: Chromium refuses to
 *  launch an app without a user gesture ("a user gesture is required"), and
 *  a launch attempted during load made the page lose the first click on
 *  its buttons. */
export function Invitation(props: { code: string; onJoinHere: () => void; onDownloads: () => void }) {
  const appLink = `mentorlive://join/${props.code}`;
  const [appOpened, setAppOpened] = useState(false);
  const stopWatching = useRef<() => void>(() => {});

  // The app, when installed, takes the link and the page loses focus or
  // goes to the background; without it the browser does nothing.
  const tryApp = useCallback(() => {
    stopWatching.current();
    const took = () => setAppOpened(true);
    const onVisibility = () => document.visibilityState === "hidden" && took();
    window.addEventListener("blur", took);
    document.addEventListener("visibilitychange", onVisibility);
    const timer = window.setTimeout(() => stopWatching.current(), APP_TAKES_IT_MS);
    stopWatching.current = () => {
      window.clearTimeout(timer);
      window.removeEventListener("blur", took);
      document.removeEventListener("visibilitychange", onVisibility);
    };
    window.location.href = appLink;
  }, [appLink]);

  useEffect(() => () => stopWatching.current(), []);

  return (
    <section className="card narrow invitation" aria-labelledby="invitation-title" data-testid="invitation">
      <h1 id="invitation-title">You're invited to a live session</h1>
      <p>Join from the mentorlive desktop app, or right here in your browser.</p>
      <div className="actions stacked">
        <button className="primary" onClick={tryApp} data-testid="open-app">Open the desktop app</button>
        <button className="primary" onClick={props.onJoinHere} data-testid="join-in-browser">Join in the browser</button>
        <button onClick={props.onDownloads} data-testid="get-app">Get the desktop app</button>
      </div>
      {/* Below the buttons, so that the news never moves them under a finger. */}
      <p className="ok" role="status" data-testid="opened-in-app">
        {appOpened ? "Opened in the mentorlive app. You can close this tab, or join here instead." : ""}
      </p>
    </section>
  );
}
