import "./language";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App";
import { api } from "./api";
import { enableTestHooks } from "./testHooks";
import "./styles.css";

// Test and benchmark builds only (AppInfo.testHooks): what the end-to-end
// tests and scripts/bench-*.sh read through WebDriver. Figures, no secrets.
api
  .appInfo()
  .then((info) => {
    enableTestHooks(info.testHooks);
    api.exposeBenchHooks();
  })
  .catch(() => {});

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
