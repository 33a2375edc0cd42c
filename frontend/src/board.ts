/**
 * The producer board, live: on any message on ws/board/ the board's rows are re-read from the server and
 * swapped in place (filters in the URL are kept, since the same URL is fetched).
 */
import { h } from "./dom";
import { LiveSocket } from "./live";

export function mountBoard(root: HTMLElement): LiveSocket {
  // The board page does not load the player's stylesheet: the indicator carries its own look.
  const indicator = h("span", { class: "fr-live", "data-testid": "live", style: { float: "right", fontSize: "12px", color: "#66717d" } });
  root.prepend(indicator);
  let pending: Promise<void> | null = null;
  let again = false;
  const refresh = (): void => {
    if (pending) {
      again = true; // this event may not be in the answer of the fetch under way
      return;
    }
    pending = (async () => {
      try {
        const res = await fetch(location.href, { credentials: "same-origin", headers: { Accept: "text/html" } });
        if (!res.ok) return;
        const doc = new DOMParser().parseFromString(await res.text(), "text/html");
        const fresh = doc.getElementById(root.id);
        if (fresh) {
          root.replaceChildren(indicator, ...Array.from(fresh.childNodes).filter((n) => !(n instanceof HTMLElement && n.classList.contains("fr-live"))));
        }
      } finally {
        pending = null;
        if (again) {
          again = false;
          refresh();
        }
      }
    })();
  };
  return new LiveSocket(root.dataset.ws || "/ws/board/", refresh, (state) => {
    indicator.dataset.state = state;
    indicator.textContent = state === "live" ? "● Live" : "○ Reconnecting…";
    indicator.style.color = state === "live" ? "#2e7d32" : "#b26a00";
  });
}
