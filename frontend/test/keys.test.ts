import { test } from "node:test";
import assert from "node:assert/strict";
import { actionFor, DESCRIPTIONS, SHORTCUTS } from "../src/keys";

const key = (k: string, shiftKey = false) => ({ key: k, shiftKey, ctrlKey: false, metaKey: false, altKey: false });

test("arrow keys step exactly one frame; shift steps ten; J/K/L shuttle", () => {
  assert.equal(actionFor(key("ArrowRight")), "step+1");
  assert.equal(actionFor(key("ArrowLeft")), "step-1");
  assert.equal(actionFor(key("ArrowRight", true)), "step+10");
  assert.deepEqual(["j", "k", "l"].map((k) => actionFor(key(k))), ["shuttle-back", "stop", "shuttle-forward"]);
  assert.equal(actionFor(key("I", true)), "clear-in-out");
  assert.equal(actionFor(key("?", true)), "help");
  assert.equal(actionFor({ ...key("s"), ctrlKey: true }), null, "browser shortcuts are left alone");
});

test("every shortcut is described in the help overlay and no key is bound twice", () => {
  const seen = new Set<string>();
  for (const s of SHORTCUTS) {
    assert.ok(DESCRIPTIONS[s.action], `no description for ${s.action}`);
    for (const k of s.keys) {
      assert.ok(!seen.has(k), `key ${k} is bound twice`);
      seen.add(k);
    }
  }
});
