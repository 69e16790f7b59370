// A call on the desktop: the Rust engine joins and holds the peer
// connection; this side captures, encodes (WebCodecs) and sends frames over
// the loopback bridge, and decodes and paints what comes back. The
// engine's events reach the screen as they are.

import { Channel } from "@tauri-apps/api/core";
import { AppError } from "../errors";
import { codeErrorMessage } from "../code";
import type { TimedCallEvent } from "../generated/types";
import { MediaBridge } from "../media/bridge";
import { routeToSpeaker } from "../media/devices";
import { MediaReceiver } from "../media/receiver";
import { MediaSender } from "../media/sender";
import { pickDisplay, ShareRefused } from "../media/displayCapture";
import { ScreenSender } from "../media/screenSender";
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
  let screen: ScreenSender | null = null;
  // A share being set up (the picker open): a second one waits for nothing.
  let sharePending = false;
  let lastTarget = 0;
  const fail = (message: string) => !stopped && onFail(message);
  // The join timeline, in ms from here (Join pressed): what the benchmark
  // reads beside the engine's own steps. Each step once, the first time.
  const startedAt = performance.now();
  const joinTimeline: Record<string, number> = {};
  const mark = (step: string, at = performance.now()) => (joinTimeline[step] ??= Math.round(at - startedAt));
  /** The congestion estimate, shared: while we share a screen it keeps its
   *  legibility and the camera gives way (to a floor it still moves at). */
  const splitBitrate = (bps: number) => {
    lastTarget = bps;
    if (!screen) return send?.setTargetBitrate(bps);
    const camera = Math.max(100_000, Math.round(bps * 0.25));
    send?.setTargetBitrate(camera);
    screen.setTargetBitrate(Math.max(150_000, bps - camera));
  };
  const stopSharing = (notice: string | null) => {
    if (!screen) return;
    screen.stop();
    screen = null;
    commands.callShareScreen(false).catch(() => {});
    if (lastTarget) splitBitrate(lastTarget);
    start.onLocalScreen(false, notice);
  };

  const onEvent = new Channel<TimedCallEvent>();
  let partnerName = start.request.partnerName;
  onEvent.onmessage = ({ atMs, event }) => {
    // The engine's time, not ours: a reloaded page hears the call's past
    // (when it connected) and runs its clock from then.
    start.onEvent(event, atMs);
    switch (event.event) {
      case "peer_present":
        partnerName = event.user.name;
        break;
      case "replaced":
        stopSharing(null);
        break;
      case "partner_screen":
        // The last picture of a share is not shown at the start of the next.
        if (!event.share.active) receive?.clearScreen();
        break;
      case "peer_left":
        receive?.clearAll();
        break;
      case "state":
        if (event.state === "connected") {
          mark("engine_connected");
          send?.requestKeyframe();
        }
        if (event.state === "ended") stopSharing(null);
        break;
      case "keyframe_requested":
        send?.requestKeyframe();
        break;
      case "screen_keyframe_requested":
        screen?.requestKeyframe();
        break;
      case "target_bitrate":
        splitBitrate(event.bps);
        break;
      case "stats":
        exposeForTests("mentorliveEngineStats", event.stats);
        break;
    }
  };

  (async () => {
    if (!webCodecsAvailable()) throw new AppError("no_webcodecs", "This system's web engine cannot encode video (WebCodecs is missing).");
    warmUpWebCodecs();
    // The receiver (decoder, painters, the audio worklet) gets ready while
    // the engine joins, not after: it needs nothing of the call but the
    // bridge, which it asks for only when it wants a keyframe. Built after
    // the join, it kept the main thread busy while the bridge's socket
    // opened and the partner's first frames waited (35–75 ms of the app's
    // join, docs/performance.md).
    receive = new MediaReceiver(() => bridge, start.remote as HTMLCanvasElement, start.remoteScreen as HTMLCanvasElement, audio, start.onRemoteScreenSize);
    const receiving = receive;
    const receiverReady = (async () => {
      await routeToSpeaker(audio, request.speakerId);
      await receiving.start();
      mark("receiver_ready");
    })();
    // Awaited after the join; a join that fails first leaves it handled.
    receiverReady.catch(() => {});
    // A reloaded page takes over the call the engine still holds.
    const call = request.reattach ? await commands.reattachCall(onEvent) : await commands.joinCall(request.code, request.sessionTitle, request.partnerName, onEvent);
    if (stopped) return;
    joined = true;
    mark("engine_joined");
    const media = start.media();
    // The engine keeps it and tells the partner on every (re)connect.
    commands.callSetMediaState(media.muted, media.cameraOff).catch(() => {});
    bridge = new MediaBridge(call.bridgeUrl, {
      onChunk: (c) => {
        if (c.kind === "video") mark("first_video_chunk");
        receive?.push(c);
      },
      onOpen: () => mark("bridge_open"),
      onKeyframeWanted: (video) => (video === "screen" ? screen?.requestKeyframe() : send?.requestKeyframe()),
      onClose: () => fail("The connection to the call engine closed."),
    });
    send = new MediaSender(bridge, start.local, request.stream, audio, fail);
    send.setAudioMuted(media.muted);
    send.setVideoOff(media.cameraOff);
    await receiverReady;
    await send.start();
    // Hung up while starting: the shared AudioContext stays at rest.
    if (stopped) return;
    mark("sender_ready");
    await audio.resume();
    // What the end-to-end test and the benchmark read. Figures only.
    exposeForTests("mentorliveCall", {
      videoState: () => send?.videoState(),
      sender: send.stats,
      get receiver() {
        return receiving.stats;
      },
      get screenSender() {
        return screen?.stats ?? null;
      },
      audioState: () => audio.state,
      glassToGlassMs: receive.glassToGlassMs,
      get joinTimeline() {
        if (receiving.firstPaintAt !== null) mark("first_frame_painted", receiving.firstPaintAt);
        return joinTimeline;
      },
      screenChangeToPaintMs: receive.screenChangeToPaintMs,
    });
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
    async shareScreen() {
      if (!joined || !bridge) throw new ShareRefused("Wait until the call has started to share your screen.");
      if (screen || sharePending) return;
      sharePending = true;
      let sender: ScreenSender | null = null;
      try {
        const track = await pickDisplay();
        if (stopped) return track.stop();
        sender = new ScreenSender(bridge, track, fail);
        await sender.start();
        await commands.callShareScreen(true);
        if (stopped) return sender.stop();
        screen = sender;
        const sharing = sender;
        // The window or screen shared went away (closed, or the portal ended it).
        track.addEventListener("ended", () => screen === sharing && stopSharing("What you shared is gone (the window was closed or the system stopped it), so sharing stopped."));
        if (track.readyState === "ended") return stopSharing("What you shared is gone (the window was closed or the system stopped it), so sharing stopped.");
        if (lastTarget) splitBitrate(lastTarget);
        start.onLocalScreen(true, null);
      } catch (err) {
        // Nothing half-started stays behind: no capture the person cannot stop.
        if (sender && screen !== sender) sender.stop();
        throw err;
      } finally {
        sharePending = false;
      }
    },
    stopScreen: () => stopSharing(null),
    record: () => commands.callRecord(start.request.sessionTitle, partnerName),
    stopRecording: () => void commands.callStopRecording().catch(() => {}),
    answerRecording: (accept) => void commands.callAnswerRecording(accept).catch(() => {}),
    revokeRecording: () => void commands.callRevokeRecording().catch(() => {}),
    hangUp: () => {
      // The screen stops at the click, not when the engine has left.
      stopSharing(null);
      return commands.callHangUp();
    },
    close() {
      stopped = true;
      commands.callHangUp().catch(() => {});
      send?.stop();
      screen?.stop();
      screen = null;
      receive?.stop();
      bridge?.close();
    },
  };
}
