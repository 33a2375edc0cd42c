import { test } from "node:test";
import assert from "node:assert/strict";
import { showCount } from "../src/inbox";

test("the header count shows the unread number and hides at zero", () => {
  const badge = { textContent: "", hidden: true } as unknown as HTMLElement;
  showCount(badge, 3);
  assert.equal(badge.textContent, "3");
  assert.equal(badge.hidden, false);
  showCount(badge, 0);
  assert.equal(badge.textContent, "0");
  assert.equal(badge.hidden, true);
});
