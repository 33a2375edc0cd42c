import { test } from "node:test";
import assert from "node:assert/strict";
import { signature, stateOf } from "../src/dailies";

const views = (...keys: string[]) => keys.map((key) => ({ source: { key } })) as never;

test("the driver sends the frame it stopped on; while playing only a change of play, mode or views counts", () => {
  const stopped = stateOf({ frame: 1010, target: 1012, direction: 0, mode: "wipe", views: views("plate", "v3"), loupeOn: true });
  assert.deepEqual(stopped, { frame: 1012, playing: false, direction: 0, view: "wipe", compare: ["plate", "v3"], loupe: { on: true } });
  const stepped = stateOf({ frame: 1012, target: 1013, direction: 0, mode: "wipe", views: views("plate", "v3"), loupeOn: true });
  assert.notEqual(signature(stopped), signature(stepped));
  const playingA = stateOf({ frame: 1020, target: 1020, direction: 1, mode: "grid", views: views("plate"), loupeOn: false });
  const playingB = stateOf({ frame: 1031, target: 1031, direction: 1, mode: "grid", views: views("plate"), loupeOn: false });
  assert.equal(playingA.frame, 1020);
  assert.equal(signature(playingA), signature(playingB));
  const reversed = stateOf({ frame: 1031, target: 1031, direction: -1, mode: "grid", views: views("plate"), loupeOn: false });
  assert.notEqual(signature(playingB), signature(reversed));
});
