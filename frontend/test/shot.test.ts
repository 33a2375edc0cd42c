import { test } from "node:test";
import assert from "node:assert/strict";
import { can, describeActorFrame, faceAt, parseShot, ShotDataError, versionsLatestFirst } from "../src/shot";

const base = {
  id: 4, code: "SH010", status: "in_review", status_label: "In review", frame_start: 1001, frame_end: 1100,
  fps_num: 24000, fps_den: 1001, plate: { clip_url: "/media/plate.mp4" }, variants: [], notes: [], edit: null,
  user: { username: "ann", role: "artist" }, api: "/api/",
};

test("the site's shot data becomes the player's shot: exact rate, frame range, websocket path", () => {
  const shot = parseShot(base);
  assert.deepEqual(shot.rate, { num: 24000, den: 1001 });
  assert.deepEqual(shot.range, { start: 1001, end: 1100 });
  assert.equal(shot.ws, "/ws/shots/4/");
  assert.equal(shot.plate?.clip_url, "/media/plate.mp4");
});

test("QC rows without coverage or anomaly get neutral values; rows without a frame are dropped", () => {
  const shot = parseShot({ ...base, variants: [{ id: 1, label: "rigid", kind: "rigid", clip_url: "/a.mp4",
    qc: [{ frame: 1001, coverage: 0.2 }, { frame: 1002, anomaly: 0.9 }, { coverage: 1 }] }] });
  assert.deepEqual(shot.variants[0].qc, [
    { frame: 1001, coverage: 0.2, anomaly: 0 },
    { frame: 1002, coverage: 1, anomaly: 0.9 },
  ]);
});

test("an uncovered frame says what it got, so the strip paints it red; anything else is not taken as one", () => {
  const shot = parseShot({ ...base, variants: [{ id: 1, label: "rigid", kind: "rigid", clip_url: "/a.mp4",
    qc: [{ frame: 1001, anomaly: 0, uncovered: "plate" }, { frame: 1002, uncovered: null }, { frame: 1003, uncovered: 1 }] }] });
  assert.deepEqual(shot.variants[0].qc, [
    { frame: 1001, coverage: 1, anomaly: 0, uncovered: "plate" },
    { frame: 1002, coverage: 1, anomaly: 0 },
    { frame: 1003, coverage: 1, anomaly: 0 },
  ]);
});

test("the face's place from the engine's QC is kept for the loupe; a malformed one is ignored", () => {
  const shot = parseShot({ ...base, variants: [
    { id: 1, label: "plate-only", kind: "other", clip_url: "/p.mp4", qc: [{ frame: 1001 }] },
    { id: 2, label: "rigid", kind: "rigid", clip_url: "/a.mp4",
      qc: [{ frame: 1001, face: [0.4, 0.3, 0.1] }, { frame: 1002, face: [0.4, "x", 0.1] }, { frame: 1003, face: [1, 2] }] }] });
  assert.deepEqual(shot.variants[1].qc[0].face, [0.4, 0.3, 0.1]);
  assert.equal(shot.variants[1].qc[1].face, undefined);
  assert.deepEqual(faceAt(shot, 1001), [0.4, 0.3]);
  assert.equal(faceAt(shot, 1002), null);
  assert.equal(faceAt(shot, 1050), null);
});

test("each variant's recorded OCIO display and view read out for the player; none when the clip was display-encoded", () => {
  const colour = { config: "ocio://default", colour_space: "Linear Rec.709 (sRGB)", display: "sRGB - Display", view: "Un-tone-mapped" };
  const shot = parseShot({ ...base, variants: [
    { id: 1, label: "rigid", kind: "rigid", clip_url: "/a.mp4", filmstrip_layout: { colour } },
    { id: 2, label: "plate-only", kind: "other", clip_url: "/p.mp4", filmstrip_layout: { colour: null } },
    { id: 3, label: "old", kind: "other", clip_url: "/o.mp4" }] });
  assert.deepEqual(shot.variants.map((v) => v.colour), ["sRGB - Display / Un-tone-mapped", null, null]);
});

