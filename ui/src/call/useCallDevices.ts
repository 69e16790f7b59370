// Devices during a call: the lists, the ones in use, switching, and what a
// plugged-in or pulled-out device means. Only the local stream changes; the
// sender carries on with it, so nothing is renegotiated.

import { useCallback, useEffect, useRef, useState, type Dispatch, type RefObject, type SetStateAction } from "react";
import { api } from "../api";
import type { CallConnection } from "../backend/backend";
import { newDevices, repairStream, switchDevice, type DeviceKind } from "../media/callDevices";
import { releaseStream } from "../media/release";
import { captureErrorMessage, listDevices } from "../media/devices";

type Lists = { cameras: MediaDeviceInfo[]; microphones: MediaDeviceInfo[]; speakers: MediaDeviceInfo[] };

export function useCallDevices(args: {
  localStream: RefObject<MediaStream>;
  connection: RefObject<CallConnection | null>;
  local: RefObject<HTMLVideoElement | null>;
  speakerId: string | null;
  setMuted: Dispatch<SetStateAction<boolean>>;
  setCameraOff: Dispatch<SetStateAction<boolean>>;
  onError: (message: string) => void;
}) {
  const { localStream, connection, local, setMuted, setCameraOff, onError } = args;
  const [lists, setLists] = useState<Lists>({ cameras: [], microphones: [], speakers: [] });
  const first = localStream.current;
  // Whether we have a camera and a microphone at all (for the buttons).
  const [has, setHas] = useState({ camera: first.getVideoTracks().length > 0, microphone: first.getAudioTracks().length > 0 });
  const [inUse, setInUse] = useState(() => ({
    camera: first.getVideoTracks()[0]?.getSettings().deviceId ?? "",
    microphone: first.getAudioTracks()[0]?.getSettings().deviceId ?? "",
    speaker: args.speakerId ?? "",
  }));
  const [notice, setNotice] = useState<{ text: string; offer?: { kind: DeviceKind; id: string } } | null>(null);
  // Device work one step at a time: a devicechange arriving while a switch
  // is opening its device would otherwise repair a stream already replaced.
  const queue = useRef<Promise<void>>(Promise.resolve());
  const serially = useCallback((job: () => Promise<void>) => {
    queue.current = queue.current.then(job).catch(() => {});
    return queue.current;
  }, []);
  // Turned off because the device went away (not by the person): back on
  // when a device of that kind returns.
  const forcedOff = useRef({ camera: false, microphone: false });

  const carryOnWith = useCallback(
    (next: MediaStream) => {
      localStream.current = next;
      // The call points the preview at the new stream and sends from it.
      if (connection.current) connection.current.carryOnWith(next).catch(() => {});
      else if (local.current) local.current.srcObject = next;
      setInUse((u) => ({ ...u, camera: next.getVideoTracks()[0]?.getSettings().deviceId ?? "", microphone: next.getAudioTracks()[0]?.getSettings().deviceId ?? "" }));
      const camera = next.getVideoTracks().length > 0;
      const microphone = next.getAudioTracks().length > 0;
      setHas({ camera, microphone });
      // What is gone cannot be sent: the partner is told.
      if (!camera) setCameraOff(true);
      else if (forcedOff.current.camera) setCameraOff(false);
      if (!microphone) setMuted(true);
      else if (forcedOff.current.microphone) setMuted(false);
      forcedOff.current = { camera: !camera, microphone: !microphone };
    },
    [localStream, connection, local, setMuted, setCameraOff],
  );

  const chooseDevice = useCallback(
    (kind: DeviceKind, id: string) =>
      serially(async () => {
        try {
          // The self-view lets go of the old device before it stops
          // (media/release.ts); carrying on shows the new one.
          await releaseStream(null, [local.current], []);
          carryOnWith(await switchDevice(localStream.current, kind, id || null));
          setNotice(null);
          const s = localStream.current;
          api.saveDevices(s.getVideoTracks()[0]?.getSettings().deviceId ?? null, s.getAudioTracks()[0]?.getSettings().deviceId ?? null, inUse.speaker || null).catch(() => {});
        } catch (err) {
          // Nothing new opened: the call carries on with what is still live
          // (the old device may be stopped already), and the partner is told.
          if (local.current && !local.current.srcObject) carryOnWith(new MediaStream(localStream.current.getTracks().filter((t) => t.readyState === "live")));
          onError(captureErrorMessage(err));
        }
      }),
    [carryOnWith, serially, localStream, local, inUse.speaker, onError],
  );

  const chooseSpeaker = useCallback(
    async (id: string) => {
      setInUse((u) => ({ ...u, speaker: id }));
      await connection.current?.setSpeaker(id || null);
    },
    [connection],
  );

  // Plugged in or pulled out: offer what is new, fall back from what is gone.
  useEffect(() => {
    let before: MediaDeviceInfo[] = [];
    let stopped = false;
    const refresh = async () => {
      const after = await navigator.mediaDevices.enumerateDevices();
      const added = newDevices(before, after);
      const firstLook = before.length === 0;
      before = after;
      setLists(await listDevices());
      if (stopped || firstLook) return;
      const repaired = await repairStream(localStream.current);
      if (repaired) {
        carryOnWith(repaired.stream);
        const what = repaired.lost.join(" and ");
        setNotice({ text: `Your ${what} was disconnected. ${repaired.stream.getTracks().length ? "The call goes on with another device." : "The call goes on without it."}` });
      } else if (added.length > 0) {
        const d = added[0];
        const kind: DeviceKind = d.kind === "videoinput" ? "camera" : "microphone";
        setNotice({ text: `New ${kind}: ${d.label || "unnamed"}.`, offer: { kind, id: d.deviceId } });
      }
    };
    void serially(refresh);
    const onChange = () => void serially(refresh);
    navigator.mediaDevices?.addEventListener("devicechange", onChange);
    return () => {
      stopped = true;
      navigator.mediaDevices?.removeEventListener("devicechange", onChange);
    };
  }, [carryOnWith, serially, localStream]);

  return { lists, has, inUse, notice, dismissNotice: () => setNotice(null), chooseDevice, chooseSpeaker };
}
