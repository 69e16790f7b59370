// One Tauri command call: what the generated callers (generated/commands.ts)
// go through, so every command's error arrives as an AppError with the
// app's typed code.

import { invoke, type InvokeArgs } from "@tauri-apps/api/core";
import { AppError } from "../errors";
import type { ClientError } from "../generated/types";

export async function command<T>(name: string, args?: InvokeArgs): Promise<T> {
  try {
    return await invoke<T>(name, args);
  } catch (err) {
    const e = err as Partial<ClientError> | string;
    // Tauri itself (not our commands) rejects with a bare string.
    if (typeof e === "string" || !e?.code) throw new AppError("other", typeof e === "string" ? e : String(err));
    throw new AppError(e.code, e.message ?? "");
  }
}
