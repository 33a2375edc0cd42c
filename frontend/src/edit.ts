/**
 * The supervisor's pick as an edit: contiguous segments, each a variant over an inclusive frame range,
 * with a dissolve of `transition` frames centred on the cut into that segment (OTIO-style in/out offsets).
 * Every operation returns a new segment list; `validateEdit` says in words what is wrong with one.
 */
import type { FrameRange } from "./frames";

export interface Segment {
  variant: number;
  frame_start: number;
  frame_end: number; // inclusive
  transition: number; // frames of dissolve into this segment, centred on its first frame; 0 = cut
}

export class EditError extends Error {}

/** The whole shot on one variant. */
export function editNew(variant: number, range: FrameRange): Segment[] {
  return [{ variant, frame_start: range.start, frame_end: range.end, transition: 0 }];
}

export function segmentIndexAt(segments: Segment[], frame: number): number {
  return segments.findIndex((s) => s.frame_start <= frame && frame <= s.frame_end);
}

/** Cut the segment under `frame` so that a new segment starts at `frame` (same variant, no dissolve). */
export function editSplit(segments: Segment[], frame: number): Segment[] {
  const i = segmentIndexAt(segments, frame);
  if (i < 0) throw new EditError(`frame ${frame} is outside the edit`);
  const seg = segments[i];
  if (seg.frame_start === frame) throw new EditError(`frame ${frame} is already the first frame of a segment`);
  const left = { ...seg, frame_end: frame - 1 };
  const right = { ...seg, frame_start: frame, transition: 0 };
  return [...segments.slice(0, i), left, right, ...segments.slice(i + 1)];
}

/** Put `variant` on segment `index`; neighbours that end up on the same variant are merged. */
export function editSetVariant(segments: Segment[], index: number, variant: number): Segment[] {
  checkIndex(segments, index);
  return editNormalise(segments.map((s, i) => (i === index ? { ...s, variant } : s)));
}

/** Remove the cut between segment `index` and the next one: the left segment's variant covers both. */
export function editMergeNext(segments: Segment[], index: number): Segment[] {
  checkIndex(segments, index);
  if (index === segments.length - 1) throw new EditError("the last segment has no next segment to merge with");
  const merged = { ...segments[index], frame_end: segments[index + 1].frame_end };
  return [...segments.slice(0, index), merged, ...segments.slice(index + 2)];
}

/** Move the cut at the start of segment `index` to `frame` (the previous segment grows or shrinks). */
export function editMoveCut(segments: Segment[], index: number, frame: number): Segment[] {
  checkIndex(segments, index);
  if (index === 0) throw new EditError("the first segment starts at the shot's first frame; its start cannot move");
  const prev = segments[index - 1];
  const seg = segments[index];
  if (frame <= prev.frame_start || frame > seg.frame_end) {
    throw new EditError(`a cut at frame ${frame} would leave an empty segment (allowed: ${prev.frame_start + 1}..${seg.frame_end})`);
  }
  const out = segments.slice();
  out[index - 1] = { ...prev, frame_end: frame - 1 };
  out[index] = { ...seg, frame_start: frame };
  return out;
}

export function editSetTransition(segments: Segment[], index: number, frames: number): Segment[] {
  checkIndex(segments, index);
  const out = segments.map((s, i) => (i === index ? { ...s, transition: frames } : s));
  const problem = transitionProblem(out, index);
  if (problem) throw new EditError(problem);
  return out;
}

/** Join neighbours with the same variant (the later cut's dissolve disappears with it). */
export function editNormalise(segments: Segment[]): Segment[] {
  const out: Segment[] = [];
  for (const s of segments) {
    const last = out[out.length - 1];
    if (last && last.variant === s.variant && last.frame_end + 1 === s.frame_start) {
      out[out.length - 1] = { ...last, frame_end: s.frame_end };
    } else {
      out.push({ ...s });
    }
  }
  if (out.length) out[0] = { ...out[0], transition: 0 };
  return out;
}

