import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App";
import { benchBridge, processFigures } from "./media/bench";
import "./styles.css";

// For scripts/bench-bridge.sh (through WebDriver): echoes only, no secrets.
Object.assign(window, { mentorliveBenchBridge: benchBridge, mentorliveProcessFigures: processFigures });

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
