// The platform's web client backend: the REST API over `fetch` on this
// page's own origin (the server serves the page), the official
// socket.io-client and the browser's RTCPeerConnection (webCall.ts).
//
// The sign-in token lives in this tab's sessionStorage: it survives a
// reload (a phone that reloads a backgrounded tab) and is gone when the tab
// closes. The page runs no inline script and no script from elsewhere (the
// server's CSP), renders no HTML from data, and sends no Referer; the
// reasoning against a cookie is in docs/security.md.

import { version } from "../../package.json";
import { checkCode, grouped, inviteUrl } from "../code";
import { AppError } from "../errors";
import type { AppErrorCode, AppInfo, CallReport, LiveCodeView, MyAnalytics, Role, Session, SessionAnalytics, User, ValidateLiveCodeResponse } from "../generated/types";
import type { AddressPage, Backend } from "./backend";
import { startWebCall } from "./webCall";

const TOKEN_KEY = "mentorlive.token";
const DEVICES_KEY = "mentorlive.devices";
const ACCOUNT_KEY = "mentorlive.account";
/** "0" when the person switched call-quality reports off (on by default). */
const SHARE_REPORTS_KEY = "mentorlive.shareCallReports";

const sharesCallReports = () => localStorage.getItem(SHARE_REPORTS_KEY) !== "0";
const RELAY_ONLY_KEY = "mentorlive.relayOnly";
/** Calls connect only through the server's relay (TURN). */
export const relayOnly = () => localStorage.getItem(RELAY_ONLY_KEY) === "1";

/** Sends a call's report (nothing when sharing is off). `keepalive`: it
 *  still goes when the tab closes as the call ends. A browser has no data
 *  folder to queue in; a report the server never saw is lost, said in
 *  docs/security.md. The same peer id again replaces it (the rating). */
export function sendCallReport(sessionId: string, report: CallReport): void {
  const bearer = token();
  if (!sharesCallReports() || !bearer) return;
  void fetch(`/api/sessions/${encodeURIComponent(sessionId)}/call-reports`, {
    method: "POST",
    headers: { accept: "application/json", "content-type": "application/json", authorization: `Bearer ${bearer}` },
    body: JSON.stringify(report),
    credentials: "omit",
    cache: "no-store",
    keepalive: true,
  }).catch(() => {});
}