test("a rigid frame's actor frame from the engine's QC reads out in words; loose (null) and malformed have none", () => {
  const synced = { bank_id: "walk_3", source: "walkthrough_main", clip_frame: 1004, snapped_from: "sync_window" };
  const fallback = { bank_id: "rig_9", source: null, clip_frame: null, snapped_from: "fallback" };
  const shot = parseShot({ ...base, variants: [
    { id: 1, label: "rigid", kind: "rigid", clip_url: "/a.mp4", qc: [{ frame: 1001, actor_frame: synced },
      { frame: 1002, actor_frame: fallback }, { frame: 1003, actor_frame: { ...synced, snapped_from: "guess" } }] },
    { id: 2, label: "loose", kind: "loose", clip_url: "/b.mp4", qc: [{ frame: 1001, actor_frame: null }] }] });
  const [rigid, loose] = shot.variants;
  assert.equal(describeActorFrame(rigid.qc[0].actor_frame!), "actor walkthrough_main 1004 (synced to this frame)");
  assert.equal(describeActorFrame(rigid.qc[1].actor_frame!), "actor rig_9 (fallback: nothing synced near this frame)");
  assert.equal(describeActorFrame({ ...synced, snapped_from: "fit_set", past_limit_deg: 2.4 }),
    "actor walkthrough_main 1004 (nearest in the fit set, no sync, 2.4° past the pose limit for the plate's mouth)");
  assert.equal(rigid.qc[2].actor_frame, undefined);
  assert.equal(loose.qc[0].actor_frame, undefined);
});

test("a drawing another client stored in a shape the player cannot draw does not break the page", () => {
  const shot = parseShot({ ...base, notes: [
    { id: 1, frame_start: 1010, text: "x", drawing: { strokes: [{ points: [[0.1, 0.2]] }] } },
    { id: 2, frame_start: 1011, frame_end: 1012, text: "y",
      drawing: { version: 1, strokes: [{ tool: "pen", color: "#ff0000", width: 0.01, points: [[0.5, 0.5]] }] } },
  ] });
  assert.equal(shot.notes[0].drawing, null);
  assert.equal(shot.notes[0].frame_end, 1010);
  assert.equal(shot.notes[1].drawing?.strokes.length, 1);
});

test("missing or wrong fields are named", () => {
  assert.throws(() => parseShot({ ...base, fps_num: undefined }), (e: Error) => e instanceof ShotDataError && /fps_num/.test(e.message));
  assert.throws(() => parseShot({ ...base, frame_end: 990 }), /frame_end 990 is before frame_start 1001/);
  assert.throws(() => parseShot({ ...base, fps_num: 23.976 }), /24000\/1001/);
});

test("only the supervisor picks and approves; fixes are the artist's", () => {
  const artist = parseShot(base);
  const sup = parseShot({ ...base, user: { username: "sam", role: "supervisor" } });
  const producer = parseShot({ ...base, user: { username: "pat", role: "producer" } });
  assert.deepEqual([can.pick(artist), can.approve(artist), can.note(artist), can.fix(artist)], [false, false, true, true]);
  assert.deepEqual([can.pick(sup), can.approve(sup), can.note(sup), can.fix(sup)], [true, true, true, false]);
  assert.deepEqual([can.pick(producer), can.note(producer), can.fix(producer)], [false, false, false]);
});

test("versions are named v001, v002...; the latest of each variant come first, then the earlier, newest first", () => {
  const v = (id: number, label: string, version: number) => ({ id, label, version, kind: "rigid", clip_url: `/${id}.mp4`, qc: [] });
  const shot = parseShot({ ...base, variants: [v(1, "rigid", 1), v(2, "loose", 1), v(3, "rigid", 2), v(4, "rigid", 3)],
    approved_ranges: [{ id: 9, frame_start: 1001, frame_end: 1004, edit_version: 2, author: "sam", comment: "" }] });
  assert.deepEqual(versionsLatestFirst(shot).map((x) => x.name), ["rigid v003", "loose v001", "rigid v002", "rigid v001"]);
  assert.deepEqual(shot.variants.map((x) => x.latest), [false, true, false, true]);
  assert.equal(shot.approved_ranges[0].frame_end, 1004);
  assert.deepEqual(parseShot(base).approved_ranges, []);
});
