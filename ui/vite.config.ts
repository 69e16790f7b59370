import { defineConfig } from "vitest/config";
import react from "@vitejs/plugin-react";

// Two builds of one UI (src/backend/backend.ts):
// - the desktop app's webview (default): `dist/`, relative asset paths,
//   the Tauri backend;
// - the platform's web client (`--mode web`): `dist-web/`, served by the
//   reference server at `/` (so absolute asset paths: pages live at
//   `/join/CODE` too), the browser backend.
export default defineConfig(({ mode }) => {
  const web = mode === "web";
  return {
    plugins: [react()],
    base: web ? "/" : "./",
    resolve: {
      alias: { "#backend": new URL(web ? "./src/backend/web.ts" : "./src/backend/desktop.ts", import.meta.url).pathname },
    },
    build: web
      ? { outDir: "dist-web", target: ["chrome111", "firefox115", "safari16"], sourcemap: false }
      : { outDir: "dist", target: "safari16", sourcemap: false },
    test: { environment: "jsdom", globals: false },
  };
});
