// Typed calls to the app's Rust commands. Errors arrive as {code, message}.
import { invoke, type Channel } from "@tauri-apps/api/core";

import type { AppErrorCode, ClientError } from "./generated/types";
import type { AppInfo, CallEvent, CallJoined, ChatMessage, LinkEvent, Role, LiveCodeView, Session, UpdateInfo, User, ValidateLiveCodeResponse } from "./generated/types";

// The types come from Rust (src-tauri/src/bindings.rs), never written here.
export type { AppErrorCode, AppInfo, CallEvent, CallJoined, CallState, CallStats, LinkEvent, LiveCodeView, Participant, Role, Session, UpdateInfo, User } from "./generated/types";
export type Validated = ValidateLiveCodeResponse;

/** An error the app shows: `code` is one of the generated `AppErrorCode`s
 *  (the contract's and the app's own), so a switch on it is checked. */
export class AppError extends Error {
  constructor(public code: AppErrorCode, message: string) {
    super(message);
  }
}

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (err) {
    const e = err as Partial<ClientError> | string;
    // Tauri itself (not our commands) rejects with a bare string.
    if (typeof e === "string" || !e?.code) throw new AppError("other", typeof e === "string" ? e : String(err));
    throw new AppError(e.code, e.message ?? "");
  }
}

export const api = {
  appInfo: () => call<AppInfo>("app_info"),
  restoreSession: () => call<User | null>("restore_session"),
  signIn: (server: string, email: string, password: string) => call<User>("sign_in", { server, email, password }),
  register: (server: string, name: string, email: string, password: string, role: Role) => call<User>("register", { server, name, email, password, role }),
  signOut: () => call<void>("sign_out"),
  listSessions: () => call<Session[]>("list_sessions"),
  generateLiveCode: (sessionId: string) => call<LiveCodeView>("generate_live_code", { sessionId }),
  validateLiveCode: (input: string) => call<ValidateLiveCodeResponse>("validate_live_code", { input }),
  setServerUrl: (url: string) => call<string>("set_server_url", { url }),
  openLogsFolder: () => call<void>("open_logs_folder"),
  takePendingLink: () => call<LinkEvent | null>("take_pending_link"),
  saveDevices: (cameraId: string | null, microphoneId: string | null, speakerId: string | null) => call<void>("save_devices", { cameraId, microphoneId, speakerId }),
  joinCall: (code: string, onEvent: Channel<CallEvent>) => call<CallJoined>("join_call", { code, onEvent }),
  callSendChat: (text: string) => call<ChatMessage>("call_send_chat", { text }),
  callSetMediaState: (audioMuted: boolean, videoOff: boolean) => call<void>("call_set_media_state", { audioMuted, videoOff }),
  callHangUp: () => call<void>("call_hang_up"),
  notifyIfAway: (title: string, body: string) => call<boolean>("notify_if_away", { title, body }),
  checkForUpdate: () => call<UpdateInfo | null>("check_for_update"),
  downloadUpdate: () => call<UpdateInfo>("download_update"),
  installUpdate: () => call<void>("install_update"),
};
