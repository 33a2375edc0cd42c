/**
 * The timeline under the player: a frame ruler, the edit (picked variant per range, dissolves), one QC strip
 * per variant (uncovered frames and coverage gaps in red, anomaly score as heat) and the notes as markers. Click or
 * drag to go to a frame; click a segment of the edit to select it. Approved (locked) ranges are a green bar over the edit.
 */
import type { Segment } from "./edit";
import { transitionOffsets } from "./edit";
import type { Player } from "./player";
import { describeActorFrame } from "./shot";
import { h } from "./dom";

export const VARIANT_COLOURS = ["#4f8cff", "#f5a524", "#34c759", "#bf5af2", "#ff6482", "#64d2ff"];
const GUTTER = 118;
const RULER = 22;
const ROW = 16;
// the engine's anomaly scale (pipeline.convert.qc.ANOMALY_CAP): the strip's heat is the score over it
const ANOMALY_CAP = 10;
const UNCOVERED: Record<string, string> = {
  plate: "left as the plate",
  swap: "swapped anyway",
  cg: "the CG head",
};

export function variantColour(index: number): string {
  return VARIANT_COLOURS[index % VARIANT_COLOURS.length];
}

/** Tick spacing in frames so labels are at least `minPx` apart: 1, 2, 5, 10, 20, 50, ... */
export function tickStep(pxPerFrame: number, minPx = 56): number {
  for (let step = 1; ; step *= 10) {
    for (const m of [1, 2, 5]) if (step * m * pxPerFrame >= minPx) return step * m;
  }
}

export class Timeline {
  readonly el: HTMLDivElement;
  private readonly canvas: HTMLCanvasElement;
  selected = 0;
  /** The edit being shown (the saved one, or the supervisor's unsaved changes). */
  segments: Segment[] = [];
  onSelectSegment: (index: number) => void = () => {};
  /** Whether the cuts of the edit row can be dragged (the supervisor's timeline). */
  editable = false;
  onMoveCut: (index: number, frame: number) => void = () => {};

  constructor(private readonly player: Player) {
    this.canvas = h("canvas", { class: "fr-timeline-canvas", "data-testid": "timeline" });
    this.el = h("div", { class: "fr-timeline" }, this.canvas);
    new ResizeObserver(() => this.draw()).observe(this.el);
    player.onFrame(() => this.draw());
    this.bind();
  }

  private rows(): { kind: "edit" | "qc" | "notes"; variantIndex?: number; y: number }[] {
    const out: { kind: "edit" | "qc" | "notes"; variantIndex?: number; y: number }[] = [];
    let y = RULER + 2;
    out.push({ kind: "edit", y });
    y += ROW + 2;
    this.player.shot.variants.forEach((_, i) => {
      out.push({ kind: "qc", variantIndex: i, y });
      y += ROW;
    });
    out.push({ kind: "notes", y: y + 2 });
    return out;
  }

  height(): number {
    return RULER + 2 + ROW + 2 + this.player.shot.variants.length * ROW + 2 + ROW + 4;
  }

  private frameAtX(x: number): number {
    const { start, end } = this.player.range;
    const w = this.canvas.clientWidth - GUTTER;
    return Math.min(end, Math.max(start, start + Math.floor(((x - GUTTER) / w) * (end - start + 1))));
  }

  private xOfFrame(frame: number): number {
    const { start, end } = this.player.range;
    const w = this.canvas.clientWidth - GUTTER;
    return GUTTER + ((frame - start) / (end - start + 1)) * w;
  }

  /** The cut (index of the segment it starts) within a few pixels of x on the edit row, or -1. */
  private cutNear(x: number, y: number): number {
    const edit = this.rows()[0];
    if (!this.editable || y < edit.y || y >= edit.y + ROW) return -1;
    return this.segments.findIndex((s, i) => i > 0 && Math.abs(this.xOfFrame(s.frame_start) - x) <= 4);
  }

