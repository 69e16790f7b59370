// The desktop app's backend: every call is a Tauri command of the Rust app
// (src-tauri/src/commands.rs); errors arrive as {code, message}.

import { invoke } from "@tauri-apps/api/core";
import { listen } from "@tauri-apps/api/event";
import { writeText } from "@tauri-apps/plugin-clipboard-manager";
import { AppError } from "../errors";
import type { AppInfo, ClientError, LinkEvent, LiveCodeView, Role, Session, UpdateInfo, User, ValidateLiveCodeResponse } from "../generated/types";
import { benchBridge, processFigures } from "../media/bench";
import { exposeForTests } from "../testHooks";
import type { Backend } from "./backend";
import { startDesktopCall } from "./desktopCall";

export async function command<T>(name: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(name, args);
  } catch (err) {
    const e = err as Partial<ClientError> | string;
    // Tauri itself (not our commands) rejects with a bare string.
    if (typeof e === "string" || !e?.code) throw new AppError("other", typeof e === "string" ? e : String(err));
    throw new AppError(e.code, e.message ?? "");
  }
}

export const backend: Backend = {
  kind: "desktop",
  remoteView: "canvas",
  appInfo: () => command<AppInfo>("app_info"),
  restoreSession: () => command<User | null>("restore_session"),
  signIn: (server, email, password) => command<User>("sign_in", { server, email, password }),
  register: (server: string, name: string, email: string, password: string, role: Role) => command<User>("register", { server, name, email, password, role }),
  signOut: () => command<void>("sign_out"),
  listSessions: () => command<Session[]>("list_sessions"),
  generateLiveCode: (sessionId) => command<LiveCodeView>("generate_live_code", { sessionId }),
  validateLiveCode: (input) => command<ValidateLiveCodeResponse>("validate_live_code", { input }),
  setServerUrl: (url) => command<string>("set_server_url", { url }),
  openLogsFolder: () => command<void>("open_logs_folder"),
  takePendingLink: () => command<LinkEvent | null>("take_pending_link"),
  pageInAddress: () => null,
  onLink: (handler) => {
    const unlisten = listen<LinkEvent>("deep-link", (e) => handler(e.payload));
    return () => void unlisten.then((f) => f());
  },
  saveDevices: (cameraId, microphoneId, speakerId) => command<void>("save_devices", { cameraId, microphoneId, speakerId }),
  notifyIfAway: (title, body) => command<boolean>("notify_if_away", { title, body }),
  checkForUpdate: () => command<UpdateInfo | null>("check_for_update"),
  downloadUpdate: () => command<UpdateInfo>("download_update"),
  installUpdate: () => command<void>("install_update"),
  copyText: (text) => writeText(text),
  startCall: startDesktopCall,
  exposeBenchHooks: () => {
    exposeForTests("mentorliveBenchBridge", benchBridge);
    exposeForTests("mentorliveProcessFigures", processFigures);
  },
};
