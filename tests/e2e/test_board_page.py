"""The producer's board in Chromium: the per-sequence table reads as a table, one count under each status."""
from __future__ import annotations

import pytest

from tests.e2e.conftest import login

pytestmark = pytest.mark.e2e

# For every row of the per-sequence table: [left edge of each header cell, left edge of each body cell].
COLUMNS_JS = """() => {
  const table = document.querySelector('.sequences table');
  const heads = [...table.querySelectorAll('thead th')].map(c => Math.round(c.getBoundingClientRect().left));
  return [...table.querySelectorAll('tbody tr')].map(row =>
    [heads, [...row.children].map(c => Math.round(c.getBoundingClientRect().left))]);
}"""


def test_each_status_count_of_a_sequence_stands_under_its_status(browser, live_site):
    context, page = login(browser, live_site, "prod")
    try:
        rows = page.evaluate(COLUMNS_JS)
        assert rows, "the board shows no sequence"
        for heads, cells in rows:
            assert len(cells) == len(heads) == 11  # sequence, shots, nine statuses
            assert cells == heads  # each count in its own column, not stacked in the first status's
        texts = page.locator(".sequences tbody tr").first.locator("td").all_inner_texts()
        shots, per_status = int(texts[1]), [int(t) for t in texts[2:]]
        assert shots == len(live_site.shots) and sum(per_status) == shots, texts
    finally:
        context.close()
