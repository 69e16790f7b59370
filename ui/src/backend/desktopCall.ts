// A call on the desktop: the Rust engine joins and holds the peer
// connection; this side captures, encodes (WebCodecs) and sends frames over
// the loopback bridge, and decodes and paints what comes back. The
// engine's events reach the screen as they are.

import { Channel } from "@tauri-apps/api/core";
import { AppError } from "../errors";
import { codeErrorMessage } from "../code";
import type { CallEvent } from "../generated/types";
import { MediaBridge } from "../media/bridge";
import { routeToSpeaker } from "../media/devices";
import { MediaReceiver } from "../media/receiver";
import { MediaSender } from "../media/sender";
import { warmUpWebCodecs, webCodecsAvailable } from "../media/warmup";
import { exposeForTests } from "../testHooks";
import type { CallConnection, CallStart } from "./backend";
import { commands } from "../generated/commands";

export function startDesktopCall(start: CallStart): CallConnection {
  const { request, audio, onFail } = start;
  let stopped = false;
  let joined = false;
  let bridge: MediaBridge | null = null;
  let send: MediaSender | null = null;
  let receive: MediaReceiver | null = null;
  const fail = (message: string) => !stopped && onFail(message);

  const onEvent = new Channel<CallEvent>();
  onEvent.onmessage = (event) => {
    start.onEvent(event);
    switch (event.event) {
      case "state":
        if (event.state === "connected") send?.requestKeyframe();
        break;
      case "keyframe_requested":
        send?.requestKeyframe();
        break;
      case "target_bitrate":
        send?.setTargetBitrate(event.bps);
        break;
      case "stats":
        exposeForTests("mentorliveEngineStats", event.stats);
        break;
    }
  };

  (async () => {
    if (!webCodecsAvailable()) throw new AppError("no_webcodecs", "This system's web engine cannot encode video (WebCodecs is missing).");
    warmUpWebCodecs();
    const call = await commands.joinCall(request.code, onEvent);
    if (stopped) return;
    joined = true;
    const media = start.media();
    // The engine keeps it and tells the partner on every (re)connect.
    commands.callSetMediaState(media.muted, media.cameraOff).catch(() => {});
    bridge = new MediaBridge(call.bridgeUrl, {
      onChunk: (c) => receive?.push(c),
      onKeyframeWanted: () => send?.requestKeyframe(),
      onClose: () => fail("The connection to the call engine closed."),
    });
    receive = new MediaReceiver(() => bridge, start.remote as HTMLCanvasElement, audio, fail);
    send = new MediaSender(bridge, start.local, request.stream, audio, fail);
    send.setAudioMuted(media.muted);
    send.setVideoOff(media.cameraOff);
    await routeToSpeaker(audio, request.speakerId);
    await receive.start();
    await send.start();
    await audio.resume();
    // What the end-to-end test and the benchmark read. Figures only.
    exposeForTests("mentorliveCall", { videoState: () => send?.videoState(), sender: send.stats, receiver: receive.stats, audioState: () => audio.state, glassToGlassMs: receive.glassToGlassMs });
  })().catch((e: AppError | Error) => fail("code" in e ? codeErrorMessage(e.code, e.message) : e.message));

  return {
    setMediaState(muted, cameraOff) {
      send?.setAudioMuted(muted);
      send?.setVideoOff(cameraOff);
      if (joined) commands.callSetMediaState(muted, cameraOff).catch(() => {});
    },
    sendChat: (text) => commands.callSendChat(text),
    async carryOnWith(stream) {
      // The sender points the preview at the new stream and restarts
      // capture; a fresh VP8 encoder starts with a keyframe.
      if (send) await send.carryOnWith(stream);
      else start.local.srcObject = stream;
    },
    setSpeaker: (id) => routeToSpeaker(audio, id),
    hangUp: () => commands.callHangUp(),
    close() {
      stopped = true;
      commands.callHangUp().catch(() => {});
      send?.stop();
      receive?.stop();
      bridge?.close();
    },
  };
}
