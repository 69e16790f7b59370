import { useEffect, useState } from "react";
import { api, AppError, type UpdateInfo } from "../api";

type Step =
  | { kind: "idle" }
  | { kind: "available"; update: UpdateInfo }
  | { kind: "downloading"; update: UpdateInfo }
  | { kind: "ready"; update: UpdateInfo }
  | { kind: "failed"; message: string };

// Checks at start and whenever the server changes (updates come from the
// server the user signs in to) and offers the update; never shown during a
// call (the Rust side refuses to download or install then, too).
export function UpdateBanner({ hidden, serverUrl }: { hidden: boolean; serverUrl: string | undefined }) {
  const [step, setStep] = useState<Step>({ kind: "idle" });
  const [dismissed, setDismissed] = useState(false);

  useEffect(() => {
    if (!serverUrl) return;
    let current = true;
    api
      .checkForUpdate()
      .then((update) => current && update && setStep({ kind: "available", update }))
      // A failed check is not worth a banner: the next start checks again.
      .catch(() => {});
    return () => {
      current = false;
    };
  }, [serverUrl]);

  if (hidden || dismissed || step.kind === "idle") return null;

  const download = (update: UpdateInfo) => {
    setStep({ kind: "downloading", update });
    api
      .downloadUpdate()
      .then((u) => setStep({ kind: "ready", update: u }))
      .catch((e: AppError) => setStep({ kind: "failed", message: e.message }));
  };
  const install = () => {
    api.installUpdate().catch((e: AppError) => setStep({ kind: "failed", message: e.message }));
  };

  return (
    <div className={step.kind === "failed" ? "notice error" : "notice"} role="status" data-testid="update-banner" data-step={step.kind}>
      {step.kind === "available" && (
        <>
          mentorlive {step.update.version} is available (you have {step.update.currentVersion}).{" "}
          <button onClick={() => download(step.update)}>Download</button>{" "}
          <button className="link" onClick={() => setDismissed(true)}>Later</button>
        </>
      )}
      {step.kind === "downloading" && <>Downloading mentorlive {step.update.version}…</>}
      {step.kind === "ready" && (
        <>
          mentorlive {step.update.version} is downloaded and its signature checked.{" "}
          <button onClick={install}>Restart to update</button>{" "}
          <button className="link" onClick={() => setDismissed(true)}>Later</button>
        </>
      )}
      {step.kind === "failed" && (
        <>
          {step.message} <button className="link" onClick={() => setDismissed(true)}>Dismiss</button>
        </>
      )}
    </div>
  );
}
