import { afterEach, describe, expect, it, vi } from "vitest";
import { releaseStream, RELEASE_DELAY_MS } from "./release";

function track() {
  return { stop: vi.fn() } as unknown as MediaStreamTrack & { stop: ReturnType<typeof vi.fn> };
}

function video(showing: unknown) {
  const order: string[] = [];
  const element = {
    srcObject: showing,
    pause: vi.fn(() => order.push("pause")),
  } as unknown as HTMLVideoElement;
  return { element, order };
}

describe("releaseStream", () => {
  afterEach(() => vi.useRealTimers());

  it("takes the stream out of the element before its tracks stop, a turn later", async () => {
    vi.useFakeTimers();
    const t = track();
    const stream = { getTracks: () => [t] } as unknown as MediaStream;
    const { element } = video(stream);
    const done = releaseStream(stream, [element]);
    expect(element.srcObject).toBeNull();
    expect(element.pause).toHaveBeenCalled();
    expect(t.stop).not.toHaveBeenCalled();
    vi.advanceTimersByTime(RELEASE_DELAY_MS);
    await done;
    expect(t.stop).toHaveBeenCalledTimes(1);
  });

  it("waits a turn for an element it detached even with no track to stop (a device switch)", async () => {
    vi.useFakeTimers();
    const { element } = video({});
    let settled = false;
    const done = releaseStream(null, [element], []).then(() => (settled = true));
    await Promise.resolve();
    expect(settled).toBe(false);
    vi.advanceTimersByTime(RELEASE_DELAY_MS);
    await done;
    expect(settled).toBe(true);
  });

  it("has nothing to wait for with no element showing and no track", async () => {
    await expect(releaseStream(null, [null, video(null).element], [])).resolves.toBeUndefined();
  });
});
