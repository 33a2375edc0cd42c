/** The shot page's player app: viewer, side panel (notes, pick, fixes), transport, timeline, live updates. */
import { h } from "./dom";
import { DailiesLink } from "./dailies";
import { FixesPanel } from "./fixes";
import { helpOverlay } from "./help";
import { actionFor } from "./keys";
import { LiveSocket, type LiveState } from "./live";
import { NotesPanel } from "./notes";
import { PicksPanel } from "./picks";
import { Player } from "./player";
import { can, parseShot, type Shot } from "./shot";
import { showOnShotPage } from "./shotpage";
import { Timeline } from "./timeline";

export class ShotApp {
  readonly player: Player;
  readonly timeline: Timeline;
  readonly notes: NotesPanel;
  readonly picks: PicksPanel;
  readonly fixes: FixesPanel;
  private help: HTMLDivElement;
  private statusEl: HTMLSpanElement;
  private liveEl: HTMLSpanElement;
  private progressEl: HTMLSpanElement;
  private tabs: Record<string, [HTMLButtonElement, HTMLElement]> = {};
  private refreshing: Promise<void> | null = null;
  private refreshAgain = false;
  /** The dailies session this page follows or drives (`?dailies=<id>`), if any. */
  readonly dailies: DailiesLink | null = null;

  constructor(root: HTMLElement, shot: Shot) {
    this.player = new Player(shot);
    this.timeline = new Timeline(this.player);
    this.notes = new NotesPanel(this.player);
    this.picks = new PicksPanel(this.player, this.timeline);
    this.fixes = new FixesPanel(this.player);
    this.picks.onDecided = () => void this.refresh();
    this.player.editSegments = () => this.picks.segments;
    const session = Number(new URLSearchParams(location.search).get("dailies") ?? "");
    if (Number.isInteger(session) && session > 0) this.dailies = new DailiesLink(this.player, session, shot.user.username);
    this.help = helpOverlay(() => (this.help.hidden = true));
    this.statusEl = h("span", { class: "fr-status", "data-testid": "shot-status" });
    this.liveEl = h("span", { class: "fr-live", "data-testid": "live", title: "Live updates" });
    this.progressEl = h("span", { class: "fr-progress", "data-testid": "render-progress", hidden: true });
    const tab = (key: string, label: string, panel: HTMLElement) => {
      const b = h("button", { class: "fr-tab", type: "button", "data-tab": key, onclick: () => this.showTab(key) }, label);
      this.tabs[key] = [b, panel];
      return b;
    };
    const side = h("aside", { class: "fr-side" },
      h("div", { class: "fr-tabs" }, tab("notes", "Notes", this.notes.el), tab("pick", "Pick", this.picks.el), tab("fixes", "Fixes", this.fixes.el)),
      this.notes.el, this.picks.el, this.fixes.el);
    root.classList.add("fr-app");
    root.replaceChildren(
      h("div", { class: "fr-bar" },
        h("b", { class: "fr-code" }, shot.code), this.statusEl, this.progressEl,
        h("span", { class: "fr-spacer" }),
        this.player.compareControls,
        h("span", { class: "fr-spacer" }),
        this.dailies?.el ?? "",
        h("span", { class: "fr-user" }, `${shot.user.username} · ${shot.user.role}`),
        this.liveEl,
        h("button", { class: "fr-btn", type: "button", title: "Keyboard shortcuts (?)", onclick: () => (this.help.hidden = !this.help.hidden) }, "?")),
      h("div", { class: "fr-main" }, this.player.el, side),
      this.timeline.el,
      this.help);
    this.showTab(can.pick(shot) ? "pick" : "notes");
    this.setStatus(shot.status, shot.status_label);
    this.showRender();
    document.addEventListener("keydown", (ev) => this.onKey(ev));
    new LiveSocket(shot.ws, (msg) => this.onLive(msg), (state) => this.setLive(state));
    this.timeline.draw();
    // The player is what this page is for: bring it fully into view (it is sized to the window).
    root.scrollIntoView({ block: "start" });
  }

  private showTab(key: string): void {
    for (const [k, [b, panel]] of Object.entries(this.tabs)) {
      b.classList.toggle("on", k === key);
      panel.hidden = k !== key;
    }
  }

  setStatus(status: string, label: string): void {
    this.player.shot.status = status;
    this.player.shot.status_label = label;
    this.statusEl.textContent = label;
    this.statusEl.dataset.status = status;
    // The site's own status badge in the page header shows the same.
    const pageBadge = document.getElementById("shot-status");
    if (pageBadge) {
      pageBadge.textContent = label;
      pageBadge.dataset.status = status;
    }
    this.picks.render();
  }

