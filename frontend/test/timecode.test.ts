import { test } from "node:test";
import assert from "node:assert/strict";
import { makeRate, type Rate } from "../src/frames";
import { countToTimecode, frameToTimecode, looksLikeTimecode, timecodeToCount, timecodeToFrame } from "../src/timecode";
import fixture from "../../tests/fixtures/timecodes.json";

function rate(text: string): Rate {
  const [num, den] = text.split("/").map(Number);
  return makeRate(num, den);
}

test("frame counts and labels convert both ways as the engine counts them (shared fixture)", () => {
  for (const c of fixture.counts) {
    assert.equal(countToTimecode(c.count, rate(c.fps), c.drop), c.label, `${c.fps} ${c.count}`);
    assert.equal(timecodeToCount(c.label, rate(c.fps)), c.count, `${c.fps} ${c.label}`);
  }
});

test("a shot's frame shows its label and the label finds the frame (shared fixture)", () => {
  for (const c of fixture.shots) {
    assert.equal(frameToTimecode(c.frame, c.first, c.start, rate(c.fps)), c.label, `${c.fps} ${c.frame}`);
    assert.equal(timecodeToFrame(c.label, c.first, c.start, rate(c.fps)), c.frame, `${c.fps} ${c.label}`);
  }
});

test("a typed label finds its frame with ':' or ';' (shared fixture)", () => {
  for (const c of fixture.typed) {
    assert.equal(timecodeToFrame(c.text, c.first, c.start, rate(c.fps)), c.frame, `${c.fps} ${c.text}`);
  }
});

test("a label that cannot exist is refused (shared fixture)", () => {
  for (const c of fixture.invalid) {
    assert.throws(() => timecodeToCount(c.text, rate(c.fps)), /timecode|out of range|does not exist/, `${c.fps} ${c.text}: ${c.why}`);
  }
});

test("the frame box tells a timecode from a frame number", () => {
  assert.equal(looksLikeTimecode("01:00:00;12"), true);
  assert.equal(looksLikeTimecode("01:00:00:12"), true);
  assert.equal(looksLikeTimecode("1013"), false);
});
