// Generated from the #[tauri::command] functions by src-tauri/src/command_bindings.rs. Do not edit.

import type { Channel } from "@tauri-apps/api/core";
import { command } from "../backend/command";
import type { AppInfo, CallJoined, CallReport, ChatMessage, ExportStarted, LinkEvent, LiveCodeView, MyAnalytics, ProcessFigures, Rating, RecordingList, Role, RunningCall, Session, SessionAnalytics, TimedCallEvent, TrayAction, TrayView, UpdateInfo, User, ValidateLiveCodeResponse } from "./types";

export const commands = {
  appInfo: () => command<AppInfo>("app_info"),
  restoreSession: () => command<User | null>("restore_session"),
  signIn: (server: string, email: string, password: string) => command<User>("sign_in", { server, email, password }),
  // Creates an account and signs in with it.
  register: (server: string, name: string, email: string, password: string, role: Role) => command<User>("register", { server, name, email, password, role }),
  // Shows a notification unless the window is in front; returns whether it
  // was shown.
  notifyIfAway: (title: string, body: string) => command<boolean>("notify_if_away", { title, body }),
  // Signs out, hanging up first: the call's report is kept as the person's
  // who made it, and no call runs on a revoked token.
  signOut: () => command<void>("sign_out"),
  listSessions: () => command<Session[]>("list_sessions"),
  generateLiveCode: (sessionId: string) => command<LiveCodeView>("generate_live_code", { sessionId }),
  validateLiveCode: (input: string) => command<ValidateLiveCodeResponse>("validate_live_code", { input }),
  setServerUrl: (url: string) => command<string>("set_server_url", { url }),
  // The person accepted plain http to `server` after being told what it
  // exposes (their password and sign-in, readable on the way).
  allowHttp: (server: string) => command<void>("allow_http", { server }),
  openLogsFolder: () => command<void>("open_logs_folder"),
  takePendingLink: () => command<LinkEvent | null>("take_pending_link"),
  // Calls connect only through the server's relay (from the next call on).
  setRelayOnly: (on: boolean) => command<void>("set_relay_only", { on }),
  // Remembers the devices chosen on the pre-join screen.
  saveDevices: (cameraId: string | null, microphoneId: string | null, speakerId: string | null) => command<void>("save_devices", { cameraId, microphoneId, speakerId }),
  // Hides the window and shows the call in the tray. `connected_secs`: how
  // long the call has been connected, for the tray's clock.
  keepInBackground: (partner: string, connectedSecs: number, muted: boolean) => command<void>("keep_in_background", { partner, connectedSecs, muted }),
  // The UI's mute, shown in the tray.
  setTrayMuted: (muted: boolean) => command<void>("set_tray_muted", { muted }),
  // Shows the window again and takes the call out of the tray (no-op when it
  // is not there).
  leaveBackground: () => command<void>("leave_background"),
  // Quits: the exit handler hangs up any call first.
  quitApp: () => command<void>("quit_app"),
  // The tray's menu as it reads now; null when there is no tray.
  // Only in builds with cfg(any(debug_assertions, feature = "bench")).
  trayView: () => command<TrayView | null>("tray_view"),
  // Presses a tray menu item, as a person would (tests only).
  // Only in builds with cfg(any(debug_assertions, feature = "bench")).
  pressTray: (action: TrayAction) => command<void>("press_tray", { action }),
  joinCall: (code: string, sessionTitle: string, partnerName: string, onEvent: Channel<TimedCallEvent>) => command<CallJoined>("join_call", { code, sessionTitle, partnerName, onEvent }),
  // The call still running in the engine, if any (a page just loaded asks).
  runningCall: () => command<RunningCall | null>("running_call"),
  // Attaches a reloaded page to the call running in the engine: the same
  // connection, no renegotiation. The page hears the call as it is, gets
  // the bridge again (which takes the new page), and the partner is asked
  // for a keyframe for the page's fresh decoder.
  reattachCall: (onEvent: Channel<TimedCallEvent>) => command<CallJoined>("reattach_call", { onEvent }),
  // Sends a chat line; returns it as sent (id and time), for our own view.
  callSendChat: (text: string) => command<ChatMessage>("call_send_chat", { text }),
  // Tells the partner whether our microphone is muted and our camera off
  // (the engine tells them again after every reconnect).
  callSetMediaState: (audioMuted: boolean, videoOff: boolean) => command<void>("call_set_media_state", { audioMuted, videoOff }),
  // Starts or stops sending our screen share: the engine negotiates its
  // transceiver and tells the partner; frames come over the bridge.
  callShareScreen: (on: boolean) => command<void>("call_share_screen", { on }),
  callHangUp: () => command<void>("call_hang_up"),
  // The person's rating of a call that ended (its report as the call
  // gave it), or `None` when they dismissed the question: either way its
  // report goes now, and this answers once it has gone (or been kept).
  rateCall: (sessionId: string, report: CallReport, rating: Rating | null) => command<void>("rate_call", { sessionId, report, rating }),
  // Switches call-quality reports and ratings on or off (off: nothing more
  // is sent, and what waited is forgotten).
  setShareCallReports: (on: boolean) => command<void>("set_share_call_reports", { on }),
  // The person's own calls over the server's default range (90 days).
  myAnalytics: () => command<MyAnalytics>("my_analytics"),
  // A session's calls, newest first, with both sides' reports.
  sessionAnalytics: (sessionId: string) => command<SessionAnalytics>("session_analytics", { sessionId }),
  // Asks the partner's consent to record this call; recording starts when
  // they accept. Refused at once when the disk is nearly full.
  callRecord: (sessionTitle: string, partnerName: string) => command<void>("call_record", { sessionTitle, partnerName }),
  // Our answer to the partner's request to record.
  callAnswerRecording: (accept: boolean) => command<void>("call_answer_recording", { accept }),
  // Stops our recording (or withdraws the request).
  callStopRecording: () => command<void>("call_stop_recording"),
  // Withdraws our consent: the partner's recording stops at once.
  callRevokeRecording: () => command<void>("call_revoke_recording"),
  // The recordings in the folder, newest first. A recording a crash cut off
  // is completed here (it then plays to its end and seeks) and marked so.
  listRecordings: () => command<RecordingList>("list_recordings"),
  // Deletes a recording, its chat and its export (the UI has asked first).
  deleteRecording: (path: string) => command<void>("delete_recording", { path }),
  // Opens the recordings folder in the file manager.
  openRecordingsFolder: () => command<void>("open_recordings_folder"),
  // Where recordings go from now on: a folder of the person's choice, or
  // (empty) the default in their Videos folder. The folder must be one the
  // app can create and write in; returns the folder in use.
  setRecordingsFolder: (folder: string) => command<string>("set_recordings_folder", { folder }),
  // Bytes `start..end` of a recording in the recordings folder.
  readRecording: (path: string, start: number, end: number) => command<ArrayBuffer>("read_recording", { path, start, end }),
  // Starts exporting the recording at `path`: the new file's name, beside it.
  exportBegin: (path: string) => command<ExportStarted>("export_begin", { path }),
  // Writes a piece of the export: the raw body is the offset (8 bytes,
  // little-endian) followed by the bytes to write there.
  exportWrite: (body: ArrayBuffer) => command<void>("export_write", body),
  // Ends the export: kept under its name when complete, removed otherwise.
  exportFinish: (complete: boolean) => command<void>("export_finish", { complete }),
  checkForUpdate: () => command<UpdateInfo | null>("check_for_update"),
  // Downloads the update found by the last check and checks its signature.
  downloadUpdate: () => command<UpdateInfo>("download_update"),
  // Installs the verified update and restarts into it.
  installUpdate: () => command<void>("install_update"),
  // Starts (or restarts) an echo bridge; returns its URL.
  // Only in builds with cfg(any(debug_assertions, feature = "bench")).
  benchEchoBridge: () => command<string>("bench_echo_bridge"),
  // The IPC transport: a raw body in, the same bytes back as a raw response.
  // Only in builds with cfg(any(debug_assertions, feature = "bench")).
  benchEchoIpc: (body: ArrayBuffer) => command<ArrayBuffer>("bench_echo_ipc", body),
  // Only in builds with cfg(any(debug_assertions, feature = "bench")).
  benchProcessFigures: () => command<ProcessFigures>("bench_process_figures"),
};
