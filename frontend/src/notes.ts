/**
 * Notes: a list (click to go to the frame), replies, resolve, and the composer with drawing tools. A note's
 * drawing is shown over every view whenever a frame of the note is on screen.
 */
import { apiPost } from "./api";
import { formatWhen, h, replaceChildren } from "./dom";
import type { Player } from "./player";
import { can, parseNote, type Note, type Shot } from "./shot";
import { makeStroke, type Drawing, type Stroke, type Tool } from "./strokes";

const COLOURS = ["#ff3b30", "#ffd60a", "#34c759", "#0a84ff", "#ffffff"];

export class NotesPanel {
  readonly el: HTMLDivElement;
  private list: HTMLDivElement;
  private text!: HTMLTextAreaElement;
  private useRange!: HTMLInputElement;
  private where!: HTMLSpanElement;
  private error: HTMLDivElement;
  private showResolved = false;
  /** Strokes of the note being written, and the frame they were drawn on. */
  pending: Stroke[] = [];
  pendingFrame: number | null = null;
  drawing = false;
  tool: Tool = "pen";
  colour = COLOURS[0];
  private drawBtn!: HTMLButtonElement;
  private toolBtns: Record<string, HTMLButtonElement> = {};
  private colourBtns: HTMLButtonElement[] = [];

  constructor(private readonly player: Player) {
    this.list = h("div", { class: "fr-note-list", "data-testid": "notes" });
    this.error = h("div", { class: "fr-error", role: "alert" });
    this.el = h("div", { class: "fr-panel fr-notes" },
      can.note(player.shot) ? this.buildComposer() : null, this.error,
      h("label", { class: "fr-check" },
        h("input", { type: "checkbox", "data-testid": "show-resolved", onchange: (ev: Event) => { this.showResolved = (ev.target as HTMLInputElement).checked; this.render(); } }),
        " Show resolved"),
      this.list);
    player.overlays.push((frame) => this.drawingsAt(frame));
    player.onFrame(() => this.updateWhere());
    this.bindDrawing();
    this.render();
  }

  private get shot(): Shot {
    return this.player.shot;
  }

  drawingsAt(frame: number): Drawing[] {
    const out = this.shot.notes
      .filter((n) => n.drawing && !n.resolved && n.frame_start <= frame && frame <= n.frame_end)
      .map((n) => n.drawing!);
    if (this.pending.length && this.pendingFrame === frame) out.push({ version: 1, strokes: this.pending });
    return out;
  }

  private buildComposer(): HTMLDivElement {
    const tool = (t: Tool, label: string) => {
      const b = h("button", { class: "fr-btn fr-tool", type: "button", title: `${label} tool`, "data-tool": t, onclick: () => this.setTool(t) }, label);
      this.toolBtns[t] = b;
      return b;
    };
    this.colourBtns = COLOURS.map((c) => h("button", {
      class: "fr-swatch", type: "button", title: `Colour ${c}`, "data-colour": c, style: { background: c },
      onclick: () => this.setColour(c),
    }));
    this.drawBtn = h("button", { class: "fr-btn", type: "button", "data-testid": "draw", title: "Draw on the frame (D)", onclick: () => this.toggleDraw() }, "✎ Draw");
    this.text = h("textarea", { class: "fr-input", rows: 3, placeholder: "Note on this frame…", "data-testid": "note-text",
      onkeydown: (ev: KeyboardEvent) => ev.stopPropagation() });
    this.useRange = h("input", { type: "checkbox", onchange: () => this.updateWhere() });
    this.where = h("span", { class: "fr-where", "data-testid": "note-where" });
    const composer = h("div", { class: "fr-composer" },
      h("div", { class: "fr-row" }, this.where, h("label", { class: "fr-check", title: "Anchor the note to the in/out range" }, this.useRange, " in/out range")),
      this.text,
      h("div", { class: "fr-row fr-tools" }, this.drawBtn, tool("pen", "Pen"), tool("arrow", "Arrow"), tool("text", "Text"),
        ...this.colourBtns,
        h("button", { class: "fr-btn", type: "button", title: "Undo the last stroke", onclick: () => { this.pending.pop(); this.player.redrawOverlays(); } }, "↶"),
        h("button", { class: "fr-btn", type: "button", title: "Clear the drawing", onclick: () => { this.pending = []; this.player.redrawOverlays(); } }, "✕")),
      h("div", { class: "fr-row" }, h("button", { class: "fr-btn fr-primary", type: "button", "data-testid": "note-save", onclick: () => void this.save() }, "Add note")));
    this.setTool("pen");
    this.setColour(COLOURS[0]);
    return composer;
  }

