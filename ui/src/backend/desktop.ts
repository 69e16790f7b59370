// The desktop app's backend: every call is a Tauri command of the Rust app,
// through the callers generated from the commands (generated/commands.ts);
// errors arrive as AppErrors with typed codes (command.ts).

import { listen } from "@tauri-apps/api/event";
import { writeText } from "@tauri-apps/plugin-clipboard-manager";
import { commands } from "../generated/commands";
import type { LinkEvent } from "../generated/types";
import { benchBridge, processFigures } from "../media/bench";
import { exposeForTests } from "../testHooks";
import type { Backend } from "./backend";
import { startDesktopCall } from "./desktopCall";
import { ScreenSender } from "../media/screenSender";

export const backend: Backend = {
  kind: "desktop",
  canRecord: true,
  remoteView: "canvas",
  appInfo: commands.appInfo,
  restoreSession: commands.restoreSession,
  signIn: commands.signIn,
  register: commands.register,
  signOut: commands.signOut,
  listSessions: commands.listSessions,
  generateLiveCode: commands.generateLiveCode,
  validateLiveCode: commands.validateLiveCode,
  setServerUrl: commands.setServerUrl,
  openLogsFolder: commands.openLogsFolder,
  takePendingLink: commands.takePendingLink,
  pageInAddress: () => null,
  onLink: (handler) => {
    const unlisten = listen<LinkEvent>("deep-link", (e) => handler(e.payload));
    return () => void unlisten.then((f) => f());
  },
  saveDevices: commands.saveDevices,
  notifyIfAway: commands.notifyIfAway,
  checkForUpdate: commands.checkForUpdate,
  downloadUpdate: commands.downloadUpdate,
  installUpdate: commands.installUpdate,
  copyText: (text) => writeText(text),
  startCall: startDesktopCall,
  exposeBenchHooks: () => {
    exposeForTests("mentorliveBenchBridge", benchBridge);
    exposeForTests("mentorliveProcessFigures", processFigures);
    exposeForTests("mentorliveSetScreenRate", (fps: number | null) => (ScreenSender.forcedRate = fps));
  },
};
