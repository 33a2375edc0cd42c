/** Entry point of player.js, the site's one script (on every page for a signed-in person): the player and its
 * live updates on a shot page, the shot's jobs table, live updates on the board, and the header's inbox count. */
import "./player.css";
import { mountBoard } from "./board";
import { mountShot, type ShotApp } from "./app";
import { mountInbox } from "./inbox";
import { JobsTable } from "./jobs";

declare global {
  interface Window {
    facereplace?: { app?: ShotApp; jobs?: JobsTable };
  }
}

function start(): void {
  const inboxLink = document.getElementById("inbox-link");
  const inboxCount = document.getElementById("inbox-count");
  if (inboxLink && inboxCount) mountInbox(inboxLink, inboxCount);
  const jobs = document.getElementById("jobs");
  if (jobs instanceof HTMLTableElement) window.facereplace = { jobs: new JobsTable(jobs) };
  const data = document.getElementById("shot-data");
  const root = document.getElementById("player-root");
  if (data && root) {
    try {
      window.facereplace = { ...window.facereplace, app: mountShot(root, JSON.parse(data.textContent || "null")) };
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
