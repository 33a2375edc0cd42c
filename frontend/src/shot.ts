/** The shot as the page hands it to the player (Django json_script id="shot-data"); see notes/player-contract. */
import { makeRate, type FrameRange, type Rate } from "./frames";
import type { Segment } from "./edit";
import { parseDrawing, type Drawing } from "./strokes";

export type Role = "supervisor" | "artist" | "producer" | "pipeline" | "admin" | "";

export interface QcSample {
  frame: number;
  coverage: number; // 0..1: how well the training set covers this frame's pose (0 = gap)
  anomaly: number; // 0..10: the engine's anomaly score (robust deviations, capped; flagged above 4)
  uncovered?: string; // no actor material near this frame's pose: what the frame got ("plate", "swap", "cg")
  face?: [number, number, number]; // the head's centre x, y and half side, as fractions of the picture
  actor_frame?: ActorFrame; // the actor frame a snapping (rigid) variant drew this frame from
}

/** Where a snapping variant's frame came from: the actor's source and clip frame (null when the engine did not
 * know), its latent's id, and whether it was synced to this plate frame or fell back to the whole fit set. */
export interface ActorFrame {
  bank_id: string;
  source: string | null;
  clip_frame: number | null;
  snapped_from: "sync_window" | "fallback" | "fit_set";
  /** degrees past the pose limit the snap reached for the plate's mouth (absent or null: within the limit) */
  past_limit_deg?: number | null;
}

const SNAPPED_FROM: Record<ActorFrame["snapped_from"], string> = {
  sync_window: "synced to this frame",
  fallback: "fallback: nothing synced near this frame",
  fit_set: "nearest in the fit set, no sync",
};

/** The actor frame in words, for the QC tooltip: "actor walkthrough_main 1042 (synced to this frame)". */
export function describeActorFrame(a: ActorFrame): string {
  const where = a.source !== null && a.clip_frame !== null ? `${a.source} ${a.clip_frame}` : a.bank_id;
  const past = typeof a.past_limit_deg === "number" && a.past_limit_deg > 0
    ? `, ${a.past_limit_deg.toFixed(1)}° past the pose limit for the plate's mouth` : "";
  return `actor ${where} (${SNAPPED_FROM[a.snapped_from]}${past})`;
}

/** One version of a variant (label): v001, v002... each with its own clip and QC. */
export interface Variant {
  id: number;
  label: string;
  version: number;
  /** "rigid v002": how the player names the version in its menus */
  name: string;
  /** whether no later version of the label exists (the page shows the latest ones first) */
  latest: boolean;
  kind: string;
  clip_url: string | null;
  /** The OCIO display / view its clip was made through ("sRGB - Display / Un-tone-mapped"), null when display-encoded. */
  colour: string | null;
  qc: QcSample[];
}

/** A review clip's recorded colour transform (filmstrip layout's `colour`) in words, null when there is none. */
export function colourLabel(layout: unknown): string | null {
  const c = (layout as { colour?: Record<string, unknown> } | null)?.colour;
  return c && typeof c.display === "string" && typeof c.view === "string" ? `${c.display} / ${c.view}` : null;
}

/** A locked range approval: frames the supervisor approved, kept by later edits until unlocked. */
export interface ApprovedRange {
  id: number;
  frame_start: number;
  frame_end: number;
  edit_version: number;
  author: string;
  comment: string;
}

export interface Reply {
  id: number;
  author: string;
  text: string;
  created: string;
}

export interface Note {
  id: number;
  frame_start: number;
  frame_end: number;
  text: string;
  drawing: Drawing | null;
  author: string;
  created: string;
  resolved: boolean;
  variant: number | null;
  replies: Reply[];
}

export interface Fix {
  id: number;
  frame_start: number;
  frame_end: number;
  author: string;
  state: string;
  created: string;
  comment?: string;
}

export interface Decision {
  decision: "approve" | "request_changes";
  label: string;
  author: string;
  comment: string;
}

export interface Edit {
  id: number;
  version: number;
  segments: Segment[];
  author?: string;
  decision?: Decision | null;
}

export interface Render {
  id: number;
  state: string;
  state_label?: string;
  progress: number;
}

export interface Shot {
  id: number;
  code: string;
  status: string;
  status_label: string;
  range: FrameRange;
  rate: Rate;
  /** Timecode of the shot's first frame ("" = 00:00:00:00), from the plate's metadata or set on the shot. */
  start_timecode: string;
  plate: { clip_url: string } | null;
  variants: Variant[];
  approved_ranges: ApprovedRange[];
  notes: Note[];
  fixes: Fix[];
  edit: Edit | null;
  renders: Render[];
  user: { username: string; role: Role };
  api: string;
  ws: string;
}

export class ShotDataError extends Error {}

function need<T>(obj: Record<string, unknown>, key: string, kind: string): T {
  const v = obj[key];
  if (v === undefined || v === null || (kind !== "any" && typeof v !== kind)) {
    throw new ShotDataError(`shot-data: "${key}" is missing or not a ${kind} (got ${JSON.stringify(v)})`);
  }
  return v as T;
}

function isFace(value: unknown): value is [number, number, number] {
  return Array.isArray(value) && value.length === 3 && value.every((n) => typeof n === "number" && Number.isFinite(n));
}

