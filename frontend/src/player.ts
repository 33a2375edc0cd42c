/**
 * The player: 1 to 4 views of the shot locked to one frame, transport (step, J/K/L shuttle, in/out loop,
 * speed), compare modes (side by side, wipe, A/B) and the loupe. views[0] is the master clock: the frame
 * shown in the transport is the one the master has painted; the other views follow it by frame.
 */
import { clampFrame, rateLabel } from "./frames";
import { frameToTimecode, looksLikeTimecode, timecodeToFrame } from "./timecode";
import { h, replaceChildren } from "./dom";
import { faceAt, versionsLatestFirst, type Shot } from "./shot";
import { renderDrawing, type Drawing } from "./strokes";
import { VideoView, type Source } from "./video";
import { editMixAt, type Segment } from "./edit";

export type CompareMode = "grid" | "wipe" | "ab" | "edit";
const SPEEDS = [0.25, 0.5, 1, 2, 4];

export class Player {
  readonly el: HTMLDivElement;
  readonly stage: HTMLDivElement;
  readonly transport: HTMLDivElement;
  /** View count, compare mode and loupe buttons; the page puts them in its top bar. */
  readonly compareControls: HTMLDivElement;
  views: VideoView[] = [];
  /** Frame painted by the master view; what the transport shows. */
  frame: number;
  /** Frame last asked for (steps accumulate on it so fast key repeats never drop a frame). */
  target: number;
  direction: -1 | 0 | 1 = 0;
  speed = 1;
  inPoint: number | null = null;
  outPoint: number | null = null;
  loop = true;
  mode: CompareMode = "grid";
  abShowing = 0;
  wipe = 0.5;
  loupeOn = false;
  private loupeAt: [number, number] = [0.5, 0.35];
  /** The loupe sits on the face (the engine's QC says where it is) until the pointer moves over a view. */
  private loupeOnFace = true;
  private viewCount = 1;
  private reverseTimer: number | undefined;
  private frameListeners: ((frame: number) => void)[] = [];
  private transportListeners: (() => void)[] = [];
  /** Drawings to paint over a view at a frame (notes on that frame, the note being drawn). */
  overlays: ((frame: number) => Drawing[])[] = [];
  /** The edit to preview in "edit" mode (the supervisor's unsaved changes included). */
  editSegments: () => Segment[] = () => [];
  /** What the views showed before the edit preview, to come back to. */
  private beforeEdit: Source[] | null = null;
  private frameOut!: HTMLInputElement;
  private frameInfo!: HTMLSpanElement;
  private playBtn!: HTMLButtonElement;
  private inOutLabel!: HTMLSpanElement;
  private loopBtn!: HTMLButtonElement;
  private muteBtn!: HTMLButtonElement;
  /** The person's mute toggle. Sound plays only at 1x forwards, from the master view (the clips carry the plate's sound). */
  private soundWanted = true;
  private speedSel!: HTMLSelectElement;
  private modeBtns: Record<string, HTMLButtonElement> = {};
  private countBtns: HTMLButtonElement[] = [];
  private loupeBtn!: HTMLButtonElement;
  private wipeHandle: HTMLDivElement;

  constructor(public shot: Shot) {
    this.frame = shot.range.start;
    this.target = shot.range.start;
    this.wipeHandle = h("div", { class: "fr-wipe-handle", title: "Drag to move the wipe", hidden: true });
    this.stage = h("div", { class: "fr-stage", "data-mode": "grid", "data-count": "1" });
    this.transport = this.buildTransport();
    this.compareControls = h("div", { class: "fr-group fr-compare" }, ...this.countBtns, h("span", { class: "fr-sep" }),
      ...Object.values(this.modeBtns), this.loupeBtn);
    this.el = h("div", { class: "fr-player" }, this.stage, this.transport);
    this.bindWipe();
    this.bindLoupe();
    new ResizeObserver(() => this.layout()).observe(this.stage);
    const initial = this.sources().slice(0, 1);
    this.setViews(initial.length ? initial : []);
  }

  sources(): Source[] {
    const out: Source[] = [];
    if (this.shot.plate) out.push({ key: "plate", label: "Plate", url: this.shot.plate.clip_url });
    // every version can be shown in any view, so any two compare; the latest come first (the default views)
    for (const v of versionsLatestFirst(this.shot)) if (v.clip_url) out.push({ key: `v${v.id}`, label: v.name, url: v.clip_url, colour: v.colour });
    return out;
  }