  /** The latest render's state and progress, next to the status. */
  private showRender(): void {
    const r = this.player.shot.renders[0];
    this.progressEl.hidden = !r;
    if (r) this.progressEl.textContent = `Render ${r.state_label ?? r.state} ${Math.round(r.progress * 100)}%`;
  }

  private setLive(state: LiveState): void {
    this.liveEl.dataset.state = state;
    this.liveEl.textContent = state === "live" ? "● Live" : state === "connecting" ? "○ Connecting" : "○ Reconnecting…";
  }

  private onLive(msg: Record<string, unknown>): void {
    const type = String(msg.type ?? "");
    showOnShotPage(msg);
    if (type === "render.progress") {
      const progress = Number(msg.progress ?? 0);
      this.progressEl.hidden = false;
      this.progressEl.textContent = `Render ${String(msg.state ?? "")} ${Math.round(progress * 100)}%`;
      return;
    }
    if (type === "status.changed" && typeof msg.status === "string") {
      this.setStatus(msg.status, String(msg.status_label ?? msg.status));
    }
    void this.refresh();
  }

  /** Re-read the shot from the API (the same shape as the page's shot-data) and update every part in place. */
  refresh(): Promise<void> {
    if (this.refreshing) {
      // An event that arrives during a fetch may not be in its answer: fetch once more after it.
      this.refreshAgain = true;
      return this.refreshing;
    }
    const shot = this.player.shot;
    this.refreshing = (async () => {
      try {
        const res = await fetch(`${shot.api}shots/${shot.id}/`, { credentials: "same-origin", headers: { Accept: "application/json" } });
        if (!res.ok) return;
        this.apply(parseShot({ ...(await res.json()), user: shot.user, api: shot.api, ws: shot.ws }));
      } catch (e) {
        console.warn("live: could not refresh the shot", e);
      } finally {
        this.refreshing = null;
        if (this.refreshAgain) {
          this.refreshAgain = false;
          void this.refresh();
        }
      }
    })();
    return this.refreshing;
  }

  private apply(fresh: Shot): void {
    const shot = this.player.shot;
    shot.variants = fresh.variants;
    shot.approved_ranges = fresh.approved_ranges;
    shot.plate = fresh.plate;
    shot.notes = fresh.notes;
    shot.fixes = fresh.fixes;
    shot.edit = fresh.edit;
    this.player.refreshSources();
    this.notes.render();
    this.fixes.render();
    this.picks.shotChanged();
    shot.renders = fresh.renders;
    this.setStatus(fresh.status, fresh.status_label);
    this.showRender();
    this.player.redrawOverlays();
    this.timeline.draw();
  }

  private onKey(ev: KeyboardEvent): void {
    const t = ev.target as HTMLElement | null;
    if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable)) return;
    const action = actionFor(ev);
    if (!action) return;
    ev.preventDefault();
    const p = this.player;
    const run: Record<string, () => void> = {
      "toggle-play": () => p.togglePlay(),
      "step+1": () => void p.step(1),
      "step-1": () => void p.step(-1),
      "step+10": () => void p.step(10),
      "step-10": () => void p.step(-10),
      "go-start": () => void p.goTo(p.inPoint ?? p.range.start),
      "go-end": () => void p.goTo(p.outPoint ?? p.range.end),
      "shuttle-back": () => p.shuttle(-1),
      stop: () => void p.stop(),
      "shuttle-forward": () => p.shuttle(1),
      "set-in": () => p.setIn(p.target),
      "set-out": () => p.setOut(p.target),
      "clear-in-out": () => { p.setIn(null); p.setOut(null); },
      "toggle-loop": () => p.toggleLoop(),
      "toggle-mute": () => p.toggleMute(),
      slower: () => p.changeSpeed(-1),
      faster: () => p.changeSpeed(1),
      "views-1": () => p.setViewCount(1),
      "views-2": () => p.setViewCount(2),
      "views-3": () => p.setViewCount(3),
      "views-4": () => p.setViewCount(4),
      "mode-grid": () => p.setMode("grid"),
      "mode-wipe": () => p.setMode("wipe"),
      "mode-ab": () => p.toggleAB(),
      "mode-edit": () => p.setMode("edit"),
      "toggle-loupe": () => p.toggleLoupe(),
      "toggle-draw": () => { this.showTab("notes"); this.notes.toggleDraw(); },
      "new-note": () => { this.showTab("notes"); this.notes.focusComposer(); },
      split: () => { this.showTab("pick"); this.picks.split(); },
      help: () => (this.help.hidden = !this.help.hidden),
      escape: () => { this.help.hidden = true; this.notes.toggleDraw(false); },
    };
    run[action]?.();
  }
}

export function mountShot(root: HTMLElement, raw: unknown): ShotApp {
  return new ShotApp(root, parseShot(raw));
}
