import { test } from "node:test";
import assert from "node:assert/strict";
import { makeStroke, parseDrawing, renderDrawing, serialiseDrawing, type Canvas2D } from "../src/strokes";

const drawing = {
  version: 1,
  strokes: [
    makeStroke("pen", "#FF3B30", 0.004, [[0.1, 0.2], [0.123456789, 0.25], [0.3, 0.31]]),
    makeStroke("arrow", "#34c759", 0.003, [[0.5, 0.5], [0.62, 0.41]]),
    makeStroke("text", "#ffd60a", 0.003, [[0.7, 0.1]], "jaw line pops"),
  ],
};

test("a drawing survives serialisation to JSON and back exactly", () => {
  const text = serialiseDrawing(drawing);
  const back = parseDrawing(text);
  assert.deepEqual(back, drawing);
  assert.equal(serialiseDrawing(back), text);
  assert.deepEqual(parseDrawing(JSON.parse(text)), drawing);
});

test("points are normalised to the frame (0..1) on a fine grid; colours are lower case", () => {
  assert.deepEqual(drawing.strokes[0].points[1], [0.1235, 0.25]);
  assert.equal(drawing.strokes[0].color, "#ff3b30");
  assert.deepEqual(makeStroke("pen", "#000000", 0.01, [[-0.2, 1.3]]).points, [[0, 1]]);
});

test("broken drawings are refused with the stroke and field named", () => {
  assert.throws(() => parseDrawing("{nope"), /not valid JSON/);
  assert.throws(() => parseDrawing({ version: 2, strokes: [] }), /version 2 is not supported/);
  const bad = JSON.parse(serialiseDrawing(drawing));
  bad.strokes[1].points.push([0.9, 0.9]);
  assert.throws(() => parseDrawing(bad), /stroke 2: an arrow has exactly 2 points/);
  bad.strokes[1].points = [[0.1, 1.5], [0, 0]];
  assert.throws(() => parseDrawing(bad), /stroke 2: point \[0.1,1.5\]/);
  bad.strokes[0].color = "red";
  assert.throws(() => parseDrawing(bad), /stroke 1: colour red/);
});

test("strokes are drawn at the canvas size: normalised points scale to pixels", () => {
  const calls: string[] = [];
  const ctx = {
    strokeStyle: "", fillStyle: "", lineWidth: 0, lineCap: "butt", lineJoin: "miter", font: "",
    beginPath: () => calls.push("begin"),
    moveTo: (x: number, y: number) => calls.push(`move ${x} ${y}`),
    lineTo: (x: number, y: number) => calls.push(`line ${x.toFixed(1)} ${y.toFixed(1)}`),
    stroke: () => calls.push("stroke"), fill: () => calls.push("fill"), closePath: () => calls.push("close"),
    fillText: (t: string, x: number, y: number) => calls.push(`text ${t} ${x} ${y}`),
  } as unknown as Canvas2D;
  renderDrawing(ctx, { version: 1, strokes: [drawing.strokes[0], drawing.strokes[2]] }, 1000, 500);
  assert.equal(calls[1], "move 100 100");
  assert.equal(calls[2], "line 123.5 125.0");
  assert.ok(calls.includes("text jaw line pops 700 50"));
});
