/**
 * The header's inbox count, live: ws/inbox/ pushes {type: "inbox.count", unread} after each change to the
 * signed-in person's inbox; after a reconnect the count is read once from the API (pushes may have been missed).
 */
import { LiveSocket } from "./live";

export function showCount(badge: HTMLElement, unread: number): void {
  badge.textContent = String(unread);
  badge.hidden = unread <= 0;
}

/** Keep the header's #inbox-count current (the header has it on every page for a signed-in person). */
export function mountInbox(link: HTMLElement, badge: HTMLElement): LiveSocket {
  return new LiveSocket(link.dataset.ws || "/ws/inbox/", (msg) => {
    if (msg.type === "inbox.count" && typeof msg.unread === "number") showCount(badge, msg.unread);
    else if (msg.type === "reconnected") {
      fetch("/api/notifications/?unread=true&page_size=1", { credentials: "same-origin" })
        .then((r) => (r.ok ? r.json() : null))
        .then((body) => { if (body && typeof body.count === "number") showCount(badge, body.count); })
        .catch(() => {});
    }
  }, (state) => { link.dataset.live = state; });
}
