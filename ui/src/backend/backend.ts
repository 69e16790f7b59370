// What differs between the desktop app and the platform's web client, as
// one interface: the screens in `ui/` are the same, and `#backend` (an alias
// that vite.config.ts points at desktop.ts or web.ts by build mode) is the
// one that runs. Each build carries only its own.
//
// - desktop: Tauri commands, the Rust engine (signaling and WebRTC in
//   Rust, media over the loopback bridge), tokens in the OS keychain;
// - web: `fetch` for the REST API, the official socket.io-client, and the
//   browser's own RTCPeerConnection, speaking the contract exactly.

import type { RunningCall, TrayAction } from "../generated/types";
import type { AppInfo, CallEvent, CallReport, ChatMessage, LinkEvent, LiveCodeView, MyAnalytics, Rating, Role, Session, SessionAnalytics, UpdateInfo, User, ValidateLiveCodeResponse, RecordingList } from "../generated/types";

export type AddressPage = { name: "invitation"; code: string } | { name: "downloads" } | { name: "refused"; message: string };

/** What the pre-join screen hands the call. */
export interface JoinRequest {
  code: string;
  stream: MediaStream;
  startMuted: boolean;
  startCameraOff: boolean;
  speakerId: string | null;
  partnerName: string;
  sessionTitle: string;
  /** Take over the call already running in the engine (a reloaded page). */
  reattach?: boolean;
}

/** A call that ended, with its figures for the platform. */
export interface EndedCall {
  sessionId: string;
  report: CallReport;
}

/** What a call needs from the screen. */
export interface CallStart {
  request: JoinRequest;
  /** The partner's picture: a canvas (desktop paints decoded frames) or a
   *  video element (web plays the peer's stream), per `remoteView`. */
  remote: HTMLCanvasElement | HTMLVideoElement;
  /** The partner's screen share, of the same kind as `remote`. */
  remoteScreen: HTMLCanvasElement | HTMLVideoElement;
  /** Our own preview. */
  local: HTMLVideoElement;
  /** The call's audio context: playback on the desktop, the chimes on both. */
  audio: AudioContext;
  /** Mute and camera as they are now (they change before the join ends). */
  media: () => { muted: boolean; cameraOff: boolean };
  /** `at`: when it happened (ms since the epoch), if not just now. */
  onEvent: (event: CallEvent, at?: number) => void;
  onFail: (message: string) => void;
  /** Our screen share started or stopped (`notice`: why it stopped, when
   *  it was not the person's own Stop). */
  onLocalScreen: (sharing: boolean, notice: string | null) => void;
  /** The partner's screen share's picture size, once known. */
  onRemoteScreenSize?: (width: number, height: number) => void;
}

/** One call in progress. */
export interface CallConnection {
  /** Stops or resumes sending, and tells the partner. */
  setMediaState(muted: boolean, cameraOff: boolean): void;
  sendChat(text: string): Promise<ChatMessage>;
  /** Carries on with another camera or microphone, without renegotiating. */
  carryOnWith(stream: MediaStream): Promise<void>;
  setSpeaker(id: string | null): Promise<void>;
  /** Opens the system's picker and shares what is chosen; rejects with the
   *  reason in words (refused, no portal, …). */
  shareScreen(): Promise<void>;
  stopScreen(): void;
  /** Asks the partner's consent to record (when `canRecord`); rejects in
   *  words (the disk nearly full). */
  record(): Promise<void>;
  /** Stops our recording, or withdraws our request. */
  stopRecording(): void;
  /** Our answer to the partner's request to record. */
  answerRecording(accept: boolean): void;
  /** Withdraws our consent: the partner's recording stops. */
  revokeRecording(): void;
  /** Leaves the room: the partner hears `left`. */
  hangUp(): Promise<void>;
  /** Releases what the call holds; the screen is going away. */
  close(): void;
}