  sourceByKey(key: string): Source | undefined {
    return this.sources().find((s) => s.key === key);
  }

  onFrame(fn: (frame: number) => void): void {
    this.frameListeners.push(fn);
  }

  /** `fn` runs after each change the transport shows (a frame painted, play, stop, speed, view, mode, loupe). */
  onTransport(fn: () => void): void {
    this.transportListeners.push(fn);
  }

  get master(): VideoView | undefined {
    return this.views[0];
  }

  get range() {
    return this.shot.range;
  }

  // ---- views -------------------------------------------------------------------------------------------

  /** Show these sources, one view each (1..4); views already showing a source keep their video element. */
  setViews(sources: Source[]): void {
    const keep = this.views.slice(0, sources.length);
    this.views.slice(sources.length).forEach((v) => v.destroy());
    this.views = sources.map((src, i) => {
      const view = keep[i] ?? this.makeView(src);
      if (view.source.key !== src.key) view.setSource(src);
      return view;
    });
    this.viewCount = this.views.length;
    replaceChildren(this.stage, ...this.views.map((v) => v.el), this.wipeHandle,
      this.views.length ? null : h("p", { class: "fr-no-clip" }, "Nothing to play yet: the plate and the variants appear here as they are published."));
    this.views.forEach((v, i) => {
      v.el.classList.toggle("fr-master", i === 0);
      this.renderSourcePicker(v, i);
    });
    this.applyMode();
    void this.seekAll(this.target);
    this.updateTransport();
  }

  setViewCount(n: number): void {
    if (this.mode === "edit") this.setMode("grid");
    const all = this.sources();
    if (!all.length) return;
    const current = this.views.map((v) => v.source);
    const unused = all.filter((s) => !current.some((c) => c.key === s.key));
    const wanted = current.slice(0, n);
    while (wanted.length < n) wanted.push(unused.shift() ?? all[wanted.length % all.length]);
    this.setViews(wanted);
  }

  private makeView(src: Source): VideoView {
    const view = new VideoView(src, this.shot.range.start, this.shot.rate, this.shot.range);
    view.onPresent = (v, f) => this.presented(v, f);
    view.video.addEventListener("loadedmetadata", () => this.layout());
    view.video.addEventListener("ended", () => {
      if (view === this.master && this.direction === 1) this.wrapOrStop();
    });
    return view;
  }

  private renderSourcePicker(view: VideoView, index: number): void {
    const hud = view.el.querySelector(".fr-view-hud")!;
    hud.querySelector("select")?.remove();
    const select = h("select", {
      class: "fr-source", "aria-label": `Source of view ${index + 1}`,
      onchange: () => {
        const src = this.sourceByKey(select.value);
        select.blur(); // arrow keys step frames again, instead of changing the source
        if (src) this.setViews(this.views.map((v, i) => (i === index ? src : v.source)));
      },
    }, ...this.sources().map((s) => h("option", { value: s.key, selected: s.key === view.source.key }, s.label)));
    hud.prepend(select);
  }

  /** The shot changed (a variant was published live): refresh the source pickers, keep what is on screen. */
  refreshSources(): void {
    if (!this.views.length && this.sources().length) this.setViews(this.sources().slice(0, 1));
    this.views.forEach((v, i) => this.renderSourcePicker(v, i));
  }

  setMode(mode: CompareMode): void {
    if (mode === "edit") {
      this.previewEdit();
      return;
    }
    const leaving = this.mode === "edit" ? this.beforeEdit : null;
    this.mode = mode;
    this.beforeEdit = null;
    if (leaving) this.setViews(leaving);
    if (mode !== "grid" && this.views.length < 2) this.setViewCount(2);
    this.applyMode();
  }

  /**
   * Play the pick: one view per variant of the edit, stacked and locked to the master's frame like any
   * other views; at each frame only the variant the edit puts there is visible, and in a dissolve the
   * incoming one is laid over the outgoing one at its weight.
   */
  previewEdit(): void {
    const segments = this.editSegments();
    const sources = [...new Set(segments.map((s) => `v${s.variant}`))]
      .map((key) => this.sourceByKey(key))
      .filter((s): s is Source => Boolean(s));
    if (!sources.length) return;
    if (this.mode !== "edit") this.beforeEdit = this.views.map((v) => v.source);
    this.mode = "edit";
    if (sources.map((s) => s.key).join() !== this.views.map((v) => v.source.key).join()) this.setViews(sources);
    else this.applyMode();
  }

