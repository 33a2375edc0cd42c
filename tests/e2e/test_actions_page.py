"""The producer's "needs action" page in Chromium: a shot with an open note shows under its artist and due week;
sorting by a heading and filtering keep every choice in the URL (a reload or a shared link shows the same)."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.e2e.conftest import SHOT_FIRST, login

pytestmark = pytest.mark.e2e


def test_a_producer_finds_a_shot_to_chase_sorts_and_filters_and_the_url_keeps_it(browser, live_site):
    shot_id = live_site.add_shot("SH090")
    due = date.today() + timedelta(days=7)
    patched = live_site.api("PATCH", f"shots/{shot_id}/", as_user="sup",
                            json={"assignees": ["art"], "due_date": due.isoformat()})
    assert patched.status_code == 200, patched.text
    noted = live_site.api("POST", f"shots/{shot_id}/notes/", as_user="sup",
                          json={"frame_start": SHOT_FIRST, "frame_end": SHOT_FIRST, "text": "the jaw slips"})
    assert noted.status_code == 201, noted.text

    context, page = login(browser, live_site, "prod")
    try:
        page.click("nav >> text=Needs action")
        artist = page.locator('section.person[data-person="art"]')
        row = artist.locator("tr", has_text="DD/SQ010/SH090")
        assert row.locator("td.needs").inner_text() == "notes open"
        monday = due - timedelta(days=due.weekday())
        assert f"week of {monday:%a %d %b %Y}" in artist.inner_text()
        artist.locator("th a", has_text="Open notes").click()
        page.wait_for_url("**/actions/?sort=notes")
        artist.locator("th a", has_text="Open notes").click()  # again: the other way
        page.wait_for_url("**/actions/?sort=-notes")
        page.select_option("select[name=needs]", "changes")
        page.click("form.filters button[type=submit]")
        page.wait_for_url("**/actions/?*needs=changes*")
        assert "sort=-notes" in page.url  # the sort survived the filter
        assert page.locator("tr", has_text="DD/SQ010/SH090").count() == 0
        page.reload()
        assert page.locator("select[name=needs]").input_value() == "changes"
        assert page.locator("select[name=sort]").input_value() == "-notes"
    finally:
        context.close()
