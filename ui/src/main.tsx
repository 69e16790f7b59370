import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App";
import { api } from "./api";
import { benchBridge, processFigures } from "./media/bench";
import { enableTestHooks, exposeForTests } from "./testHooks";
import "./styles.css";

// Test and benchmark builds only (AppInfo.testHooks): what the end-to-end
// tests and scripts/bench-*.sh read through WebDriver. Figures, no secrets.
api
  .appInfo()
  .then((info) => {
    enableTestHooks(info.testHooks);
    exposeForTests("mentorliveBenchBridge", benchBridge);
    exposeForTests("mentorliveProcessFigures", processFigures);
  })
  .catch(() => {});

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