  /** The edit changed while previewing it: follow it. */
  editChanged(): void {
    if (this.mode === "edit") this.previewEdit();
  }

  private applyEditMix(frame: number): void {
    const mix = editMixAt(this.editSegments(), frame);
    let below = true; // the lowest visible view is opaque, the one over it carries the dissolve weight
    for (const v of this.views) {
      const weight = mix.find((m) => `v${m.variant}` === v.source.key)?.weight ?? 0;
      v.el.style.opacity = weight === 0 ? "0" : below ? "1" : weight.toFixed(3);
      v.el.classList.toggle("fr-edit-on", weight > 0);
      if (weight > 0) below = false;
    }
  }

  toggleAB(): void {
    if (this.mode !== "ab") {
      this.setMode("ab");
      return;
    }
    this.abShowing = 1 - this.abShowing;
    this.applyMode();
  }

  private applyMode(): void {
    const edit = this.mode === "edit";
    const stacked = edit || (this.mode !== "grid" && this.views.length >= 2);
    this.stage.dataset.mode = stacked ? this.mode : "grid";
    this.stage.dataset.count = String(stacked ? 1 : this.views.length);
    this.views.forEach((v, i) => {
      const inStack = edit || i <= 1;
      v.el.hidden = stacked && !inStack;
      v.el.classList.toggle("fr-stacked", stacked && inStack);
      if (!edit) {
        v.el.style.opacity = "";
        v.el.classList.remove("fr-edit-on");
      }
      v.el.classList.toggle("fr-ab-hidden", this.mode === "ab" && stacked && i <= 1 && i !== this.abShowing);
      v.frameBox.style.clipPath = this.mode === "wipe" && stacked && i === 1 ? `inset(0 0 0 ${this.wipe * 100}%)` : "";
    });
    this.wipeHandle.hidden = !(stacked && this.mode === "wipe");
    if (edit) this.applyEditMix(this.target);
    for (const [m, b] of Object.entries(this.modeBtns)) b.classList.toggle("on", stacked ? m === this.mode : m === "grid");
    this.countBtns.forEach((b, i) => b.classList.toggle("on", i + 1 === this.viewCount));
    this.layout();
    for (const fn of this.transportListeners) fn();
  }

  layout(): void {
    const rect = this.stage.getBoundingClientRect();
    if (!rect.width || !rect.height) return;
    const stacked = this.stage.dataset.mode !== "grid";
    const n = stacked ? 1 : this.views.length;
    const cols = n <= 1 ? 1 : n === 2 ? 2 : 2;
    const rows = n <= 2 ? 1 : 2;
    const gap = 4;
    const cellW = (rect.width - gap * (cols - 1)) / cols;
    const cellH = (rect.height - gap * (rows - 1)) / rows;
    this.views.forEach((v) => v.layout(cellW, cellH - 26));
    if (stacked && this.mode === "wipe" && this.views[1]) {
      const box = this.views[1].frameBox.getBoundingClientRect();
      this.wipeHandle.style.left = `${box.left - rect.left + box.width * this.wipe}px`;
      this.wipeHandle.style.top = `${box.top - rect.top}px`;
      this.wipeHandle.style.height = `${box.height}px`;
    }
    this.redrawOverlays();
  }

  private bindWipe(): void {
    let dragging = false;
    const move = (ev: PointerEvent) => {
      const box = this.views[1]?.frameBox.getBoundingClientRect();
      if (!dragging || !box) return;
      this.wipe = Math.min(1, Math.max(0, (ev.clientX - box.left) / box.width));
      this.applyMode();
    };
    this.wipeHandle.addEventListener("pointerdown", (ev) => {
      dragging = true;
      this.wipeHandle.setPointerCapture(ev.pointerId);
    });
    this.wipeHandle.addEventListener("pointermove", move);
    this.wipeHandle.addEventListener("pointerup", () => (dragging = false));
    // Clicking anywhere on the wiped picture moves the split there too.
    this.stage.addEventListener("pointerdown", (ev) => {
      if (this.stage.dataset.mode !== "wipe" || ev.target === this.wipeHandle || this.stage.classList.contains("fr-drawing")) return;
      dragging = true;
      move(ev);
      dragging = false;
    });
  }