function isActorFrame(value: unknown): value is ActorFrame {
  const a = value as Record<string, unknown> | null;
  return !!a && typeof a === "object" && typeof a.bank_id === "string"
    && typeof a.snapped_from === "string" && Object.hasOwn(SNAPPED_FROM, a.snapped_from)
    && (a.source === null || typeof a.source === "string") && (a.clip_frame === null || typeof a.clip_frame === "number");
}

/** The latest version of each variant first (variants in the order they were first published, so a new
 * version keeps its variant's place), then the earlier versions, newest first. */
export function versionsLatestFirst(shot: Shot): Variant[] {
  const labels = [...new Set(shot.variants.map((v) => v.label))];
  const latest = labels.map((label) => shot.variants.find((v) => v.label === label && v.latest)!);
  return [...latest, ...shot.variants.filter((v) => !v.latest).reverse()];
}

/** Where the head is on `frame` (centre x, y as fractions of the picture), from any variant's QC; null if unknown. */
export function faceAt(shot: Shot, frame: number): [number, number] | null {
  for (const v of shot.variants) {
    const q = v.qc.find((s) => s.frame === frame);
    if (q?.face) return [q.face[0], q.face[1]];
  }
  return null;
}

/** Check and normalise the page's shot data; a clear error names the field that is wrong. */
export function parseShot(raw: unknown): Shot {
  if (!raw || typeof raw !== "object") throw new ShotDataError("shot-data is not a JSON object");
  const o = raw as Record<string, unknown>;
  const id = need<number>(o, "id", "number");
  const range = { start: need<number>(o, "frame_start", "number"), end: need<number>(o, "frame_end", "number") };
  if (range.end < range.start) throw new ShotDataError(`shot-data: frame_end ${range.end} is before frame_start ${range.start}`);
  const rate = makeRate(need<number>(o, "fps_num", "number"), (o.fps_den as number) ?? 1);
  const variants = ((o.variants as Record<string, unknown>[]) ?? []).map((v) => ({
    id: need<number>(v, "id", "number"),
    label: String(v.label ?? `variant ${v.id}`),
    version: typeof v.version === "number" ? v.version : 1,
    name: "",
    latest: true,
    kind: String(v.kind ?? "other"),
    clip_url: (v.clip_url as string) || null,
    colour: colourLabel(v.filmstrip_layout),
    qc: Array.isArray(v.qc) ? (v.qc as Record<string, unknown>[]).filter((q) => typeof q?.frame === "number").map((q) => ({
      frame: q.frame as number,
      coverage: typeof q.coverage === "number" ? q.coverage : 1,
      anomaly: typeof q.anomaly === "number" ? q.anomaly : 0,
      ...(typeof q.uncovered === "string" ? { uncovered: q.uncovered } : {}),
      ...(isFace(q.face) ? { face: q.face } : {}),
      ...(isActorFrame(q.actor_frame) ? { actor_frame: q.actor_frame } : {}),
    })) : [],
  }));
  const newest = new Map<string, number>();
  for (const v of variants) newest.set(v.label, Math.max(v.version, newest.get(v.label) ?? 0));
  for (const v of variants) {
    v.name = `${v.label} v${String(v.version).padStart(3, "0")}`;
    v.latest = v.version === newest.get(v.label);
  }
  const notes = ((o.notes as Record<string, unknown>[]) ?? []).map(parseNote);
  const plate = o.plate && (o.plate as { clip_url?: string }).clip_url ? { clip_url: (o.plate as { clip_url: string }).clip_url } : null;
  const user = (o.user as Shot["user"]) ?? { username: "", role: "producer" };
  return {
    id,
    code: String(o.code ?? id),
    status: String(o.status ?? ""),
    status_label: String(o.status_label ?? o.status ?? ""),
    range,
    rate,
    start_timecode: typeof o.start_timecode === "string" ? o.start_timecode : "",
    plate,
    variants,
    approved_ranges: (o.approved_ranges as ApprovedRange[]) ?? [],
    notes,
    fixes: (o.fixes as Fix[]) ?? [],
    edit: (o.edit as Edit) ?? null,
    renders: (o.renders as Render[]) ?? [],
    user,
    api: String(o.api ?? "/api/"),
    ws: String(o.ws ?? `/ws/shots/${id}/`),
  };
}

export function parseNote(n: Record<string, unknown>): Note {
  const start = need<number>(n, "frame_start", "number");
  return {
    id: need<number>(n, "id", "number"),
    frame_start: start,
    frame_end: (n.frame_end as number) ?? start,
    text: String(n.text ?? ""),
    drawing: readableDrawing(n),
    author: String(n.author ?? ""),
    created: String(n.created ?? ""),
    resolved: Boolean(n.resolved),
    variant: (n.variant as number) ?? null,
    replies: (n.replies as Reply[]) ?? [],
  };
}

/** A note's drawing, or null (with a console warning) when another client stored one this player cannot draw. */
function readableDrawing(n: Record<string, unknown>): Drawing | null {
  if (!n.drawing) return null;
  try {
    return parseDrawing(n.drawing);
  } catch (e) {
    console.warn(`note ${String(n.id)}: drawing not shown: ${(e as Error).message}`);
    return null;
  }
}

/** What the page offers to whom (the site's permission matrix decides; the API refuses anything else). */
const isSupervisor = (s: Shot) => s.user.role === "supervisor" || s.user.role === "admin";
export const can = {
  pick: isSupervisor,
  approve: isSupervisor,
  note: (s: Shot) => isSupervisor(s) || s.user.role === "artist",
  fix: (s: Shot) => s.user.role === "artist" || s.user.role === "admin",
};
