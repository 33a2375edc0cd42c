/**
 * Dailies follow mode (the shot page opened with `?dailies=<session id>`): the session's socket carries the
 * driver's player state to everyone. The driver's player sends its state whenever what it shows changes (the
 * frame when stopped, play or pause, view mode, compare pair, loupe) and, while playing, once a second; every
 * other player applies the latest state it got: it plays when the driver plays and, when the driver stops,
 * stops and seeks to the very frame the driver stopped on. The driver moves through the playlist with Prev/Next
 * (each item is its shot's page); followers go to the item the driver is on. A supervisor following may take
 * the driving over ("Drive").
 */

interface PlaylistItem {
  position: number;
  shot: number;
  variant: number | null;
}

/** The page of a playlist item in the session. */
export function itemUrl(session: number, item: PlaylistItem): string {
  return `/shots/${item.shot}/?dailies=${session}&item=${item.position}`;
}
import { apiPost, apiSend } from "./api";
import { h } from "./dom";
import { LiveSocket } from "./live";
import type { CompareMode, Player } from "./player";
import { can } from "./shot";

export interface DriverState {
  /** The playlist position (1-based) the driver is on; a follower elsewhere goes to that item's page. */
  item?: number;
  frame: number;
  playing: boolean;
  direction: number;
  view: string;
  compare: string[];
  loupe: { on: boolean } | null;
}

/** What `player` shows now, as the driver sends it. */
export function stateOf(player: Pick<Player, "frame" | "target" | "direction" | "mode" | "views" | "loupeOn">): DriverState {
  return {
    frame: player.direction === 0 ? player.target : player.frame,
    playing: player.direction !== 0,
    direction: player.direction,
    view: player.mode,
    compare: player.views.map((v) => v.source.key),
    loupe: { on: player.loupeOn },
  };
}

/** The state with the frame left out while playing (it changes every frame): a change of this is worth sending. */
export function signature(state: DriverState): string {
  return JSON.stringify({ ...state, frame: state.playing ? null : state.frame });
}

const MODES: CompareMode[] = ["grid", "wipe", "ab", "edit"];

export class DailiesLink {
  readonly el: HTMLSpanElement;
  private label: HTMLSpanElement;
  private prevBtn: HTMLButtonElement;
  private nextBtn: HTMLButtonElement;
  private driveBtn: HTMLButtonElement;
  private items: PlaylistItem[] = [];
  /** This page's place in the playlist (from `?item=`, else the first item of this shot). */
  private position: number | null = null;
  private driver: string | null = null;
  private sent = "";
  private lastSentAt = 0;
  private latest: DriverState | null = null;
  private applying: Promise<void> | null = null;
  /** Whether a driver's state has arrived yet. */
  private followed = false;
  private socket: LiveSocket;

  constructor(private readonly player: Player, readonly session: number, private readonly me: string) {
    const button = (label: string, testid: string, onclick: () => void) =>
      h("button", { class: "fr-btn", type: "button", hidden: true, "data-testid": testid, onclick }, label);
    this.label = h("span", { "data-testid": "dailies" }, "Dailies: joining…");
    this.prevBtn = button("◂ Prev", "dailies-prev", () => this.goToItem(-1));
    this.nextBtn = button("Next ▸", "dailies-next", () => this.goToItem(1));
    this.driveBtn = button("Drive", "dailies-drive", () => void this.takeOver());
    this.el = h("span", { class: "fr-dailies" }, this.label, this.prevBtn, this.nextBtn, this.driveBtn);
    this.socket = new LiveSocket(`/ws/dailies/${session}/`, (msg) => this.onMessage(msg));
    player.onTransport(() => this.maybeSend());
    void this.loadPlaylist();
  }

  private async loadPlaylist(): Promise<void> {
    const session = await apiSend<{ items: PlaylistItem[] }>("GET", `/api/dailies/${this.session}/`);
    this.items = session.items;
    const asked = Number(new URLSearchParams(location.search).get("item") ?? "");
    const mine = this.items.find((i) => i.position === asked && i.shot === this.player.shot.id)
      ?? this.items.find((i) => i.shot === this.player.shot.id);
    this.position = mine?.position ?? null;
    // the item's variant version is what the session looks at (the driver's compare pair overrides it)
    const source = mine?.variant ? this.player.sourceByKey(`v${mine.variant}`) : undefined;
    // (a follower that already has the driver's state keeps it)
    if (source && !this.followed) this.player.setViews([source]);
    this.show();
    if (this.driving) this.send(true);
  }

