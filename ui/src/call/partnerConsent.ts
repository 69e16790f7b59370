// The recorded side of the contract's "Recording", for a client that does
// not record itself (the web client): the partner asks, our user answers,
// the partner says when it records, our user may revoke. The desktop app's
// engine has both sides in Rust (machine/consent.rs); this is the same
// half, with the same words going out as `recording` events.

import type { RecordingEnd, RecordingView, TheirRecording } from "../generated/types";

/** No answer within this long is a decline. */
export const ANSWER_WITHIN_MS = 30_000;
/** An accept not yet followed by `started` is said again this often. */
export const SAY_AGAIN_MS = 3_000;

export type RecordMessage = { type: "record"; action: string; id: string };

export interface ConsentIo {
  send(message: RecordMessage): void;
  show(view: RecordingView): void;
  setTimer(ms: number, run: () => void): () => void;
}

export class PartnerConsent {
  private state: TheirRecording = "off";
  private id = "";
  private cancelTimer: (() => void) | null = null;

  constructor(private io: ConsentIo) {}

  get theirs(): TheirRecording {
    return this.state;
  }

  private set(state: TheirRecording, ended?: RecordingEnd) {
    this.state = state;
    this.cancelTimer?.();
    this.cancelTimer = null;
    this.io.show({ ours: "off", theirs: state, ended });
  }

  private say(action: string) {
    this.io.send({ type: "record", action, id: this.id });
  }

  /** A `record` message from the partner. */
  onMessage(action: unknown, id: unknown) {
    if (typeof id !== "string") return;
    switch (action) {
      case "request":
        if (this.state === "asking" && id === this.id) return; // said again
        this.id = id;
        this.set("asking");
        this.cancelTimer = this.io.setTimer(ANSWER_WITHIN_MS, () => {
          this.say("decline");
          this.set("off", "no_answer");
        });
        break;
      case "started":
        // Shown whatever we answered: a person must know they are recorded.
        if (this.state === "recording" && id === this.id) return;
        this.id = id;
        this.set("recording");
        break;
      case "stopped":
        if (this.state === "recording" || (this.state !== "off" && id === this.id)) this.set("off", "stopped");
        break;
      // accept, decline, revoke answer a request of ours: we make none.
    }
  }

  answer(accept: boolean) {
    if (this.state !== "asking") return;
    this.say(accept ? "accept" : "decline");
    if (!accept) return this.set("off", "declined");
    this.set("allowed");
    const again = () => {
      if (this.state !== "allowed") return;
      this.say("accept");
      this.cancelTimer = this.io.setTimer(SAY_AGAIN_MS, again);
    };
    this.cancelTimer = this.io.setTimer(SAY_AGAIN_MS, again);
  }

  revoke() {
    if (this.state === "asking") return this.answer(false);
    if (this.state === "off") return;
    this.say("revoke");
    this.set("off", "revoked");
  }

  /** The partner left the call: their recording of us is over. */
  partnerLeft() {
    if (this.state !== "off") this.set("off", "partner_left");
  }
}