  focusComposer(): void {
    this.text?.focus();
  }

  private noteRange(): [number, number] {
    const p = this.player;
    if (this.useRange?.checked && (p.inPoint !== null || p.outPoint !== null)) {
      return [p.inPoint ?? p.range.start, p.outPoint ?? p.range.end];
    }
    return [p.frame, p.frame];
  }

  private updateWhere(): void {
    if (!this.where) return;
    const [a, b] = this.noteRange();
    this.where.textContent = a === b ? `Frame ${a}` : `Frames ${a}–${b}`;
  }

  setTool(t: Tool): void {
    this.tool = t;
    for (const [k, b] of Object.entries(this.toolBtns)) b.classList.toggle("on", k === t);
  }

  setColour(c: string): void {
    this.colour = c;
    this.colourBtns.forEach((b) => b.classList.toggle("on", b.dataset.colour === c));
  }

  toggleDraw(on = !this.drawing): void {
    if (!can.note(this.shot)) return;
    this.drawing = on;
    this.drawBtn?.classList.toggle("on", on);
    this.player.stage.classList.toggle("fr-drawing", on);
    if (on) void this.player.stop();
  }

  /** Pointer strokes on any view's overlay become normalised strokes of the pending note. */
  private bindDrawing(): void {
    let current: [number, number][] | null = null;
    let view: { normalised: (ev: PointerEvent) => [number, number] } | null = null;
    const stage = this.player.stage;
    stage.addEventListener("pointerdown", (ev) => {
      if (!this.drawing) return;
      const v = this.player.views.find((x) => x.overlay === ev.target);
      if (!v) return;
      ev.preventDefault();
      if (this.pendingFrame !== this.player.frame) this.pending = [];
      this.pendingFrame = this.player.frame;
      view = v;
      const p = v.normalised(ev);
      if (this.tool === "text") {
        const text = window.prompt("Text to place on the frame");
        if (text && text.trim()) this.pending.push(makeStroke("text", this.colour, 0.004, [p], text.trim()));
        this.player.redrawOverlays();
        view = null;
        return;
      }
      current = [p];
      v.overlay.setPointerCapture(ev.pointerId);
    });
    stage.addEventListener("pointermove", (ev) => {
      if (!current || !view) return;
      const p = view.normalised(ev);
      if (this.tool === "arrow") current[1] = p;
      else current.push(p);
      this.pending = this.pending.filter((s) => s !== live);
      live = this.strokeOf(current);
      if (live) this.pending.push(live);
      this.player.redrawOverlays();
    });
    let live: Stroke | null = null;
    stage.addEventListener("pointerup", () => {
      if (!current) return;
      this.pending = this.pending.filter((s) => s !== live);
      const done = this.strokeOf(current);
      if (done) this.pending.push(done);
      current = null;
      live = null;
      view = null;
      this.player.redrawOverlays();
    });
  }

  private strokeOf(points: [number, number][]): Stroke | null {
    if (this.tool === "arrow") return points.length === 2 ? makeStroke("arrow", this.colour, 0.006, points) : null;
    return makeStroke("pen", this.colour, 0.006, points);
  }

