// @vitest-environment jsdom
import { afterEach, describe, expect, it, vi } from "vitest";
import { render, screen, act, cleanup } from "@testing-library/react";

afterEach(cleanup);
import userEvent from "@testing-library/user-event";
import { LiveSessionCode } from "./LiveSessionCode";

const code = {
  code: "ABCDEFGH",
  grouped: "ABCD EFGH",
  inviteLink: "https://live.example.org/join/ABCDEFGH",
  sessionId: "s1",
  expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
  isNew: true,
};

describe("LiveSessionCode", () => {
  it("shows the code grouped, copies it and says Copied", async () => {
    const copy = vi.fn(async () => {});
    render(<LiveSessionCode code={code} onJoin={() => {}} onExpired={() => {}} copy={copy} />);
    expect(screen.getByTestId("live-code").textContent).toBe("ABCD EFGH");
    expect(screen.getByTestId("countdown").textContent).toMatch(/^(59|60):\d\d$/);
    await userEvent.click(screen.getByTestId("copy-code"));
    expect(copy).toHaveBeenCalledWith("ABCDEFGH");
    expect(screen.getByTestId("copy-code").textContent).toBe("Copied");
    await userEvent.click(screen.getByTestId("copy-link"));
    expect(copy).toHaveBeenLastCalledWith("https://live.example.org/join/ABCDEFGH");
  });

  it("reports an expired code so the list can refresh", async () => {
    const onExpired = vi.fn();
    await act(async () => {
      render(<LiveSessionCode code={{ ...code, expiresAt: new Date(Date.now() - 1000).toISOString() }} onJoin={() => {}} onExpired={onExpired} copy={async () => {}} />);
    });
    expect(screen.getByTestId("countdown").textContent).toBe("expired");
    expect(onExpired).toHaveBeenCalled();
  });
});