/** Frames of a dissolve before and after the cut: T frames centred, the odd one after the cut. */
export function transitionOffsets(transition: number): { before: number; after: number } {
  const before = Math.floor(transition / 2);
  return { before, after: transition - before };
}

function transitionProblem(segments: Segment[], index: number): string | null {
  const seg = segments[index];
  const t = seg.transition;
  if (!Number.isInteger(t) || t < 0) return `segment ${index + 1}: transition must be a whole number of frames >= 0, got ${t}`;
  if (t === 0) return null;
  if (index === 0) return "segment 1: the first segment cannot start with a transition";
  const prev = segments[index - 1];
  const { before, after } = transitionOffsets(t);
  const prevLen = prev.frame_end - prev.frame_start + 1;
  const len = seg.frame_end - seg.frame_start + 1;
  if (before > prevLen || after > len) {
    return `segment ${index + 1}: a ${t}-frame transition needs ${before} frame(s) before the cut and ${after} after, ` +
      `but the segments are ${prevLen} and ${len} frames long`;
  }
  const prevOffsets = transitionOffsets(prev.transition);
  if (prevOffsets.after + before > prevLen) {
    return `segment ${index + 1}: its transition overlaps the transition into segment ${index} (segment ${index} is ${prevLen} frames)`;
  }
  return null;
}

/** Every problem with an edit over the shot's range, in words; empty when the edit can be saved. */
export function validateEdit(segments: Segment[], range: FrameRange, variants: Iterable<number>): string[] {
  const known = new Set(variants);
  const problems: string[] = [];
  if (!segments.length) return ["the edit has no segments"];
  if (segments[0].frame_start !== range.start) {
    problems.push(`the edit starts at frame ${segments[0].frame_start}, the shot at ${range.start}`);
  }
  const last = segments[segments.length - 1];
  if (last.frame_end !== range.end) problems.push(`the edit ends at frame ${last.frame_end}, the shot at ${range.end}`);
  segments.forEach((s, i) => {
    if (s.frame_end < s.frame_start) problems.push(`segment ${i + 1} ends (${s.frame_end}) before it starts (${s.frame_start})`);
    if (!known.has(s.variant)) problems.push(`segment ${i + 1} uses variant ${s.variant}, which this shot does not have`);
    if (i > 0) {
      const prev = segments[i - 1];
      if (s.frame_start > prev.frame_end + 1) problems.push(`frames ${prev.frame_end + 1}-${s.frame_start - 1} are in no segment`);
      if (s.frame_start <= prev.frame_end) problems.push(`segments ${i} and ${i + 1} overlap at frame ${s.frame_start}`);
    }
    const t = transitionProblem(segments, i);
    if (t) problems.push(t);
  });
  return problems;
}

/** Which variants are on screen at `frame` in the edit and how much of each (weights sum to 1). */
export function editMixAt(segments: Segment[], frame: number): { variant: number; weight: number }[] {
  const i = segmentIndexAt(segments, frame);
  if (i < 0) return [];
  for (const j of [i, i + 1]) {
    const seg = segments[j];
    if (!seg || j === 0 || seg.transition === 0) continue;
    const { before } = transitionOffsets(seg.transition);
    const start = seg.frame_start - before;
    const pos = frame - start;
    if (pos >= 0 && pos < seg.transition) {
      const w = (pos + 0.5) / seg.transition;
      return [{ variant: segments[j - 1].variant, weight: 1 - w }, { variant: seg.variant, weight: w }];
    }
  }
  return [{ variant: segments[i].variant, weight: 1 }];
}

function checkIndex(segments: Segment[], index: number): void {
  if (!Number.isInteger(index) || index < 0 || index >= segments.length) {
    throw new EditError(`there is no segment ${index + 1} (the edit has ${segments.length})`);
  }
}