  /** What is under the pointer, in words (the canvas tooltip): a QC sample, notes, or the edit segment. */
  private describe(x: number, y: number): string {
    if (x < GUTTER) return "";
    const frame = this.frameAtX(x);
    const row = this.rows().find((r) => y >= r.y && y < r.y + ROW);
    if (row?.kind === "qc") {
      const v = this.player.shot.variants[row.variantIndex!];
      const q = v.qc.find((s) => s.frame === frame);
      if (!q) return `${v.name} · frame ${frame}: no QC`;
      const gap = q.uncovered ? ` (uncovered: no actor material near this pose; ${UNCOVERED[q.uncovered] ?? q.uncovered})`
        : q.coverage < 0.5 ? " (coverage gap: no training pose near this frame)" : "";
      const actor = q.actor_frame ? `, ${describeActorFrame(q.actor_frame)}` : "";
      return `${v.name} · frame ${frame}: coverage ${q.coverage.toFixed(2)}${gap}, anomaly ${q.anomaly.toFixed(2)}${actor}`;
    }
    if (row?.kind === "notes") {
      const notes = this.player.shot.notes.filter((n) => n.frame_start <= frame && frame <= n.frame_end);
      return notes.map((n) => `${n.author}: ${n.text}`).join("\n");
    }
    if (row?.kind === "edit") {
      const s = this.segments.find((seg) => seg.frame_start <= frame && frame <= seg.frame_end);
      const label = s && this.player.shot.variants.find((v) => v.id === s.variant)?.name;
      return s ? `${label ?? `variant ${s.variant}`}: ${s.frame_start}–${s.frame_end}${s.transition ? `, ${s.transition}-frame dissolve in` : ""}` : "";
    }
    return `frame ${frame}`;
  }

  /** The frame whose start is nearest to x: where a dragged cut lands. */
  private boundaryAtX(x: number): number {
    const { start, end } = this.player.range;
    const w = this.canvas.clientWidth - GUTTER;
    return start + Math.round(((x - GUTTER) / w) * (end - start + 1));
  }

  private bind(): void {
    let scrubbing = false;
    let draggingCut = -1;
    this.canvas.addEventListener("pointerdown", (ev) => {
      const x = ev.offsetX;
      if (x < GUTTER) return;
      this.canvas.setPointerCapture(ev.pointerId);
      draggingCut = this.cutNear(x, ev.offsetY);
      if (draggingCut >= 0) return;
      const frame = this.frameAtX(x);
      const edit = this.rows()[0];
      if (ev.offsetY >= edit.y && ev.offsetY < edit.y + ROW) {
        const i = this.segments.findIndex((s) => s.frame_start <= frame && frame <= s.frame_end);
        if (i >= 0) {
          this.selected = i;
          this.onSelectSegment(i);
        }
      }
      scrubbing = true;
      void this.player.goTo(frame);
    });
    this.canvas.addEventListener("pointermove", (ev) => {
      if (draggingCut >= 0) {
        const prev = this.segments[draggingCut - 1];
        const seg = this.segments[draggingCut];
        const frame = Math.min(seg.frame_end, Math.max(prev.frame_start + 1, this.boundaryAtX(ev.offsetX)));
        if (frame !== seg.frame_start) {
          this.onMoveCut(draggingCut, frame);
          void this.player.seekAll(frame);
        }
        return;
      }
      this.canvas.style.cursor = this.cutNear(ev.offsetX, ev.offsetY) >= 0 ? "ew-resize" : "";
      this.canvas.title = this.describe(ev.offsetX, ev.offsetY);
      if (scrubbing && ev.offsetX >= GUTTER) void this.player.seekAll(this.frameAtX(ev.offsetX));
    });
    this.canvas.addEventListener("pointerup", () => {
      scrubbing = false;
      draggingCut = -1;
    });
  }

  draw(): void {
    const cssW = this.el.clientWidth;
    const cssH = this.height();
    if (!cssW) return;
    const dpr = window.devicePixelRatio || 1;
    this.canvas.style.height = `${cssH}px`;
    if (this.canvas.width !== Math.round(cssW * dpr) || this.canvas.height !== Math.round(cssH * dpr)) {
      this.canvas.width = Math.round(cssW * dpr);
      this.canvas.height = Math.round(cssH * dpr);
    }
    const ctx = this.canvas.getContext("2d");
    if (!ctx) return;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, cssW, cssH);
    ctx.font = "11px system-ui, sans-serif";
    ctx.textBaseline = "middle";
    const p = this.player;
    const { start, end } = p.range;
    const pxPerFrame = (cssW - GUTTER) / (end - start + 1);

    // in/out range
    if (p.inPoint !== null || p.outPoint !== null) {
      const a = this.xOfFrame(p.inPoint ?? start);
      const b = this.xOfFrame((p.outPoint ?? end) + 1);
      ctx.fillStyle = "rgba(79,140,255,0.12)";
      ctx.fillRect(a, 0, b - a, cssH);
    }
    // ruler
    ctx.fillStyle = "#8a8f98";
    const step = tickStep(pxPerFrame);
    for (let f = Math.ceil(start / step) * step; f <= end; f += step) {
      const x = this.xOfFrame(f);
      ctx.fillRect(x, RULER - 8, 1, 8);
      ctx.fillText(String(f), x + 3, 8);
    }
    if (pxPerFrame >= 4) for (let f = start; f <= end; f++) ctx.fillRect(this.xOfFrame(f), RULER - 3, 1, 3);