  private bindLoupe(): void {
    this.stage.addEventListener("pointermove", (ev) => {
      if (!this.loupeOn) return;
      const view = this.views.find((v) => v.el.contains(ev.target as Node));
      if (!view) return;
      this.loupeOnFace = false;
      this.loupeAt = view.normalised(ev);
      this.drawLoupes();
    });
  }

  toggleLoupe(): void {
    this.loupeOn = !this.loupeOn;
    this.loupeOnFace = true;
    this.views.forEach((v) => (v.loupe.hidden = !this.loupeOn));
    this.loupeBtn.classList.toggle("on", this.loupeOn);
    this.drawLoupes();
    for (const fn of this.transportListeners) fn();
  }

  /** Where the loupe looks on `frame`: the face while it follows the face, else where the pointer was. */
  private loupeCentre(frame: number): [number, number] {
    const at = (this.loupeOnFace && faceAt(this.shot, frame)) || this.loupeAt;
    this.stage.dataset.loupeAt = `${at[0].toFixed(3)},${at[1].toFixed(3)}`;
    return at;
  }

  private drawLoupes(): void {
    if (!this.loupeOn) return;
    const [x, y] = this.loupeCentre(this.frame);
    for (const v of this.views) v.drawLoupe(x, y, 3);
  }

  // ---- time ----------------------------------------------------------------------------------------------

  private presented(view: VideoView, frame: number): void {
    this.redrawOverlay(view);
    if (this.loupeOn) {
      const [x, y] = this.loupeCentre(frame);
      view.drawLoupe(x, y, 3);
    }
    if (view !== this.master) return;
    this.frame = frame;
    if (this.mode === "edit") this.applyEditMix(frame);
    if (this.direction === 1) {
      this.target = frame;
      const hi = this.loopEnd();
      if (frame >= hi) this.wrapOrStop();
      else this.slaveFollow(frame);
    }
    this.updateTransport();
    for (const fn of this.frameListeners) fn(frame);
  }

  private loopStart(): number {
    return this.loop && this.inPoint !== null ? this.inPoint : this.range.start;
  }

  private loopEnd(): number {
    return this.loop && this.outPoint !== null ? this.outPoint : this.range.end;
  }

  /** While playing, every other view is put on the master's frame as the master paints it. */
  private slaveFollow(frame: number): void {
    for (const v of this.views.slice(1)) v.follow(frame);
  }

  private wrapOrStop(): void {
    if (this.loop) {
      void this.seekAll(this.loopStart()).then(() => {
        if (this.direction === 1) void this.master?.video.play().catch(() => {});
      });
    } else {
      void this.stop();
    }
  }

  /** Every view to `frame`; resolves when all have painted it. */
  seekAll(frame: number): Promise<void> {
    this.target = clampFrame(frame, this.range);
    return Promise.all(this.views.map((v) => v.seek(this.target))).then(() => {
      this.redrawOverlays();
    });
  }

  async goTo(frame: number): Promise<void> {
    await this.stop();
    await this.seekAll(frame);
  }

  async step(delta: number): Promise<void> {
    if (this.direction !== 0) await this.stop();
    await this.seekAll(this.target + delta);
  }

  async stop(): Promise<void> {
    const was = this.direction;
    this.direction = 0;
    window.clearTimeout(this.reverseTimer);
    this.views.forEach((v) => v.video.pause());
    this.updateTransport();
    // After playing, lock every view exactly onto the frame the master stopped on.
    if (was !== 0 && this.master?.shown != null) await this.seekAll(this.master.shown);
  }

  play(direction: 1 | -1, speed = this.speed): void {
    window.clearTimeout(this.reverseTimer);
    this.views.forEach((v) => v.video.pause());
    this.speed = speed;
    this.direction = direction;
    if (direction === 1) {
      const start = this.target >= this.loopEnd() ? this.loopStart() : this.target;
      void this.seekAll(start).then(() => {
        const master = this.master;
        if (this.direction !== 1 || !master) return;
        master.video.playbackRate = speed;
        this.updateSound();
        void master.video.play().catch((e: Error) => {
          if (e.name !== "NotAllowedError" || master.video.muted) return console.warn("playback refused", e);
          // the browser refuses sound before the page has had a click or key: play silently instead
          master.video.muted = true;
          void master.video.play().catch((again) => console.warn("playback refused", again));
        });
      });
    } else {
      this.reverseTick();
    }
    this.updateTransport();
  }

