import { test } from "node:test";
import assert from "node:assert/strict";
import { backoffDelay, wsUrl } from "../src/live";

test("reconnect waits grow from half a second to at most ten seconds", () => {
  const mid = () => 0.5;
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 10].map((a) => backoffDelay(a, mid)), [500, 1000, 2000, 4000, 8000, 10000, 10000, 10000]);
  assert.equal(backoffDelay(0, () => 0), 400);
  assert.equal(backoffDelay(0, () => 1), 600);
});

test("websocket URLs follow the page's scheme and host", () => {
  assert.equal(wsUrl("/ws/shots/3/", { protocol: "http:", host: "127.0.0.1:8000" }), "ws://127.0.0.1:8000/ws/shots/3/");
  assert.equal(wsUrl("ws/board/", { protocol: "https:", host: "review.studio" }), "wss://review.studio/ws/board/");
});