    for (const row of this.rows()) {
      ctx.fillStyle = "#8a8f98";
      if (row.kind === "edit") {
        ctx.fillText("Edit", 8, row.y + ROW / 2);
        this.drawEdit(ctx, row.y);
      } else if (row.kind === "qc") {
        const v = p.shot.variants[row.variantIndex!];
        ctx.fillStyle = variantColour(row.variantIndex!);
        ctx.fillRect(8, row.y + 4, 8, 8);
        ctx.fillStyle = "#c9ccd1";
        ctx.fillText(v.name.length > 14 ? `${v.name.slice(0, 13)}…` : v.name, 22, row.y + ROW / 2);
        ctx.fillStyle = "#1d2026";
        ctx.fillRect(GUTTER, row.y + 2, cssW - GUTTER, ROW - 4);
        for (const q of v.qc) {
          const x = this.xOfFrame(q.frame);
          const w = Math.max(1, pxPerFrame);
          if (q.uncovered || q.coverage < 0.5) {
            ctx.fillStyle = "#e5484d";
          } else {
            const a = Math.min(1, Math.max(0, q.anomaly / ANOMALY_CAP));
            ctx.fillStyle = `rgba(${Math.round(60 + 195 * a)},${Math.round(160 - 40 * a)},${Math.round(90 - 60 * a)},${0.35 + 0.65 * a})`;
          }
          ctx.fillRect(x, row.y + 2, w, ROW - 4);
        }
      } else {
        ctx.fillText("Notes", 8, row.y + ROW / 2);
        for (const n of p.shot.notes) {
          const a = this.xOfFrame(n.frame_start);
          const b = this.xOfFrame(n.frame_end + 1);
          ctx.fillStyle = n.resolved ? "#5b616b" : "#ffd60a";
          ctx.fillRect(a, row.y + 4, Math.max(2, b - a), ROW - 8);
          ctx.beginPath();
          ctx.moveTo(a, row.y + 2);
          ctx.lineTo(a + 5, row.y + 8);
          ctx.lineTo(a - 5, row.y + 8);
          ctx.fill();
        }
      }
    }
    // playhead
    const x = this.xOfFrame(p.frame);
    ctx.fillStyle = "rgba(255,255,255,0.18)";
    ctx.fillRect(x, 0, Math.max(1, pxPerFrame), cssH);
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(x, 0, 1.5, cssH);
  }

  private drawEdit(ctx: CanvasRenderingContext2D, y: number): void {
    const variants = this.player.shot.variants;
    ctx.fillStyle = "#1d2026";
    ctx.fillRect(GUTTER, y, this.canvas.clientWidth - GUTTER, ROW);
    const locked = this.player.shot.approved_ranges;
    // the locked frames, also as text on the canvas element (what a test or a screen reader can read)
    this.canvas.dataset.locked = locked.map((r) => `${r.frame_start}-${r.frame_end}`).join(" ");
    ctx.fillStyle = "#43a047";
    for (const r of locked) {
      const a = this.xOfFrame(r.frame_start);
      ctx.fillRect(a, y - 3, this.xOfFrame(r.frame_end + 1) - a, 3);
    }
    this.segments.forEach((s, i) => {
      const a = this.xOfFrame(s.frame_start);
      const b = this.xOfFrame(s.frame_end + 1);
      const vi = variants.findIndex((v) => v.id === s.variant);
      ctx.fillStyle = variantColour(Math.max(0, vi));
      ctx.globalAlpha = 0.85;
      ctx.fillRect(a + 0.5, y + 1, b - a - 1, ROW - 2);
      ctx.globalAlpha = 1;
      if (s.transition > 0) {
        const { before, after } = transitionOffsets(s.transition);
        const ta = this.xOfFrame(s.frame_start - before);
        const tb = this.xOfFrame(s.frame_start + after);
        ctx.fillStyle = "rgba(255,255,255,0.45)";
        ctx.beginPath();
        ctx.moveTo(ta, y + ROW - 1);
        ctx.lineTo(tb, y + 1);
        ctx.lineTo(tb, y + ROW - 1);
        ctx.fill();
      }
      ctx.fillStyle = "#0b0c0f";
      const label = variants[vi]?.name ?? `variant ${s.variant}`;
      if (b - a > 40) ctx.fillText(label, a + 5, y + ROW / 2);
      if (i === this.selected) {
        ctx.strokeStyle = "#ffffff";
        ctx.lineWidth = 2;
        ctx.strokeRect(a + 1, y + 1, b - a - 2, ROW - 2);
      }
    });
  }
}
