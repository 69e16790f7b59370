// Typed calls to the app's Rust commands. Errors arrive as {code, message}.
import { invoke } from "@tauri-apps/api/core";

export type Role = "mentor" | "learner";
export interface User { id: string; email: string; name: string; role: Role }
export interface Participant { id: string; name: string }
export interface Session {
  id: string; title: string; mentor: Participant; learner: Participant;
  scheduledAt: string; durationMinutes: number; status: "upcoming" | "live" | "completed" | "cancelled";
  liveSessionCode: string | null; liveSessionCreatedAt: string | null; liveSessionExpiresAt: string | null;
}
export interface LiveCodeView { code: string; grouped: string; inviteLink: string; sessionId: string; expiresAt: string; isNew: boolean }
export interface Validated { valid: boolean; sessionId: string; expiresAt: string; session: Session }
export interface AppInfo { version: string; serverUrl: string; account: string | null; logsDir: string }
export type LinkEvent = { kind: "join"; code: string } | { kind: "refused"; message: string };

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
  validateLiveCode: (input: string) => call<Validated>("validate_live_code", { input }),
  setServerUrl: (url: string) => call<string>("set_server_url", { url }),
  openLogsFolder: () => call<void>("open_logs_folder"),
  takePendingLink: () => call<LinkEvent | null>("take_pending_link"),
};
