"""The header's inbox count in Chromium: a note by the supervisor raises the assigned artist's count live."""
from __future__ import annotations

import pytest

from tests.e2e.conftest import login
from tests.timing import patience

pytestmark = pytest.mark.e2e


def test_a_note_raises_the_assignees_header_count_without_a_reload(browser, live_site):
    shot_id = live_site.add_shot("SH080")
    r = live_site.api("PATCH", f"shots/{shot_id}/", as_user="sup", json={"assignees": ["art"]})
    assert r.status_code == 200, r.text
    context, page = login(browser, live_site, "art")
    try:
        badge = page.locator("#inbox-count")
        before = int(badge.inner_text() or 0)
        page.wait_for_function("() => document.getElementById('inbox-link').dataset.live === 'live'",
                               timeout=patience(15) * 1000)
        r = live_site.api("POST", f"shots/{shot_id}/notes/", as_user="sup",
                          json={"frame_start": 1003, "text": "the chin slides"})
        assert r.status_code == 201, r.text
        page.wait_for_function(f"() => document.getElementById('inbox-count').textContent === '{before + 1}'",
                               timeout=patience(15) * 1000)
        assert badge.is_visible()
        page.click("#inbox-link")  # the inbox lists the note; marking all read hides the count
        assert "the chin slides" in page.locator("table.inbox").inner_text()
        page.click("#inbox-read-all")
        page.wait_for_url(f"{live_site.url}/inbox/")
        assert page.locator("#inbox-count").is_hidden()
    finally:
        context.close()
        # the session's other pages (the producer's "needs action") expect the artist on their own shots only
        live_site.api("PATCH", f"shots/{shot_id}/", as_user="sup", json={"assignees": []})