  /** Backwards playback: browsers cannot play video in reverse, so step back one frame per frame period. */
  private reverseTick(): void {
    if (this.direction !== -1) return;
    const started = performance.now();
    let next = this.target - 1;
    if (next < this.loopStart()) {
      if (!this.loop) {
        void this.stop();
        return;
      }
      next = this.loopEnd();
    }
    void this.seekAll(next).then(() => {
      const period = (1000 * this.shot.rate.den) / (this.shot.rate.num * this.speed);
      this.reverseTimer = window.setTimeout(() => this.reverseTick(), Math.max(0, period - (performance.now() - started)));
    });
  }

  togglePlay(): void {
    if (this.direction !== 0) void this.stop();
    else this.play(1);
  }

  /** J/L: start shuttling that way at normal speed; pressed again, twice as fast (up to 4x). */
  shuttle(direction: 1 | -1): void {
    const speed = this.direction === direction ? Math.min(4, this.speed * 2) : 1;
    this.play(direction, speed);
  }

  changeSpeed(delta: number): void {
    const i = Math.max(0, Math.min(SPEEDS.length - 1, SPEEDS.indexOf(this.speed) + delta));
    this.setSpeed(SPEEDS[i] ?? 1);
  }

  setSpeed(speed: number): void {
    this.speed = speed;
    if (this.direction === 1 && this.master) this.master.video.playbackRate = speed;
    this.updateTransport();
  }

  setIn(frame: number | null): void {
    this.inPoint = frame;
    if (frame !== null && this.outPoint !== null && this.outPoint < frame) this.outPoint = null;
    this.updateTransport();
    for (const fn of this.frameListeners) fn(this.frame);
  }

  setOut(frame: number | null): void {
    this.outPoint = frame;
    if (frame !== null && this.inPoint !== null && this.inPoint > frame) this.inPoint = null;
    this.updateTransport();
    for (const fn of this.frameListeners) fn(this.frame);
  }

  toggleMute(): void {
    this.soundWanted = !this.soundWanted;
    this.updateTransport();
  }

  /** Sound only while playing forwards at 1x, and only the master view's: scrubbing, stepping, shuttling,
   * reverse and other speeds are silent, as a sound editor's transport is. */
  private updateSound(): void {
    const audible = this.soundWanted && this.direction === 1 && this.speed === 1;
    const master = this.master;
    for (const v of this.views) v.video.muted = !(audible && v === master);
    this.muteBtn.textContent = this.soundWanted ? "♪ Sound" : "♪ Muted";
    this.muteBtn.classList.toggle("on", this.soundWanted);
    this.muteBtn.setAttribute("aria-pressed", String(!this.soundWanted));
    this.muteBtn.dataset.audible = String(audible);
  }

  toggleLoop(): void {
    this.loop = !this.loop;
    this.updateTransport();
  }

  // ---- overlays ------------------------------------------------------------------------------------------

  redrawOverlays(): void {
    this.views.forEach((v) => this.redrawOverlay(v));
  }

  private redrawOverlay(view: VideoView): void {
    const ctx = view.overlay.getContext("2d");
    if (!ctx) return;
    const { width, height } = view.overlay;
    ctx.clearRect(0, 0, width, height);
    if (view.shown === null) return;
    for (const source of this.overlays) for (const d of source(view.shown)) renderDrawing(ctx, d, width, height);
  }

  // ---- transport bar -------------------------------------------------------------------------------------

