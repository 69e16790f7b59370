import { describe, expect, it } from "vitest";
import { callReducer, initialView, type CallAction } from "./callView";
import type { CallEvent } from "../generated/types";

const engine = (event: CallEvent, at = 1_000): CallAction => ({ type: "engine", event, at });
const run = (actions: CallAction[]) => actions.reduce(callReducer, initialView("Leo"));

describe("the call screen's state", () => {
  it("starts the clock when both are in and keeps it across a reconnect", () => {
    const view = run([
      engine({ event: "state", state: "waiting_for_peer" }, 100),
      engine({ event: "state", state: "connected" }, 2_000),
      engine({ event: "state", state: "reconnecting" }, 5_000),
      engine({ event: "state", state: "connected" }, 9_000),
    ]);
    expect(view.state).toBe("connected");
    expect(view.connectedAt).toBe(2_000);
  });

  it("tells a hang-up from a drop", () => {
    const user = { id: "u", name: "Leo Learner", role: "learner" as const };
    const dropped = run([engine({ event: "peer_present", peer_id: "p", user }), engine({ event: "peer_left", peer_id: "p", reason: "disconnected" })]);
    expect(dropped.partnerLeft).toBe(false);
    expect(dropped.partner).toMatchObject({ name: "Leo Learner", present: false });
    const left = callReducer(dropped, engine({ event: "peer_left", peer_id: "p", reason: "left" }));
    expect(left.partnerLeft).toBe(true);
    expect(callReducer(left, { type: "wait_for_partner" }).partnerLeft).toBe(false);
  });

  it("shows the partner's media state and chat, ours too", () => {
    const view = run([
      engine({ event: "partner_media", state: { audioMuted: true, videoOff: false, screen: false } }),
      engine({ event: "chat", message: { id: "c1", text: "hello", sentAt: "2026-12-01T10:00:00Z" } }),
      { type: "chat_sent", id: "m1", text: "hi Leo", at: 2_000 },
    ]);
    expect(view.partner.audioMuted).toBe(true);
    expect(view.chat.map((l) => [l.from, l.text])).toEqual([
      ["partner", "hello"],
      ["me", "hi Leo"],
    ]);
  });

  it("keeps the last 200 chat lines", () => {
    const many: CallAction[] = Array.from({ length: 250 }, (_, i) => ({ type: "chat_sent", id: `m${i}`, text: `${i}`, at: i }));
    const view = run(many);
    expect(view.chat).toHaveLength(200);
    expect(view.chat[0].text).toBe("50");
  });

  it("says why the call ended", () => {
    expect(run([engine({ event: "replaced" })]).ended).toMatch(/another device/);
    expect(run([engine({ event: "state", state: "ended" })]).ended).toBe("The call has ended.");
  });
  it("shows the partner's screen share while it runs, and ours with why it stopped", () => {
    const sharing = run([engine({ event: "partner_screen", share: { active: true, mid: "3" } })]);
    expect(sharing.partner.sharing).toBe(true);
    expect(callReducer(sharing, engine({ event: "partner_screen", share: { active: false } })).partner.sharing).toBe(false);
    expect(callReducer(sharing, engine({ event: "peer_left", peer_id: "p", reason: "disconnected" })).partner.sharing).toBe(false);
    const ours = run([{ type: "local_screen", sharing: true, notice: null }]);
    expect(ours.sharing).toBe(true);
    const gone = callReducer(ours, { type: "local_screen", sharing: false, notice: "What you shared is gone" });
    expect(gone).toMatchObject({ sharing: false, shareNotice: "What you shared is gone" });
    expect(callReducer(gone, { type: "dismiss_share_notice" }).shareNotice).toBeNull();
    // A call that is over shares nothing, however it ended.
    expect(callReducer(ours, engine({ event: "state", state: "ended" })).sharing).toBe(false);
    expect(callReducer(ours, engine({ event: "replaced" })).sharing).toBe(false);
  });
});

describe("recording consent", () => {
  const recording = (ours: "off" | "asking" | "recording", theirs: "off" | "asking" | "allowed" | "recording", ended?: "declined" | "no_answer" | "revoked" | "stopped" | "partner_left" | "failed") =>
    engine({ event: "recording", recording: { ours, theirs, ended } });

  it("shows our recording's clock from its start and says a decline in words", () => {
    let view = initialView("Leo");
    view = callReducer(view, recording("asking", "off"));
    expect(view.recording.ours).toBe("asking");
    view = callReducer(view, { type: "engine", event: { event: "recording", recording: { ours: "recording", theirs: "off" } }, at: 5_000 });
    expect(view.recording.oursSince).toBe(5_000);
    view = callReducer(view, recording("off", "off", "revoked"));
    expect(view.recording.oursSince).toBeNull();
    expect(view.recording.notice).toBe("Leo withdrew their consent: the recording stopped.");
    const declined = callReducer(callReducer(initialView("Leo"), recording("asking", "off")), recording("off", "off", "declined"));
    expect(declined.recording.notice).toBe("Leo declined to be recorded. Nothing was recorded.");
  });

  it("shows the partner's recording of us, and a failure in the recorder's own words", () => {
    let view = callReducer(initialView("Leo"), recording("off", "asking"));
    expect(view.recording.theirs).toBe("asking");
    view = callReducer(view, { type: "engine", event: { event: "recording", recording: { ours: "off", theirs: "recording" } }, at: 7_000 });
    expect(view.recording.theirsSince).toBe(7_000);
    view = callReducer(view, recording("off", "off", "stopped"));
    expect(view.recording.notice).toBe("Leo stopped recording.");
    let failed = callReducer(initialView("Leo"), recording("recording", "off"));
    failed = callReducer(failed, engine({ event: "recording_failed", message: "The disk is nearly full (3 MB left): the recording stopped and is saved." }));
    failed = callReducer(failed, recording("off", "off", "failed"));
    expect(failed.recording.notice).toContain("The disk is nearly full");
  });
});
