/**
 * Drawings on frames as vector strokes in normalised coordinates (0..1 of the frame's width and height),
 * so a note drawn on a 1280-wide review clip lands on the same spot of the 4K plate. Stored as JSON.
 */

export type Tool = "pen" | "arrow" | "text";
export const TOOLS: Tool[] = ["pen", "arrow", "text"];
export const DRAWING_VERSION = 1;
/** Points are kept on a 1/10000 grid: sub-pixel on a 4K frame, and the JSON round trip is exact. */
const GRID = 10000;

export interface Stroke {
  tool: Tool;
  color: string; // #rrggbb
  width: number; // line width as a fraction of the frame height
  points: [number, number][];
  text?: string;
}

export interface Drawing {
  version: number;
  strokes: Stroke[];
}

export class DrawingError extends Error {}

export function quantise(v: number): number {
  return Math.round(Math.min(1, Math.max(0, v)) * GRID) / GRID;
}

export function makeStroke(tool: Tool, color: string, width: number, points: [number, number][], text?: string): Stroke {
  const stroke: Stroke = { tool, color, width, points: points.map(([x, y]) => [quantise(x), quantise(y)]) };
  if (tool === "text") stroke.text = text ?? "";
  return checkStroke(stroke, 0);
}

export function serialiseDrawing(drawing: Drawing): string {
  return JSON.stringify({ version: DRAWING_VERSION, strokes: drawing.strokes.map((s, i) => checkStroke(s, i)) });
}

/** Parse a drawing from JSON text or an already-decoded object, checking every field. */
export function parseDrawing(input: unknown): Drawing {
  let data = input;
  if (typeof input === "string") {
    try {
      data = JSON.parse(input);
    } catch (e) {
      throw new DrawingError(`drawing is not valid JSON: ${(e as Error).message}`);
    }
  }
  if (!data || typeof data !== "object") throw new DrawingError("drawing must be an object with version and strokes");
  const obj = data as { version?: unknown; strokes?: unknown };
  if (obj.version !== DRAWING_VERSION) {
    throw new DrawingError(`drawing version ${String(obj.version)} is not supported (expected ${DRAWING_VERSION})`);
  }
  if (!Array.isArray(obj.strokes)) throw new DrawingError("drawing.strokes must be a list");
  return { version: DRAWING_VERSION, strokes: obj.strokes.map((s, i) => checkStroke(s as Stroke, i)) };
}

function checkStroke(s: Stroke, i: number): Stroke {
  const where = `stroke ${i + 1}`;
  if (!s || typeof s !== "object") throw new DrawingError(`${where} is not an object`);
  if (!TOOLS.includes(s.tool)) throw new DrawingError(`${where}: tool "${String(s.tool)}" is not one of ${TOOLS.join(", ")}`);
  if (typeof s.color !== "string" || !/^#[0-9a-fA-F]{6}$/.test(s.color)) {
    throw new DrawingError(`${where}: colour ${String(s.color)} is not #rrggbb`);
  }
  if (typeof s.width !== "number" || !(s.width > 0 && s.width <= 0.2)) {
    throw new DrawingError(`${where}: width ${String(s.width)} must be a fraction of the frame height in (0, 0.2]`);
  }
  if (!Array.isArray(s.points) || s.points.length === 0) throw new DrawingError(`${where} has no points`);
  for (const p of s.points) {
    if (!Array.isArray(p) || p.length !== 2 || !p.every((v) => typeof v === "number" && v >= 0 && v <= 1)) {
      throw new DrawingError(`${where}: point ${JSON.stringify(p)} is not [x, y] with 0 <= x, y <= 1`);
    }
  }
  if (s.tool === "arrow" && s.points.length !== 2) throw new DrawingError(`${where}: an arrow has exactly 2 points`);
  if (s.tool === "text" && (typeof s.text !== "string" || !s.text.trim())) throw new DrawingError(`${where}: text is empty`);
  const out: Stroke = { tool: s.tool, color: s.color.toLowerCase(), width: s.width, points: s.points.map(([x, y]) => [x, y]) };
  if (s.tool === "text") out.text = s.text;
  return out;
}

/** Minimal 2D context surface the renderer needs (so it can be tested without a browser). */
export interface Canvas2D {
  strokeStyle: string | CanvasGradient | CanvasPattern;
  fillStyle: string | CanvasGradient | CanvasPattern;
  lineWidth: number;
  lineCap: CanvasLineCap;
  lineJoin: CanvasLineJoin;
  font: string;
  beginPath(): void;
  moveTo(x: number, y: number): void;
  lineTo(x: number, y: number): void;
  stroke(): void;
  fill(): void;
  closePath(): void;
  fillText(text: string, x: number, y: number): void;
}

/** Draw strokes onto a context whose canvas shows the frame at w x h pixels. */
export function renderDrawing(ctx: Canvas2D, drawing: Drawing, w: number, h: number): void {
  for (const s of drawing.strokes) {
    const lw = Math.max(1, s.width * h);
    ctx.strokeStyle = s.color;
    ctx.fillStyle = s.color;
    ctx.lineWidth = lw;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    const pts = s.points.map(([x, y]) => [x * w, y * h] as const);
    if (s.tool === "text") {
      ctx.font = `600 ${Math.round(lw * 6)}px system-ui, sans-serif`;
      ctx.fillText(s.text ?? "", pts[0][0], pts[0][1]);
      continue;
    }
    ctx.beginPath();
    ctx.moveTo(pts[0][0], pts[0][1]);
    for (const [x, y] of pts.slice(1)) ctx.lineTo(x, y);
    if (pts.length === 1) ctx.lineTo(pts[0][0] + 0.01, pts[0][1]);
    ctx.stroke();
    if (s.tool === "arrow") {
      const [[x0, y0], [x1, y1]] = pts;
      const a = Math.atan2(y1 - y0, x1 - x0);
      const head = lw * 4;
      ctx.beginPath();
      ctx.moveTo(x1, y1);
      ctx.lineTo(x1 - head * Math.cos(a - 0.45), y1 - head * Math.sin(a - 0.45));
      ctx.lineTo(x1 - head * Math.cos(a + 0.45), y1 - head * Math.sin(a + 0.45));
      ctx.closePath();
      ctx.fill();
    }
  }
}
