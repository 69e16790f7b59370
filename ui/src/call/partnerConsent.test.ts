import { describe, expect, it } from "vitest";
import { PartnerConsent, ANSWER_WITHIN_MS, type RecordMessage } from "./partnerConsent";
import type { RecordingView } from "../generated/types";

function harness() {
  const sent: RecordMessage[] = [];
  const shown: RecordingView[] = [];
  const timers: { ms: number; run: () => void; live: boolean }[] = [];
  const consent = new PartnerConsent({
    send: (m) => sent.push(m),
    show: (v) => shown.push(v),
    setTimer: (ms, run) => {
      const t = { ms, run, live: true };
      timers.push(t);
      return () => (t.live = false);
    },
  });
  const fire = (ms: number) => timers.filter((t) => t.live && t.ms === ms).forEach((t) => ((t.live = false), t.run()));
  return { consent, sent, shown, fire };
}

describe("the recorded side's consent", () => {
  it("asks, accepts, shows the recording and revokes it", () => {
    const { consent, sent, shown } = harness();
    consent.onMessage("request", "r1");
    expect(shown.at(-1)?.theirs).toBe("asking");
    consent.answer(true);
    expect(sent).toEqual([{ type: "record", action: "accept", id: "r1" }]);
    consent.onMessage("started", "r1");
    expect(shown.at(-1)?.theirs).toBe("recording");
    consent.revoke();
    expect(sent.at(-1)).toEqual({ type: "record", action: "revoke", id: "r1" });
    expect(shown.at(-1)).toEqual({ ours: "off", theirs: "off", ended: "revoked" });
  });

  it("declines by itself after 30 s without an answer", () => {
    const { consent, sent, shown, fire } = harness();
    consent.onMessage("request", "r1");
    fire(ANSWER_WITHIN_MS);
    expect(sent).toEqual([{ type: "record", action: "decline", id: "r1" }]);
    expect(shown.at(-1)?.ended).toBe("no_answer");
    consent.answer(true);
    expect(sent).toHaveLength(1);
  });

  it("ignores what is not for it and shows a recording it never allowed", () => {
    const { consent, sent, shown } = harness();
    consent.onMessage("accept", "x");
    consent.onMessage("request", 42);
    expect(shown).toHaveLength(0);
    consent.onMessage("started", "r9");
    expect(shown.at(-1)?.theirs).toBe("recording");
    expect(sent).toHaveLength(0);
  });
});
