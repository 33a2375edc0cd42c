/**
 * The server-rendered parts of the shot page around the player, kept current from the shot's socket (the
 * player's own LiveSocket hands every message here): a render's row moves with its progress, and each change
 * is listed at the top of the activity.
 */

/** The activity line a live event adds until the page is reloaded (which shows the full record). */
export function activityLine(type: string): string {
  return `${type.replace(".", " ")} (reload for details)`;
}

export function showOnShotPage(msg: Record<string, unknown>, doc: Document = document): void {
  const type = String(msg.type ?? "");
  if (type === "render.progress") {
    const row = doc.getElementById(`render-${Number(msg.render)}`);
    if (!row) return;
    (row.querySelector("progress") as HTMLProgressElement).value = Number(msg.progress ?? 0);
    (row.querySelector(".render-state") as HTMLElement).textContent = String(msg.state_label ?? msg.state ?? "");
    return;
  }
  if (!type || type === "reconnected") return;
  const activity = doc.getElementById("activity");
  if (!activity) return;
  activity.querySelector(".empty")?.remove();
  const item = doc.createElement("li");
  item.textContent = activityLine(type);
  activity.prepend(item);
}