  private buildTransport(): HTMLDivElement {
    const btn = (label: string, title: string, onclick: () => void, extra: Record<string, unknown> = {}) =>
      h("button", { class: "fr-btn", type: "button", title, onclick, ...extra }, label);
    this.playBtn = btn("▶", "Play / pause (Space)", () => this.togglePlay(), { "data-testid": "play" });
    this.frameOut = h("input", {
      class: "fr-frame-number", "data-testid": "frame",
      title: "Frame on screen; type a frame (1013) or a timecode (01:00:00:12 or 01:00:00;12) and press Enter to go there",
      value: String(this.frame),
      onkeydown: (ev: KeyboardEvent) => {
        ev.stopPropagation();
        if (ev.key === "Enter") {
          if (this.goToTyped(this.frameOut.value)) this.frameOut.blur();
          else this.frameOut.reportValidity(); // stays in the box, with the reason, to be corrected
        }
      },
    });
    this.frameInfo = h("span", { class: "fr-frame-info" });
    this.inOutLabel = h("span", { class: "fr-inout", "data-testid": "in-out" });
    this.loopBtn = btn("⟲ Loop", "Loop over in / out (P)", () => this.toggleLoop());
    this.muteBtn = btn("♪ Sound", "Sound on / off (M); it plays at 1x only, silent while scrubbing or stepping",
      () => this.toggleMute(), { "data-testid": "mute", "aria-label": "Mute" });
    this.speedSel = h("select", {
      class: "fr-speed", title: "Playback speed ([ and ])", "aria-label": "Playback speed",
      onchange: () => {
        this.setSpeed(parseFloat(this.speedSel.value));
        this.speedSel.blur();
      },
    }, ...SPEEDS.map((s) => h("option", { value: String(s) }, `${s}×`)));
    for (const [mode, label, title] of [["grid", "Side by side", "G"], ["wipe", "Wipe", "W"], ["ab", "A/B", "B"], ["edit", "Edit", "E"]] as const) {
      this.modeBtns[mode] = btn(label, `${label} (${title})`, () => (mode === "ab" ? this.toggleAB() : this.setMode(mode)), { "data-mode": mode });
    }
    this.countBtns = [1, 2, 3, 4].map((n) => btn(`${n}`, `${n} view${n > 1 ? "s" : ""} (${n})`, () => this.setViewCount(n), { "data-views": n }));
    this.loupeBtn = btn("Loupe", "Loupe (Z)", () => this.toggleLoupe());
    return h("div", { class: "fr-transport" },
      h("div", { class: "fr-group" },
        btn("◀◀", "First frame (Home)", () => void this.goTo(this.inPoint ?? this.range.start)),
        btn("◀|", "Previous frame (←)", () => void this.step(-1), { "data-testid": "step-back" }),
        this.playBtn,
        btn("|▶", "Next frame (→)", () => void this.step(1), { "data-testid": "step-forward" }),
        btn("▶▶", "Last frame (End)", () => void this.goTo(this.outPoint ?? this.range.end))),
      h("div", { class: "fr-group fr-counter" }, this.frameOut, this.frameInfo),
      h("div", { class: "fr-group" },
        btn("In", "Set in point (I)", () => this.setIn(this.target)),
        btn("Out", "Set out point (O)", () => this.setOut(this.target)),
        this.inOutLabel, this.loopBtn, this.speedSel, this.muteBtn));
  }

  /** Go to what was typed in the frame box: a frame number, or a timecode in the shot's counting. False, with
   * the reason as the box's validity message, when it names no frame. */
  private goToTyped(text: string): boolean {
    try {
      const frame = looksLikeTimecode(text)
        ? timecodeToFrame(text, this.range.start, this.shot.start_timecode, this.shot.rate)
        : text.trim() === "" ? NaN : Number(text.trim());
      if (!Number.isInteger(frame)) throw new Error(`${JSON.stringify(text)} is neither a frame (1013) nor a timecode (01:00:00:12)`);
      this.frameOut.setCustomValidity("");
      void this.goTo(frame);
      return true;
    } catch (err) {
      this.frameOut.setCustomValidity((err as Error).message);
      return false;
    }
  }

  updateTransport(): void {
    if (document.activeElement !== this.frameOut) this.frameOut.value = String(this.frame);
    const { start, end } = this.range;
    const origin = this.shot.start_timecode || "00:00:00:00";
    this.frameInfo.textContent = `${frameToTimecode(this.frame, start, origin, this.shot.rate)} · ${rateLabel(this.shot.rate)} fps`;
    this.frameInfo.title = `Shot frames ${start}–${end}, ${this.shot.rate.num}/${this.shot.rate.den} fps; frame ${start} is ${origin}`;
    this.playBtn.textContent = this.direction === 0 ? "▶" : "❚❚";
    this.playBtn.classList.toggle("on", this.direction !== 0);
    const inTxt = this.inPoint ?? "—";
    const outTxt = this.outPoint ?? "—";
    this.inOutLabel.textContent = `${inTxt} → ${outTxt}`;
    this.loopBtn.classList.toggle("on", this.loop);
    this.updateSound();
    this.speedSel.value = String(this.speed);
    for (const fn of this.transportListeners) fn();
  }
}
