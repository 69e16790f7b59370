import { defineConfig } from "vitest/config";
import react from "@vitejs/plugin-react";

export default defineConfig({
  plugins: [react()],
  // Relative asset paths: the app serves the bundle from its own origin.
  base: "./",
  build: { outDir: "dist", target: "safari16", sourcemap: false },
  test: { environment: "jsdom", globals: false },
});
