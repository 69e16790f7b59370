// The screens' one way out: the backend of this build (desktop or web, see
// backend/backend.ts), and the types, generated from Rust
// (src-tauri/src/bindings.rs), never written here.
import { backend } from "#backend";
import type { ValidateLiveCodeResponse } from "./generated/types";

export const api = backend;
export { AppError } from "./errors";
export type { AppErrorCode, AppInfo, CallEvent, CallJoined, CallState, CallStats, LinkEvent, LiveCodeView, Participant, Role, Session, UpdateInfo, User } from "./generated/types";
export type Validated = ValidateLiveCodeResponse;
