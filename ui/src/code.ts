// The live-code input rules, as the contract states them: case, surrounding
// white space and one hyphen in the middle are forgiven. The server checks
// again; this only lets the input say "looks right" before asking it.

export const ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";

export type CodeCheck = { ok: true; code: string } | { ok: false; reason: "empty" | "incomplete" | "malformed" };

export function checkCode(input: string): CodeCheck {
  const trimmed = codeInLink(input.trim()) ?? input.trim();
  if (trimmed === "") return { ok: false, reason: "empty" };
  let compact = trimmed;
  if (trimmed.length === 9 && trimmed[4] === "-") compact = trimmed.slice(0, 4) + trimmed.slice(5);
  const upper = compact.toUpperCase();
  if ([...upper].some((c) => !ALPHABET.includes(c))) return { ok: false, reason: "malformed" };
  if (upper.length < 8) return { ok: false, reason: "incomplete" };
  if (upper.length > 8) return { ok: false, reason: "malformed" };
  return { ok: true, code: upper };
}

/** The code part of a pasted invitation: `https://server/join/CODE` (the
 *  platform's invitation page) or `mentorlive://join/CODE`; null when the
 *  input is not a link, and the link itself when it is not an
 *  invitation. Only the path `/join/CODE` counts: a query or a
 *  fragment is not part of an invitation. */
export function codeInLink(input: string): string | null {
  if (!/^(https?|mentorlive):\/\//i.test(input)) return null;
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    return input;
  }
  // `mentorlive://join/CODE` parses with `join` as the host.
  const path = url.protocol === "mentorlive:" ? `/${url.host}${url.pathname}` : url.pathname;
  const match = /^\/join\/([^/]+)\/?$/.exec(path);
  // Not an invitation: the whole input stands, and reads as malformed.
  if (!match || url.search || url.hash) return input;
  return decodeURIComponent(match[1]);
}

/** The invitation a person sends: the platform's page for the code, which
 *  opens the app or joins in the browser. */
export function inviteUrl(server: string, code: string): string {
  return `${server.replace(/\/+$/, "")}/join/${code}`;
}

/** `ABCDEFGH` → `ABCD EFGH`: easier to read aloud. */
export function grouped(code: string): string {
  return code.length === 8 ? `${code.slice(0, 4)} ${code.slice(4)}` : code;
}

import type { AppErrorCode } from "./generated/types";

/** The words a person sees for a live code's error. */
export function codeErrorMessage(code: AppErrorCode, serverMessage: string): string {
  switch (code) {
    case "malformed_code":
      return "That doesn't look like a live session code. Codes are 8 letters and digits, like ABCD-EFGH.";
    case "unknown_code":
      return "There is no live session with this code. Check it with your partner.";
    case "expired_code":
      return `This code has expired. Ask your partner to start the live session again. (${serverMessage})`;
    case "not_participant":
      return "This live session belongs to someone else's booking: only its mentor and learner can join.";
    case "rate_limited":
      return serverMessage;
    case "network":
    case "timeout":
      return "Could not reach the server. Check your connection and the server address in Settings.";
    default:
      return serverMessage;
  }
}

/** Time left until `expiresAt`, as `mm:ss` (or `expired`). */
export function countdown(expiresAt: string, now: number): string {
  const left = Math.floor((Date.parse(expiresAt) - now) / 1000);
  if (!(left > 0)) return "expired";
  const m = Math.floor(left / 60);
  const s = left % 60;
  return `${m}:${String(s).padStart(2, "0")}`;
}
