// One call, as the screen holds it: joins through the engine, connects the
// media bridge, the encoders and the decoders, and turns the engine's
// events into the view (the reducer) and into what they set in motion (a
// keyframe, a bitrate, a chime, a notification).

import { useEffect, useReducer, useRef, type RefObject } from "react";
import { Channel } from "@tauri-apps/api/core";
import { api, AppError, type CallEvent } from "../api";
import { codeErrorMessage } from "../code";
import { MediaBridge } from "../media/bridge";
import { playChime } from "../media/chime";
import { routeToSpeaker } from "../media/devices";
import { MediaReceiver } from "../media/receiver";
import { MediaSender } from "../media/sender";
import { warmUpWebCodecs, webCodecsAvailable } from "../media/warmup";
import { exposeForTests } from "../testHooks";
import type { JoinRequest } from "../screens/PreJoin";
import { callReducer, initialView } from "./callView";

export function useCall(request: JoinRequest, remote: RefObject<HTMLCanvasElement | null>, local: RefObject<HTMLVideoElement | null>, muted: boolean, cameraOff: boolean) {
  const [view, dispatch] = useReducer(callReducer, request.partnerName, initialView);
  const sender = useRef<MediaSender | null>(null);
  const audio = useRef<AudioContext | null>(null);
  // The camera and microphone in use: they change when the person switches
  // devices or one is unplugged, without leaving the call.
  const localStream = useRef(request.stream);
  const mediaState = useRef({ muted, cameraOff });
  mediaState.current = { muted, cameraOff };

  useEffect(() => {
    let stopped = false;
    let bridge: MediaBridge | null = null;
    let send: MediaSender | null = null;
    let receive: MediaReceiver | null = null;
    const stream = localStream;
    const audioContext = new AudioContext({ sampleRate: 48_000, latencyHint: "interactive" });
    audio.current = audioContext;
    if (local.current) local.current.srcObject = stream.current;
    const fail = (message: string) => !stopped && dispatch({ type: "failed", message });

    // Whether we were alone in the room: a partner arriving then is news.
    let waiting = false;
    const onEvent = new Channel<CallEvent>();
    onEvent.onmessage = (event) => {
      dispatch({ type: "engine", event, at: Date.now() });
      switch (event.event) {
        case "state":
          waiting = event.state === "waiting_for_peer";
          if (event.state === "connected") send?.requestKeyframe();
          break;
        case "peer_present":
          if (waiting) {
            playChime(audioContext, "joined");
            api.notifyIfAway(`${event.user.name} joined “${request.sessionTitle}”`, "Your live session has started.").catch(() => {});
          }
          break;
        case "peer_left":
          if (event.reason !== "replaced") playChime(audioContext, "left");
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
      const joined = await api.joinCall(request.code, onEvent);
      if (stopped) return;
      // The engine keeps it and tells the partner on every (re)connect.
      api.callSetMediaState(mediaState.current.muted, mediaState.current.cameraOff).catch(() => {});
      bridge = new MediaBridge(joined.bridgeUrl, {
        onChunk: (c) => receive?.push(c),
        onKeyframeWanted: () => send?.requestKeyframe(),
        onClose: () => fail("The connection to the call engine closed."),
      });
      receive = new MediaReceiver(() => bridge, remote.current!, audioContext, fail);
      send = new MediaSender(bridge, local.current!, stream.current, audioContext, fail);
      send.setAudioMuted(mediaState.current.muted);
      send.setVideoOff(mediaState.current.cameraOff);
      sender.current = send;
      await routeToSpeaker(audioContext, request.speakerId);
      await receive.start();
      await send.start();
      await audioContext.resume();
      // What the end-to-end test and the benchmark read. Figures only.
      exposeForTests("mentorliveCall", { videoState: () => send?.videoState(), sender: send.stats, receiver: receive.stats, audioState: () => audioContext.state, glassToGlassMs: receive.glassToGlassMs });
    })().catch((e: AppError | Error) => fail("code" in e ? codeErrorMessage(e.code, e.message) : e.message));

    return () => {
      stopped = true;
      api.callHangUp().catch(() => {});
      send?.stop();
      receive?.stop();
      bridge?.close();
      audioContext.close();
      stream.current.getTracks().forEach((t) => t.stop());
      sender.current = null;
    };
  }, [request, remote, local]);

  // Mute and camera: the sender stops sending, the partner is told.
  const inRoom = view.state !== "joining";
  useEffect(() => {
    sender.current?.setAudioMuted(muted);
    sender.current?.setVideoOff(cameraOff);
    localStream.current.getVideoTracks().forEach((t) => (t.enabled = !cameraOff));
    if (inRoom) api.callSetMediaState(muted, cameraOff).catch(() => {});
  }, [muted, cameraOff, inRoom]);

  return { view, dispatch, sender, audio, localStream };
}
