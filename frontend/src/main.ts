/** Entry point of player.js: mounts the player on a shot page and live updates on the board. */
import "./player.css";
import { mountBoard } from "./board";
import { mountShot, type ShotApp } from "./app";

declare global {
  interface Window {
    facereplace?: { app?: ShotApp };
    /** Tell the site's plain live.js that the player handles the shot page's and the board's live updates. */
    facereplacePlayer?: boolean;
    facereplacePlayerBoard?: boolean;
  }
}

window.facereplacePlayer = true;
window.facereplacePlayerBoard = true;

function start(): void {
  const data = document.getElementById("shot-data");
  const root = document.getElementById("player-root");
  if (data && root) {
    try {
      window.facereplace = { app: mountShot(root, JSON.parse(data.textContent || "null")) };
    } catch (e) {
      root.textContent = `The player could not start: ${(e as Error).message}`;
      root.classList.add("fr-error");
      throw e;
    }
  }
  const board = document.getElementById("board-root");
  if (board) mountBoard(board);
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
