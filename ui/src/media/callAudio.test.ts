import { describe, expect, it, vi } from "vitest";
import { endWorkletNode, loadWorklet } from "./callAudio";

function context(addModule: (url: string) => Promise<void>) {
  return { audioWorklet: { addModule: vi.fn(addModule) } } as unknown as BaseAudioContext & { audioWorklet: { addModule: ReturnType<typeof vi.fn> } };
}

describe("the calls' audio context", () => {
  it("loads each worklet module once per context, as a second registration would throw", async () => {
    const ctx = context(() => Promise.resolve());
    await loadWorklet(ctx, "worklets/player.js");
    await loadWorklet(ctx, "worklets/player.js");
    await loadWorklet(ctx, "worklets/capture.js");
    expect(ctx.audioWorklet.addModule.mock.calls.map((c) => c[0])).toEqual(["worklets/player.js", "worklets/capture.js"]);
    const other = context(() => Promise.resolve());
    await loadWorklet(other, "worklets/player.js");
    expect(other.audioWorklet.addModule).toHaveBeenCalledTimes(1);
  });

  it("tries a module again after a failed load", async () => {
    let fail = true;
    const ctx = context(() => (fail ? Promise.reject(new Error("offline")) : Promise.resolve()));
    await expect(loadWorklet(ctx, "worklets/player.js")).rejects.toThrow("offline");
    fail = false;
    await expect(loadWorklet(ctx, "worklets/player.js")).resolves.toBeUndefined();
    expect(ctx.audioWorklet.addModule).toHaveBeenCalledTimes(2);
  });

  it("ends a call's worklet node by message, so its processor stops", () => {
    const node = { port: { postMessage: vi.fn(), onmessage: () => {} }, disconnect: vi.fn() } as unknown as AudioWorkletNode;
    endWorkletNode(node);
    expect(node.port.postMessage).toHaveBeenCalledWith(null);
    expect(node.port.onmessage).toBeNull();
    expect(node.disconnect).toHaveBeenCalled();
  });
});