  private async save(): Promise<void> {
    const [frame_start, frame_end] = this.noteRange();
    const text = this.text.value.trim();
    const strokes = this.pendingFrame !== null && this.pendingFrame >= frame_start && this.pendingFrame <= frame_end ? this.pending : [];
    if (!text && !strokes.length) {
      this.showError("Write something or draw on the frame first.");
      return;
    }
    const drawing = strokes.length ? { version: 1, strokes } : null;
    try {
      const note = await apiPost<Record<string, unknown>>(`${this.shot.api}shots/${this.shot.id}/notes/`, {
        frame_start, frame_end, text: text || "(drawing)", drawing, variant: variantOnScreen(this.player),
      });
      this.upsert(parseNote(note));
      this.text.value = "";
      this.pending = [];
      this.pendingFrame = null;
      this.toggleDraw(false);
      this.showError("");
    } catch (e) {
      this.showError(`Could not save the note: ${(e as Error).message}`);
    }
  }

  upsert(note: Note): void {
    const i = this.shot.notes.findIndex((n) => n.id === note.id);
    if (i >= 0) this.shot.notes[i] = note;
    else this.shot.notes.push(note);
    this.render();
    this.player.redrawOverlays();
  }

  private showError(msg: string): void {
    this.error.textContent = msg;
    this.error.hidden = !msg;
  }

  render(): void {
    const notes = this.shot.notes
      .filter((n) => this.showResolved || !n.resolved)
      .sort((a, b) => a.frame_start - b.frame_start || a.id - b.id);
    replaceChildren(this.list, notes.length ? notes.map((n) => this.card(n)) : h("p", { class: "fr-empty" }, "No open notes."));
    this.showError(this.error.textContent ?? "");
  }

  private card(n: Note): HTMLElement {
    const range = n.frame_start === n.frame_end ? `${n.frame_start}` : `${n.frame_start}–${n.frame_end}`;
    const reply = h("input", { class: "fr-input", placeholder: "Reply…", onkeydown: (ev: KeyboardEvent) => {
      ev.stopPropagation();
      if (ev.key === "Enter" && reply.value.trim()) void this.reply(n, reply.value.trim());
    } });
    return h("div", { class: `fr-note${n.resolved ? " resolved" : ""}`, "data-note": n.id },
      h("div", { class: "fr-note-head" },
        h("button", { class: "fr-link", type: "button", title: "Go to this frame", onclick: () => void this.player.goTo(n.frame_start) }, `▸ ${range}`),
        n.drawing ? h("span", { class: "fr-tag" }, "drawing") : null,
        n.variant !== null ? h("span", { class: "fr-tag", title: "Written while looking at this variant" },
          this.shot.variants.find((v) => v.id === n.variant)?.name ?? `variant ${n.variant}`) : null,
        h("span", { class: "fr-author" }, n.author),
        h("span", { class: "fr-when" }, formatWhen(n.created))),
      n.text ? h("div", { class: "fr-note-text" }, n.text) : null,
      ...n.replies.map((r) => h("div", { class: "fr-reply" }, h("b", {}, r.author), " ", r.text)),
      can.note(this.shot) && !n.resolved ? h("div", { class: "fr-row" }, reply,
        h("button", { class: "fr-btn", type: "button", "data-testid": "resolve", onclick: () => void this.resolve(n) }, "Resolve")) : null);
  }

  private async reply(n: Note, text: string): Promise<void> {
    try {
      const r = await apiPost<{ id: number; author: string; text: string; created: string }>(`${this.shot.api}notes/${n.id}/replies/`, { text });
      this.upsert({ ...n, replies: [...n.replies, r] });
    } catch (e) {
      this.showError(`Could not reply: ${(e as Error).message}`);
    }
  }

  private async resolve(n: Note): Promise<void> {
    try {
      const note = await apiPost<Record<string, unknown>>(`${this.shot.api}notes/${n.id}/resolve/`, {});
      this.upsert(parseNote(note));
    } catch (e) {
      this.showError(`Could not resolve: ${(e as Error).message}`);
    }
  }
}

/** The variant in the master view, if it shows one (notes on the plate have none). */
export function variantOnScreen(player: Player): number | null {
  const key = player.master?.source.key ?? "";
  return key.startsWith("v") ? Number(key.slice(1)) : null;
}
