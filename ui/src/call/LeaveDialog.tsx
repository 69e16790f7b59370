import { useEffect, useRef } from "react";
import { createPortal } from "react-dom";

/** Asked when the window is closed during a call: leave, or keep the call
 *  going in the background (the tray). Escape or Cancel keeps the window. */
export function LeaveDialog(props: { partner: string; onLeave: () => void; onKeep: () => void; onCancel: () => void }) {
  const keep = useRef<HTMLButtonElement>(null);
  useEffect(() => keep.current?.focus(), []);
  // Above the call's video, whatever stacking the call's layout makes.
  return createPortal(
    <div className="backdrop" onKeyDown={(e) => e.key === "Escape" && props.onCancel()}>
      <div className="card modal" role="dialog" aria-modal="true" aria-labelledby="leave-title" data-testid="leave-dialog">
        <h2 id="leave-title">Leave the call?</h2>
        <p>
          Closing the window ends your call with {props.partner}. Or keep the call going in the background: mentorlive stays in the tray, where you can mute, hang up or show the call again, and you and {props.partner} keep hearing each other.
        </p>
        <div className="actions">
          <button onClick={props.onCancel}>Cancel</button>
          <button className="danger" onClick={props.onLeave} data-testid="leave-and-close">Leave</button>
          <button ref={keep} className="primary" onClick={props.onKeep} data-testid="keep-in-background">Keep in background</button>
        </div>
      </div>
    </div>,
    document.body,
  );
}
