// Typed calls to the app's Rust commands. Errors arrive as {code, message}.
import { invoke, type Channel } from "@tauri-apps/api/core";

import type { AppInfo, CallEvent, CallJoined, ChatMessage, LinkEvent, LiveCodeView, Session, UpdateInfo, User, ValidateLiveCodeResponse } from "./generated/types";

// The types come from Rust (src-tauri/src/bindings.rs), never written here.
export type { AppInfo, CallEvent, CallJoined, CallState, CallStats, LinkEvent, LiveCodeView, Participant, Role, Session, UpdateInfo, User } from "./generated/types";
export type Validated = ValidateLiveCodeResponse;

export class AppError extends Error {
  constructor(public code: string, message: string) {
    super(message);
  }
}

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (err) {
    const e = err as { code?: string; message?: string };
    throw new AppError(e?.code ?? "error", e?.message ?? String(err));
  }
}

export const api = {
  appInfo: () => call<AppInfo>("app_info"),
  restoreSession: () => call<User | null>("restore_session"),
  signIn: (server: string, email: string, password: string) => call<User>("sign_in", { server, email, password }),
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
  checkForUpdate: () => call<UpdateInfo | null>("check_for_update"),
  downloadUpdate: () => call<UpdateInfo>("download_update"),
  installUpdate: () => call<void>("install_update"),
};