/** The call outliving its window (the desktop app; a browser tab cannot). */
export interface CallBackground {
  /** The window's close button was pressed during a call. */
  onCloseRequested(handler: () => void): () => void;
  /** The tray's Mute or Hang up. */
  onTrayAction(handler: (action: TrayAction) => void): () => void;
  /** Hides the window; the call goes on in the tray. */
  keep(partner: string, connectedSecs: number, muted: boolean): Promise<void>;
  setMuted(muted: boolean): Promise<void>;
  /** Shows the window again; the tray goes. */
  leave(): Promise<void>;
  /** Quits the app (a call in progress is hung up first). */
  quit(): Promise<void>;
}

export interface Backend {
  kind: "desktop" | "web";
  /** Null where the call cannot outlive its window. */
  background: CallBackground | null;
  /** The call still running after the page reloaded (desktop), if any. */
  runningCall(): Promise<RunningCall | null>;
  /** This client records calls (the desktop app); every client answers. */
  canRecord: boolean;
  /** How the partner's video is shown. */
  remoteView: "canvas" | "video";
  appInfo(): Promise<AppInfo>;
  restoreSession(): Promise<User | null>;
  signIn(server: string, email: string, password: string): Promise<User>;
  register(server: string, name: string, email: string, password: string, role: Role): Promise<User>;
  signOut(): Promise<void>;
  listSessions(): Promise<Session[]>;
  /** The person's own calls (the server's default range, 90 days). */
  myAnalytics(): Promise<MyAnalytics>;
  /** A session's calls, newest first, with both sides' reports. */
  sessionAnalytics(sessionId: string): Promise<SessionAnalytics>;
  /** Call-quality reports and ratings on or off (`AppInfo.shareCallReports`). */
  setShareCallReports(on: boolean): Promise<void>;
  /** Calls through the server's relay only (`AppInfo.relayOnly`). */
  setRelayOnly(on: boolean): Promise<void>;
  /** The person's rating of a call that ended, or `null` when they
   *  dismissed the question. Nothing goes when sharing is off. */
  rateCall(ended: EndedCall, rating: Rating | null): Promise<void>;
  generateLiveCode(sessionId: string): Promise<LiveCodeView>;
  validateLiveCode(input: string): Promise<ValidateLiveCodeResponse>;
  setServerUrl(url: string): Promise<string>;
  /** Plain http to `server` accepted by the person (desktop only: the web
   *  client talks to the server that served it). */
  allowHttp(server: string): Promise<void>;
  openLogsFolder(): Promise<void>;
  /** The recordings folder and its recordings (completing any a crash cut off). */
  listRecordings(): Promise<RecordingList>;
  deleteRecording(path: string): Promise<void>;
  /** Bytes `start..end` of a recording (for the player and the export). */
  readRecording(path: string, start: number, end: number): Promise<Uint8Array>;
  /** Makes one ordinary video of a recording (both people, both voices),
   *  beside it; `cancelled` is asked as it goes. */
  exportRecording(path: string, onProgress: (p: { done: number }) => void, cancelled: () => boolean): Promise<{ path: string; duration: number; width: number; height: number }>;
  openRecordingsFolder(): Promise<void>;
  /** Where recordings go (empty: the default); returns the folder in use. */
  setRecordingsFolder(folder: string): Promise<string>;
  /** A link that started or reached the app before the screens were up. */
  takePendingLink(): Promise<LinkEvent | null>;
  /** The page the address asks for (the web client's `/join/CODE` and
   *  `/downloads`); the desktop app has none. */
  pageInAddress(): AddressPage | null;
  /** Links arriving later; returns the unsubscribe. */
  onLink(handler: (event: LinkEvent) => void): () => void;
  saveDevices(cameraId: string | null, microphoneId: string | null, speakerId: string | null): Promise<void>;
  notifyIfAway(title: string, body: string): Promise<boolean>;
  checkForUpdate(): Promise<UpdateInfo | null>;
  downloadUpdate(): Promise<UpdateInfo>;
  installUpdate(): Promise<void>;
  copyText(text: string): Promise<void>;
  startCall(start: CallStart): CallConnection;
  /** Test and benchmark builds: the figures scripts read (never secrets). */
  exposeBenchHooks(): void;
}