  private goToItem(delta: number): void {
    const next = this.items.find((i) => i.position === (this.position ?? 0) + delta);
    if (next) location.assign(itemUrl(this.session, next));
  }

  private async takeOver(): Promise<void> {
    try {
      await apiPost(`/api/dailies/${this.session}/driver/`, { to: this.me });
    } catch (e) {
      this.label.textContent = `Dailies: ${(e as Error).message}`;
    }
  }

  get driving(): boolean {
    return this.driver === this.me;
  }

  private show(): void {
    this.el.dataset.role = this.driving ? "driver" : "follower";
    this.label.textContent = this.driver === null ? "Dailies: ended" : this.driving ? "Dailies: you drive" : `Dailies: following ${this.driver}`;
    this.label.title = this.position ? `Playlist item ${this.position} of ${this.items.length}` : "";
    this.prevBtn.hidden = !this.driving || !this.items.some((i) => i.position === (this.position ?? 0) - 1);
    this.nextBtn.hidden = !this.driving || !this.items.some((i) => i.position === (this.position ?? 0) + 1);
    this.driveBtn.hidden = this.driving || this.driver === null || !can.pick(this.player.shot);
  }

  private onMessage(msg: Record<string, unknown>): void {
    const type = String(msg.type ?? "");
    if (type === "joined" || type === "driver") {
      this.driver = (msg.driver as string | null) ?? null;
      this.show();
      if (this.driving) this.send(true);
    } else if (type === "ended") {
      this.driver = null;
      this.show();
    } else if (type === "resend" || type === "reconnected") {
      if (this.driving) this.send(true);
    } else if (type === "state" && !this.driving) {
      const item = this.items.find((i) => i.position === msg.item);
      if (item && this.position !== null && item.position !== this.position) {
        location.assign(itemUrl(this.session, item));  // the driver moved on in the playlist
        return;
      }
      this.latest = msg as unknown as DriverState;
      this.followed = true;
      if (!this.applying) this.applying = this.applyLatest().finally(() => (this.applying = null));
    } else if (type === "refused") {
      console.warn("dailies:", msg.detail);
    }
  }

  private maybeSend(): void {
    if (!this.driving) return;
    const state = stateOf(this.player);
    const changed = signature(state) !== this.sent;
    if (changed || (state.playing && performance.now() - this.lastSentAt > 1000)) this.send(false);
  }

  private send(always: boolean): void {
    const state = stateOf(this.player);
    const sig = signature(state);
    if (!always && sig === this.sent && !state.playing) return;
    this.sent = sig;
    this.lastSentAt = performance.now();
    this.socket.send({ type: "state", ...state, ...(this.position !== null ? { item: this.position } : {}) });
  }

  /** Apply the newest state received, then any that came in meanwhile (only the newest of those). */
  private async applyLatest(): Promise<void> {
    while (this.latest) {
      const state = this.latest;
      this.latest = null;
      await this.apply(state);
    }
  }

  private async apply(state: DriverState): Promise<void> {
    const p = this.player;
    const keys = Array.isArray(state.compare) ? state.compare : [];
    const sources = keys.map((k) => p.sourceByKey(String(k))).filter((s) => s !== undefined);
    if (sources.length && sources.map((s) => s.key).join() !== p.views.map((v) => v.source.key).join()) p.setViews(sources);
    if (MODES.includes(state.view as CompareMode) && state.view !== p.mode) p.setMode(state.view as CompareMode);
    if (state.loupe && Boolean(state.loupe.on) !== p.loupeOn) p.toggleLoupe();
    if (state.playing) {
      const direction = state.direction === -1 ? -1 : 1;
      if (p.direction !== direction) {
        await p.seekAll(state.frame);
        p.play(direction);
      }
      return;
    }
    if (p.direction !== 0) await p.stop();
    if (p.frame !== state.frame || p.target !== state.frame) await p.seekAll(state.frame);
  }
}
