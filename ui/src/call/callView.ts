// What the call screen shows, as a reducer over the engine's events (the
// generated `CallEvent` union) and the screen's own actions. Pure: the side
// effects of an event (a keyframe, a chime) are the hook's, not this file's.

import type { CallEvent, CallState, CallStats, OurRecording, RecordingEnd, TheirRecording } from "../generated/types";

export type ChatLine = { id: string; from: "me" | "partner"; text: string; at: number };

export interface CallView {
  state: CallState | "joining";
  partner: { name: string; audioMuted: boolean; videoOff: boolean; present: boolean; sharing: boolean };
  /** We share our screen. */
  sharing: boolean;
  /** Why our share stopped or could not start, in words. */
  shareNotice: string | null;
  /** The partner hung up (not a drop): offer to wait or leave. */
  partnerLeft: boolean;
  stats: CallStats | null;
  /** When both were first in: the call's clock runs from here, across reconnects. */
  connectedAt: number | null;
  chat: ChatLine[];
  /** Why the call is over, in words. */
  ended: string | null;
  error: string | null;
  recording: RecordingShown;
}

/** Recording consent as the call screen shows it. */
export interface RecordingShown {
  ours: OurRecording;
  theirs: TheirRecording;
  /** When our recording, and theirs of us, started (for their clocks). */
  oursSince: number | null;
  theirsSince: number | null;
  /** What just happened, in words (declined, saved, the disk…). */
  notice: string | null;
}

export type CallAction =
  | { type: "engine"; event: CallEvent; at: number }
  | { type: "chat_sent"; id: string; text: string; at: number }
  | { type: "failed"; message: string }
  | { type: "local_screen"; sharing: boolean; notice: string | null }
  | { type: "dismiss_share_notice" }
  | { type: "recording_notice"; notice: string | null }
  | { type: "wait_for_partner" };

/** Chat lines kept on screen. */
const CHAT_LINES = 200;

export function initialView(partnerName: string): CallView {
  return {
    state: "joining",
    partner: { name: partnerName, audioMuted: false, videoOff: false, present: false, sharing: false },
    sharing: false,
    shareNotice: null,
    partnerLeft: false,
    stats: null,
    connectedAt: null,
    chat: [],
    ended: null,
    error: null,
    recording: { ours: "off", theirs: "off", oursSince: null, theirsSince: null, notice: null },
  };
}

/** What ended a recording (or a request), in words that name the partner. */
export function recordingEndNotice(end: RecordingEnd, partner: string, ours: boolean): string {
  switch (end) {
    case "declined":
      return ours ? `${partner} declined to be recorded. Nothing was recorded.` : "You declined: nothing is recorded.";
    case "no_answer":
      return ours ? `${partner} did not answer in 30 seconds. Nothing was recorded.` : `You did not answer ${partner}'s request, so nothing is recorded.`;
    case "revoked":
      return ours ? `${partner} withdrew their consent: the recording stopped.` : `You withdrew your consent: ${partner}'s recording stopped.`;
    case "stopped":
      // Ours: the file is being completed; "Recording saved" follows.
      return ours ? "Saving the recording…" : `${partner} stopped recording.`;
    case "partner_left":
      return ours ? `${partner} left: the recording stopped.` : `${partner} left, and their recording with them.`;
    case "failed":
      return "The recording could not go on.";
  }
}

function megabytes(bytes: number): string {
  return bytes >= 1_000_000_000 ? `${(bytes / 1e9).toFixed(1)} GB` : `${Math.max(0.1, bytes / 1e6).toFixed(1)} MB`;
}

function withChat(view: CallView, line: ChatLine): CallView {
  return { ...view, chat: [...view.chat.slice(-(CHAT_LINES - 1)), line] };
}

export function callReducer(view: CallView, action: CallAction): CallView {
  switch (action.type) {
    case "chat_sent":
      return withChat(view, { id: action.id, from: "me", text: action.text, at: action.at });
    case "failed":
      return { ...view, error: action.message };
    case "wait_for_partner":
      return { ...view, partnerLeft: false };
    case "local_screen":
      return { ...view, sharing: action.sharing, shareNotice: action.notice };
    case "dismiss_share_notice":
      return { ...view, shareNotice: null };
    case "recording_notice":
      return { ...view, recording: { ...view.recording, notice: action.notice } };
    case "engine":
      return onEvent(view, action.event, action.at);
  }
}

function onEvent(view: CallView, event: CallEvent, at: number): CallView {
  switch (event.event) {
    case "state":
      return {
        ...view,
        state: event.state,
        connectedAt: event.state === "connected" ? (view.connectedAt ?? at) : view.connectedAt,
        partnerLeft: event.state === "connected" ? false : view.partnerLeft,
        ended: event.state === "ended" ? (view.ended ?? "The call has ended.") : view.ended,
        // A call that is over shares nothing.
        sharing: event.state === "ended" ? false : view.sharing,
      };
    case "peer_present":
      return { ...view, partner: { ...view.partner, name: event.user.name, present: true }, partnerLeft: false };
    case "peer_left":
      return { ...view, partner: { ...view.partner, present: false, sharing: false }, partnerLeft: view.partnerLeft || event.reason === "left" };
    case "partner_screen":
      return { ...view, partner: { ...view.partner, sharing: event.share.active } };
    case "stats":
      return { ...view, stats: event.stats };
    case "chat":
      return withChat(view, { id: event.message.id, from: "partner", text: event.message.text, at });
    case "partner_media":
      return { ...view, partner: { ...view.partner, audioMuted: event.state.audioMuted, videoOff: event.state.videoOff } };
    case "replaced":
      return { ...view, sharing: false, ended: "You joined this session from another device, so this window left the call." };
    case "joined":
    case "signaling":
    case "keyframe_requested":
    case "screen_keyframe_requested":
    case "target_bitrate":
    // The call's figures for the platform: not the call view's business.
    case "report":
      return view;
    case "recording": {
      const { ours, theirs, ended } = event.recording;
      const was = view.recording;
      // Which half ended decides whose words: ours changed off, or theirs did.
      const oursEnded = was.ours !== "off" && ours === "off";
      // A failure was already said in its own words (the disk, a write).
      const notice = ended === "failed" ? (was.notice ?? recordingEndNotice(ended, view.partner.name, true)) : ended ? recordingEndNotice(ended, view.partner.name, oursEnded) : was.notice;
      return {
        ...view,
        recording: {
          ours,
          theirs,
          oursSince: ours === "recording" ? (was.oursSince ?? at) : null,
          theirsSince: theirs === "recording" ? (was.theirsSince ?? at) : null,
          notice: ours === "recording" && was.ours !== "recording" ? null : notice,
        },
      };
    }
    case "recording_saved": {
      const s = event.saved;
      const name = s.path.split(/[\\/]/).pop() ?? s.path;
      const notice = `Recording saved: ${name} (${Math.round(s.duration_ms / 1000)} s, ${megabytes(s.bytes)}).`;
      return { ...view, recording: { ...view.recording, notice: s.disk_full ? view.recording.notice : notice } };
    }
    case "recording_failed":
      return { ...view, recording: { ...view.recording, notice: event.message } };
  }
}
