// Generated from the Rust types by src-tauri/src/bindings.rs. Do not edit.

export type User = { id: string, email: string, name: string, role: Role, };

export type Role = "mentor" | "learner";

export type Participant = { id: string, name: string, };

export type SessionStatus = "upcoming" | "live" | "completed" | "cancelled";

export type Session = { id: string, title: string, mentor: Participant, learner: Participant, scheduledAt: string, durationMinutes: number, status: SessionStatus, liveSessionCode: string | null, liveSessionCreatedAt: string | null, liveSessionExpiresAt: string | null, };

export type ValidateLiveCodeResponse = { valid: boolean, sessionId: string, expiresAt: string, session: Session, };

export type ErrorCode = "invalid_input" | "email_taken" | "invalid_credentials" | "rate_limited" | "unauthorized" | "not_participant" | "not_found" | "session_not_active" | "malformed_code" | "unknown_code" | "expired_code" | "room_full" | "unknown_peer" | "not_joined" | "payload_too_large" | "method_not_allowed" | "internal" | "other";

export type LiveCodeView = { code: string, 
/**
 * `ABCD EFGH`
 */
grouped: string, inviteLink: string, sessionId: string, expiresAt: string, isNew: boolean, };

export type AppInfo = { version: string, serverUrl: string, account: string | null, logsDir: string, };

export type LinkEvent = { "kind": "join", code: string, } | { "kind": "refused", message: string, };

