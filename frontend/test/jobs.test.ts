import { test } from "node:test";
import assert from "node:assert/strict";
import { attemptText, chunksText, nextLog, parseJobUpdate } from "../src/jobs";
import { activityLine } from "../src/shotpage";

const UPDATE = {
  type: "job.updated", job: 7, parent: null, kind: "render", kind_label: "Final render", state: "running",
  state_label: "Running", colour: "#1e88e5", attempt: 2, max_attempts: 3, progress: 0.4, message: "frame 1012",
  error: "",
};

test("a job.updated message is read field by field; other events are not jobs", () => {
  const update = parseJobUpdate(UPDATE);
  assert.ok(update);
  assert.equal(update.job, 7);
  assert.equal(update.parent, null);
  assert.equal(update.state_label, "Running");
  assert.equal(update.progress, 0.4);
  assert.equal(parseJobUpdate({ type: "status.changed", shot: 3 }), null);
  assert.equal(parseJobUpdate({ type: "job.updated" }), null); // no job id: nothing to show it on
  const sparse = parseJobUpdate({ type: "job.updated", job: 8, state: "queued", progress: "soon" });
  assert.equal(sparse?.state_label, "queued"); // the state itself when the label is missing
  assert.equal(sparse?.progress, 0); // a progress that is not a number shows as none
});

test("the attempt shows only once a job is retried", () => {
  assert.equal(attemptText(1, 3), "");
  assert.equal(attemptText(2, 3), "attempt 2/3");
});

test("chunks count the done ones out of all seen", () => {
  assert.equal(chunksText(new Map([[11, "done"], [12, "running"], [13, "done"]])), "2/3 chunks");
});

test("the log tail replaces the log, an appended piece adds to it", () => {
  const base = parseJobUpdate(UPDATE)!;
  assert.equal(nextLog("old\n", { ...base, log_tail: "whole log\n" }), "whole log\n");
  assert.equal(nextLog("old\n", { ...base, log_append: "more\n" }), "old\nmore\n");
  assert.equal(nextLog("old\n", base), "old\n");
});

test("a live event is listed in the activity in words", () => {
  assert.equal(activityLine("note.created"), "note created (reload for details)");
});
