// The desktop app's backend: every call is a Tauri command of the Rust app,
// through the callers generated from the commands (generated/commands.ts);
// errors arrive as AppErrors with typed codes (command.ts).

import { listen } from "@tauri-apps/api/event";
import { writeText } from "@tauri-apps/plugin-clipboard-manager";
import { commands } from "../generated/commands";
import type { LinkEvent, TrayAction } from "../generated/types";
import { benchBridge, processFigures } from "../media/bench";
import { exposeForTests } from "../testHooks";
import type { Backend } from "./backend";
import { startDesktopCall } from "./desktopCall";
import { ScreenSender } from "../media/screenSender";
import { exportOneVideo } from "../recordings/exportOneVideo";

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
  myAnalytics: commands.myAnalytics,
  sessionAnalytics: commands.sessionAnalytics,
  setShareCallReports: commands.setShareCallReports,
  setRelayOnly: commands.setRelayOnly,
  // The report waits in the app's queue (held for this answer); it goes now.
  rateCall: (ended, rating) => commands.rateCall(ended.sessionId, ended.report, rating),
  generateLiveCode: commands.generateLiveCode,
  validateLiveCode: commands.validateLiveCode,
  setServerUrl: commands.setServerUrl,
  allowHttp: commands.allowHttp,
  openLogsFolder: commands.openLogsFolder,
  listRecordings: commands.listRecordings,
  deleteRecording: commands.deleteRecording,
  setRecordingsFolder: commands.setRecordingsFolder,
  readRecording: async (path, start, end) => new Uint8Array(await commands.readRecording(path, start, end)),
  async exportRecording(path, onProgress, cancelled) {
    const started = await commands.exportBegin(path);
    const io = {
      size: started.sourceBytes,
      read: async (start: number, end: number) => new Uint8Array(await commands.readRecording(path, start, end)),
      write: async (position: number, data: Uint8Array) => {
        // The offset, then the bytes: one raw IPC body (no JSON, no base64).
        const body = new Uint8Array(8 + data.byteLength);
        new DataView(body.buffer).setBigUint64(0, BigInt(position), true);
        body.set(data, 8);
        await commands.exportWrite(body.buffer);
      },
    };
    try {
      const made = await exportOneVideo(io, onProgress, cancelled);
      await commands.exportFinish(true);
      return { path: started.path, ...made };
    } catch (err) {
      await commands.exportFinish(false).catch(() => {});
      throw err;
    }
  },
  openRecordingsFolder: commands.openRecordingsFolder,
  takePendingLink: commands.takePendingLink,
  pageInAddress: () => null,
  runningCall: commands.runningCall,
  background: {
    onCloseRequested: (handler) => {
      const unlisten = listen("close-requested", () => handler());
      return () => void unlisten.then((f) => f());
    },
    onTrayAction: (handler) => {
      const unlisten = listen<TrayAction>("tray-action", (e) => handler(e.payload));
      return () => void unlisten.then((f) => f());
    },
    keep: commands.keepInBackground,
    setMuted: commands.setTrayMuted,
    leave: commands.leaveBackground,
    quit: commands.quitApp,
  },
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
    // A headless X server has no tray to look at or click.
    exposeForTests("mentorliveTrayView", commands.trayView);
    exposeForTests("mentorlivePressTray", commands.pressTray);
    exposeForTests("mentorliveSetScreenRate", (fps: number | null) => (ScreenSender.forcedRate = fps));
    exposeForTests("mentorliveSetStillScreen", (still: boolean) => (ScreenSender.still = still));
  },
};
