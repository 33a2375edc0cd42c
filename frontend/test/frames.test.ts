import { test } from "node:test";
import assert from "node:assert/strict";
import {
  clampFrame, frameStartTime, frameToTime, makeRate, rateLabel, timeToFrame,
} from "../src/frames";

const RATES: [number, number][] = [[24, 1], [25, 1], [30000, 1001], [24000, 1001]];
const FIRST = 1001;

for (const [num, den] of RATES) {
  const rate = makeRate(num, den);
  test(`${num}/${den}: seeking to the middle of a frame shows that frame, over a long take`, () => {
    for (let f = FIRST; f < FIRST + 20000; f++) {
      assert.equal(timeToFrame(frameToTime(f, FIRST, rate), FIRST, rate), f, `frame ${f}`);
    }
  });

  test(`${num}/${den}: a frame's presentation time (µs-rounded, as the compositor reports it) maps to that frame`, () => {
    for (let f = FIRST; f < FIRST + 20000; f++) {
      const pts = frameStartTime(f, FIRST, rate);
      const reported = Math.round(pts * 1e6) / 1e6;
      assert.equal(timeToFrame(reported, FIRST, rate), f, `frame ${f} at ${reported}`);
      assert.equal(timeToFrame(pts - 1e-9, FIRST, rate), f, `frame ${f} just below its start`);
    }
  });

  test(`${num}/${den}: a time late in a frame is still that frame, not the next`, () => {
    const duration = den / num;
    for (const f of [FIRST, FIRST + 1, FIRST + 999, FIRST + 86399]) {
      assert.equal(timeToFrame(frameStartTime(f, FIRST, rate) + duration * 0.99, FIRST, rate), f);
    }
  });
}

test("exact values: frame 1025 at 24000/1001 is 24.5 frame durations into the clip", () => {
  const rate = makeRate(24000, 1001);
  assert.equal(frameToTime(1025, 1001, rate), (24.5 * 1001) / 24000);
  assert.equal(frameToTime(1001, 1001, makeRate(25)), 0.02);
  assert.equal(timeToFrame(0, 1001, makeRate(30000, 1001)), 1001);
  assert.equal(timeToFrame(1.001, 1001, makeRate(30000, 1001)), 1031); // exactly 30 frames in
});

test("rates are exact ratios: decimals are refused with an example, equal ratios are reduced", () => {
  assert.throws(() => makeRate(23.976), /24000\/1001/);
  assert.throws(() => makeRate(24, 0), /positive integers/);
  assert.deepEqual(makeRate(48, 2), { num: 24, den: 1 });
  assert.equal(rateLabel(makeRate(24000, 1001)), "23.976");
  assert.equal(rateLabel(makeRate(30000, 1001)), "29.970");
  assert.equal(rateLabel(makeRate(25)), "25");
});

test("frames clamp to the shot", () => {
  assert.equal(clampFrame(990, { start: 1001, end: 1100 }), 1001);
  assert.equal(clampFrame(1200, { start: 1001, end: 1100 }), 1100);
});
