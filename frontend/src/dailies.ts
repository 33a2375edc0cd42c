/**
 * Dailies follow mode (the shot page opened with `?dailies=<session id>`): the session's socket carries the
 * driver's player state to everyone. The driver's player sends its state whenever what it shows changes (the
 * frame when stopped, play or pause, view mode, compare pair, loupe) and, while playing, once a second; every
 * other player applies the latest state it got: it plays when the driver plays and, when the driver stops,
 * stops and seeks to the very frame the driver stopped on.
 */
import { h } from "./dom";
import { LiveSocket } from "./live";
import type { CompareMode, Player } from "./player";

export interface DriverState {
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
  private driver: string | null = null;
  private sent = "";
  private lastSentAt = 0;
  private latest: DriverState | null = null;
  private applying: Promise<void> | null = null;
  private socket: LiveSocket;

  constructor(private readonly player: Player, readonly session: number, private readonly me: string) {
    this.el = h("span", { class: "fr-dailies", "data-testid": "dailies" }, "Dailies: joining…");
    this.socket = new LiveSocket(`/ws/dailies/${session}/`, (msg) => this.onMessage(msg));
    player.onTransport(() => this.maybeSend());
  }

  get driving(): boolean {
    return this.driver === this.me;
  }

  private show(): void {
    this.el.dataset.role = this.driving ? "driver" : "follower";
    this.el.textContent = this.driver === null ? "Dailies: ended" : this.driving ? "Dailies: you drive" : `Dailies: following ${this.driver}`;
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
      this.latest = msg as unknown as DriverState;
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
    this.socket.send({ type: "state", ...state });
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
