// One call, as the screen holds it: started through the backend (the Rust
// engine on the desktop, the browser's RTCPeerConnection on the web), its
// events turned into the view (the reducer) and into what they set in
// motion here (a chime, a notification).

import { useCallback, useEffect, useReducer, useRef, type RefObject } from "react";
import { callAudio, restCallAudio } from "../media/callAudio";
import { releaseStream } from "../media/release";
import { api } from "../api";
import type { CallConnection, EndedCall, JoinRequest } from "../backend/backend";
import { playChime } from "../media/chime";
import { callReducer, initialView } from "./callView";

type Picture = RefObject<HTMLCanvasElement | HTMLVideoElement | null>;

export function useCall(request: JoinRequest, remote: Picture, remoteScreen: Picture, local: RefObject<HTMLVideoElement | null>, muted: boolean, cameraOff: boolean) {
  const [view, dispatch] = useReducer(callReducer, request.partnerName, initialView);
  const connection = useRef<CallConnection | null>(null);
  const audio = useRef<AudioContext | null>(null);
  // The camera and microphone in use: they change when the person switches
  // devices or one is unplugged, without leaving the call.
  const localStream = useRef(request.stream);
  // The session joined, then the call's report once it has ended.
  const sessionId = useRef<string | null>(null);
  const ended = useRef<EndedCall | null>(null);
  const mediaState = useRef({ muted, cameraOff });
  mediaState.current = { muted, cameraOff };

  useEffect(() => {
    let stopped = false;
    const stream = localStream;
    const audioContext = callAudio();
    // Awake for this call (it rests between calls): the chimes play on it
    // in the browser, where nothing else resumes it.
    audioContext.resume().catch(() => {});
    audio.current = audioContext;
    // Kept: React clears the ref before this effect's cleanup runs.
    const selfView = local.current;
    if (selfView) selfView.srcObject = stream.current;
    // Whether we were alone in the room: a partner arriving then is news.
    let waiting = false;
    const call = api.startCall({
      request,
      remote: remote.current!,
      remoteScreen: remoteScreen.current!,
      local: local.current!,
      audio: audioContext,
      media: () => mediaState.current,
      onFail: (message) => !stopped && dispatch({ type: "failed", message }),
      onLocalScreen: (sharing, notice) => !stopped && dispatch({ type: "local_screen", sharing, notice }),
      onEvent: (event, at = Date.now()) => {
        dispatch({ type: "engine", event, at });
        switch (event.event) {
          case "joined":
            sessionId.current = event.session_id;
            break;
          case "report":
            if (sessionId.current) ended.current = { sessionId: sessionId.current, report: event.report };
            break;
          case "state":
            waiting = event.state === "waiting_for_peer";
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
        }
      },
    });
    connection.current = call;

    return () => {
      stopped = true;
      call.close();
      restCallAudio(audioContext);
      void releaseStream(stream.current, [selfView]);
      connection.current = null;
    };
  }, [request, remote, remoteScreen, local]);

  // Mute and camera: nothing is sent, and the partner is told.
  useEffect(() => {
    localStream.current.getVideoTracks().forEach((t) => (t.enabled = !cameraOff));
    connection.current?.setMediaState(muted, cameraOff);
  }, [muted, cameraOff]);

  /** The ended call with its report: it comes just after the call ends
   *  (the engine's last event), so this waits for it a little. */
  const endedCall = useCallback(async (waitMs: number): Promise<EndedCall | null> => {
    const until = Date.now() + waitMs;
    while (!ended.current && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    return ended.current;
  }, []);

  return { view, dispatch, connection, audio, localStream, endedCall };
}
