import { useEffect, useState } from "react";

/** How long the page waits to see whether the desktop app took the link. */
const APP_TAKES_IT_MS = 1500;

/** The invitation page `{server}/join/CODE` in a browser: it offers the
 *  desktop app (trying its link once) and joining here. It says nothing
 *  about the session: that needs a sign-in and a code that validates for
 *  the person, on the pre-join screen. */
export function Invitation(props: { code: string; onJoinHere: () => void; onDownloads: () => void }) {
  const appLink = `mentorlive://join/${props.code}`;
  const [appOpened, setAppOpened] = useState(false);

  useEffect(() => {
    // The app, when installed, takes the link and the page loses focus or
    // goes to the background; without it the browser does nothing.
    const took = () => setAppOpened(true);
    const onVisibility = () => document.visibilityState === "hidden" && took();
    window.addEventListener("blur", took);
    document.addEventListener("visibilitychange", onVisibility);
    const stopLooking = window.setTimeout(() => {
      window.removeEventListener("blur", took);
      document.removeEventListener("visibilitychange", onVisibility);
    }, APP_TAKES_IT_MS);
    window.location.href = appLink;
    return () => {
      window.clearTimeout(stopLooking);
      window.removeEventListener("blur", took);
      document.removeEventListener("visibilitychange", onVisibility);
    };
  }, [appLink]);

  return (
    <section className="card narrow invitation" aria-labelledby="invitation-title" data-testid="invitation">
      <h1 id="invitation-title">You're invited to a live session</h1>
      {appOpened ? (
        <p className="ok" role="status" data-testid="opened-in-app">
          Opened in the mentorlive app. You can close this tab, or join here instead.
        </p>
      ) : (
        <p>Join from the mentorlive desktop app, or right here in your browser.</p>
      )}
      <div className="actions stacked">
        <button className="primary" onClick={props.onJoinHere} data-testid="join-in-browser">Join in the browser</button>
        <a className="button" href={appLink} data-testid="open-app">Open the desktop app</a>
        <button onClick={props.onDownloads} data-testid="get-app">Get the desktop app</button>
      </div>
    </section>
  );
}
