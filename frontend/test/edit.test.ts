import { test } from "node:test";
import assert from "node:assert/strict";
import {
  type Segment, editMergeNext, editMixAt, editMoveCut, editNew, editSetTransition, editSetVariant, editSplit, validateEdit,
} from "../src/edit";
import dissolves from "../../tests/fixtures/dissolve_weights.json";

const RANGE = { start: 1001, end: 1100 };
const VARIANTS = [1, 2, 3];

test("a supervisor builds a two-variant edit: split, pick the second variant, dissolve", () => {
  let e = editNew(1, RANGE);
  e = editSplit(e, 1050);
  e = editSetVariant(e, 1, 2);
  e = editSetTransition(e, 1, 6);
  assert.deepEqual(e, [
    { variant: 1, frame_start: 1001, frame_end: 1049, transition: 0 },
    { variant: 2, frame_start: 1050, frame_end: 1100, transition: 6 },
  ]);
  assert.deepEqual(validateEdit(e, RANGE, VARIANTS), []);
  // the dissolve is centred on the cut: 3 frames before, 3 after
  assert.deepEqual(editMixAt(e, 1046), [{ variant: 1, weight: 1 }]);
  assert.equal(editMixAt(e, 1047).length, 2);
  assert.equal(editMixAt(e, 1052).length, 2);
  assert.deepEqual(editMixAt(e, 1053), [{ variant: 2, weight: 1 }]);
  const mid = editMixAt(e, 1049);
  assert.equal(mid[0].weight + mid[1].weight, 1);
});

test("splitting at a segment's first frame or outside the shot is refused with the frame named", () => {
  const e = editSplit(editNew(1, RANGE), 1050);
  assert.throws(() => editSplit(e, 1050), /1050 is already the first frame/);
  assert.throws(() => editSplit(e, 1200), /frame 1200 is outside the edit/);
});

test("picking the same variant as a neighbour merges the segments; merging keeps the left variant", () => {
  let e = editSplit(editSplit(editNew(1, RANGE), 1030), 1060);
  e = editSetVariant(e, 1, 2);
  assert.equal(e.length, 3);
  assert.deepEqual(editSetVariant(e, 1, 1), editNew(1, RANGE));
  const merged = editMergeNext(e, 0);
  assert.deepEqual(merged[0], { variant: 1, frame_start: 1001, frame_end: 1059, transition: 0 });
  assert.throws(() => editMergeNext(merged, 1), /last segment/);
});

test("moving a cut keeps the edit contiguous and refuses empty segments", () => {
  const e = editSetVariant(editSplit(editNew(1, RANGE), 1050), 1, 2);
  const moved = editMoveCut(e, 1, 1040);
  assert.deepEqual(moved.map((s) => [s.frame_start, s.frame_end]), [[1001, 1039], [1040, 1100]]);
  assert.throws(() => editMoveCut(e, 1, 1001), /empty segment/);
  assert.throws(() => editMoveCut(e, 0, 1010), /first segment/);
});

test("transitions that do not fit are refused, in words", () => {
  let e = editSetVariant(editSplit(editNew(1, RANGE), 1004), 1, 2); // first segment is 3 frames long
  assert.throws(() => editSetTransition(e, 0, 4), /first segment cannot start with a transition/);
  assert.throws(() => editSetTransition(e, 1, 10), /needs 5 frame\(s\) before the cut/);
  assert.throws(() => editSetTransition(e, 1, -1), /whole number/);
  e = editSetTransition(e, 1, 6);
  assert.equal(e[1].transition, 6);
});

test("validation names gaps, overlaps, unknown variants and a wrong range", () => {
  const gap = [
    { variant: 1, frame_start: 1001, frame_end: 1010, transition: 0 },
    { variant: 9, frame_start: 1020, frame_end: 1099, transition: 0 },
  ];
  const problems = validateEdit(gap, RANGE, VARIANTS);
  assert.ok(problems.includes("frames 1011-1019 are in no segment"), problems.join("; "));
  assert.ok(problems.includes("segment 2 uses variant 9, which this shot does not have"));
  assert.ok(problems.includes("the edit ends at frame 1099, the shot at 1100"));
  const overlap = [
    { variant: 1, frame_start: 1001, frame_end: 1050, transition: 0 },
    { variant: 2, frame_start: 1040, frame_end: 1100, transition: 0 },
  ];
  assert.deepEqual(validateEdit(overlap, RANGE, VARIANTS), ["segments 1 and 2 overlap at frame 1040"]);
  assert.deepEqual(validateEdit([], RANGE, VARIANTS), ["the edit has no segments"]);
});

type DissolveCase = { name: string; segments: Segment[]; frames: Record<string, [number, number][]> };

test("every frame of the shared dissolve fixture mixes as the final render mixes it", () => {
  for (const { name, segments, frames } of dissolves.cases as unknown as DissolveCase[]) {
    for (const [frame, expected] of Object.entries(frames)) {
      const mix = editMixAt(segments, Number(frame));
      assert.deepEqual(mix.map((m) => m.variant), expected.map(([variant]) => variant), `${name}, frame ${frame}`);
      mix.forEach((m, i) => assert.ok(Math.abs(m.weight - expected[i][1]) < 1e-9, `${name}, frame ${frame}: ${m.weight}`));
    }
  }
});