export function token(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

async function rest<T>(method: "GET" | "POST", path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const headers: Record<string, string> = { accept: "application/json" };
  const bearer = token();
  if (bearer) headers.authorization = `Bearer ${bearer}`;
  if (body !== undefined) headers["content-type"] = "application/json";
  let response: Response;
  try {
    response = await fetch(`/api${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: "omit", cache: "no-store" });
  } catch {
    throw new AppError("network", "Could not reach the server. Check your connection.");
  }
  const text = await response.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // Not JSON: a proxy's error page, say. Said in words below.
  }
  if (!response.ok) {
    const error = (parsed as { error?: { code?: AppErrorCode; message?: string } } | null)?.error;
    if (response.status === 401) sessionStorage.removeItem(TOKEN_KEY);
    throw new AppError(error?.code ?? "unexpected_response", error?.message ?? `The server answered ${response.status}.`);
  }
  return { status: response.status, body: parsed as T };
}

async function signedIn(result: Promise<{ body: { token: string; user: User } }>): Promise<User> {
  const { body } = await result;
  sessionStorage.setItem(TOKEN_KEY, body.token);
  localStorage.setItem(ACCOUNT_KEY, body.user.email);
  return body.user;
}

/** The contract's `liveCode`. */
type LiveCode = { code: string; sessionId: string; createdAt: string; expiresAt: string };

type SavedDevices = { cameraId: string | null; microphoneId: string | null; speakerId: string | null };

function savedDevices(): SavedDevices {
  try {
    return { cameraId: null, microphoneId: null, speakerId: null, ...JSON.parse(localStorage.getItem(DEVICES_KEY) ?? "{}") };
  } catch {
    return { cameraId: null, microphoneId: null, speakerId: null };
  }
}

/** The page the address names: `/join/CODE` (the invitation) or `/downloads`. */
export function pageInAddress(path: string): AddressPage | null {
  if (/^\/downloads\/?$/.test(path)) return { name: "downloads" };
  const match = /^\/join\/([^/]+)\/?$/.exec(path);
  if (!match) return null;
  let code = match[1];
  try {
    code = decodeURIComponent(code);
  } catch {
    // Left as it is: it reads as malformed below.
  }
  const check = checkCode(code);
  return check.ok ? { name: "invitation", code: check.code } : { name: "refused", message: "This invitation link is not complete. Ask your partner to send it again, or type the code under Join with a code." };
}

const webOnly = (what: string) => Promise.reject(new AppError("other", `${what} is part of the desktop app.`));

export const backend: Backend = {
  kind: "web",
  background: null,
  runningCall: async () => null,
  canRecord: false,
  remoteView: "video",
  appInfo: async (): Promise<AppInfo> => ({
    version,
    serverUrl: location.origin,
    account: localStorage.getItem(ACCOUNT_KEY),
    logsDir: "",
    ...savedDevices(),
    shareCallReports: sharesCallReports(),
    relayOnly: relayOnly(),
    // Figures only (never a token): a test opts in before the page loads.
    testHooks: localStorage.getItem("mentorlive.testHooks") === "1",
  }),
  restoreSession: async () => {
    if (!token()) return null;
    try {
      return (await rest<User>("GET", "/auth/me")).body;
    } catch (err) {
      if ((err as AppError).code === "unauthorized") return null;
      throw err;
    }
  },
  signIn: (_server, email, password) => signedIn(rest("POST", "/auth/login", { email, password })),
  register: (_server, name, email, password, role: Role) => signedIn(rest("POST", "/auth/register", { email, password, name, role })),
  signOut: async () => {
    if (token()) await rest("POST", "/auth/logout").catch(() => {});
    sessionStorage.removeItem(TOKEN_KEY);
  },
  // Every page (at most 20), as the desktop app's client does.
  listSessions: async () => {
    const all: Session[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 20; page++) {
      const { body } = await rest<{ sessions: Session[]; nextCursor?: string }>("GET", cursor ? `/sessions?cursor=${encodeURIComponent(cursor)}` : "/sessions");
      all.push(...body.sessions);
      cursor = body.nextCursor;
      if (!cursor) break;
    }
    return all;
  },
  myAnalytics: async () => (await rest<MyAnalytics>("GET", "/analytics/me")).body,
  sessionAnalytics: async (sessionId) => (await rest<SessionAnalytics>("GET", `/sessions/${encodeURIComponent(sessionId)}/analytics`)).body,
  setShareCallReports: async (on) => localStorage.setItem(SHARE_REPORTS_KEY, on ? "1" : "0"),
  setRelayOnly: async (on) => localStorage.setItem(RELAY_ONLY_KEY, on ? "1" : "0"),
  // The report went when the call ended; a rating sends it again with the
  // rating, and the server keeps the newer (one report per peer id).
  rateCall: async (ended, rating) => {
    if (rating) sendCallReport(ended.sessionId, { ...ended.report, rating });
  },
  generateLiveCode: async (sessionId): Promise<LiveCodeView> => {
    const { status, body } = await rest<LiveCode>("POST", "/sessions/generate-live-code", { sessionId });
    return { code: body.code, grouped: grouped(body.code), inviteLink: inviteUrl(location.origin, body.code), sessionId: body.sessionId, expiresAt: body.expiresAt, isNew: status === 201 };
  },
  validateLiveCode: async (input) => {
    const check = checkCode(input);
    if (!check.ok) throw new AppError("malformed_code", "That is not a live session code.");
    return (await rest<ValidateLiveCodeResponse>("GET", `/sessions/validate-live-code/${check.code}`)).body;
  },
  setServerUrl: () => webOnly("Choosing a server"),
  allowHttp: () => webOnly("Choosing a server"),
  openLogsFolder: () => webOnly("The logs folder"),
  listRecordings: () => webOnly("Recording"),
  deleteRecording: () => webOnly("Recording"),
  setRecordingsFolder: () => webOnly("Recording"),
  readRecording: () => webOnly("Recording"),
  exportRecording: () => webOnly("Recording"),
  openRecordingsFolder: () => webOnly("Recording"),
  takePendingLink: async () => null,
  pageInAddress: () => pageInAddress(location.pathname),
  onLink: () => () => {},
  saveDevices: async (cameraId, microphoneId, speakerId) => localStorage.setItem(DEVICES_KEY, JSON.stringify({ cameraId, microphoneId, speakerId })),
  notifyIfAway: async (title, body) => {
    if (document.visibilityState === "visible" || typeof Notification === "undefined" || Notification.permission !== "granted") return false;
    new Notification(title, { body });
    return true;
  },
  checkForUpdate: async () => null,
  downloadUpdate: () => webOnly("Updating"),
  installUpdate: () => webOnly("Updating"),
  copyText: (text) => navigator.clipboard.writeText(text),
  startCall: startWebCall,
  exposeBenchHooks: () => {},
};
