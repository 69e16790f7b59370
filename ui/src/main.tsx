import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App";
import { benchBridge } from "./media/bench";
import "./styles.css";

// For scripts/bench-bridge.sh (through WebDriver): echoes only, no secrets.
(window as unknown as { mentorliveBenchBridge: typeof benchBridge }).mentorliveBenchBridge = benchBridge;

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
