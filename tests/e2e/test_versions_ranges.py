"""Versions and range approval on the real site in Chromium: two versions of one variant compared side by side
(each view shows its own version's picture at the same frame), and a range of the edit approved, shown locked
on the timeline, kept against a later edit, partly approved on the board, then unlocked."""
from __future__ import annotations

import pytest

from tests.e2e.conftest import SHOT_FIRST, login, read_code, view_pixel
from tests.e2e.test_player_site import go_to, open_shot
from tests.timing import patience_ms

pytestmark = pytest.mark.e2e

def test_two_versions_of_a_variant_are_compared_side_by_side(browser, live_site, artifacts_dir):
    shot_id = live_site.make_shot("SH040")
    v1 = live_site.variants["SH040"][0]  # rigid A v001: the rigid clip (orange)
    qc = [{"frame": f, "coverage": 1.0, "anomaly": 0.0} for f in range(SHOT_FIRST, SHOT_FIRST + 60)]
    v2 = live_site.publish_variant(shot_id, "rigid", "rigid A", "loose.mp4", qc)  # rigid A v002: green
    assert live_site.api("GET", f"variants/{v2}/").json()["version_name"] == "v002"
    context, page = login(browser, live_site, "sup")
    try:
        open_shot(page, live_site, "SH040")
        page.keyboard.press("2")
        sources = page.locator(".fr-source").first.locator("option").all_inner_texts()
        assert sources[:4] == ["Plate", "rigid A v002", "loose B v001", "rigid A v001"]
        page.select_option("[aria-label='Source of view 1']", f"v{v2}")
        page.select_option("[aria-label='Source of view 2']", f"v{v1}")
        go_to(page, 1017)
        assert page.evaluate("[...document.querySelectorAll('.fr-view')].map(v => v.dataset.source)") == [
            f"v{v2}", f"v{v1}"]
        assert [read_code(page, i) for i in (0, 1)] == [1017, 1017]
        # near the top-right corner: the tinted ramp (no moving square, no burn-in)
        (r2, g2, _), (r1, g1, _) = view_pixel(page, 0, 0.9, 0.1), view_pixel(page, 1, 0.9, 0.1)
        assert g2 > r2 and r1 > g1, "each view shows its own version"
        page.screenshot(path=str(artifacts_dir / "versions-side-by-side.png"))
        page.keyboard.press("w")  # the same two versions in a wipe
        assert page.locator(".fr-stage").get_attribute("data-mode") == "wipe"
    finally:
        context.close()


def test_a_range_is_approved_locked_on_the_timeline_kept_and_unlocked(browser, live_site, artifacts_dir):
    shot_id = live_site.make_shot("SH050")
    rigid, loose = live_site.variants["SH050"]
    sup_context, sup = login(browser, live_site, "sup")
    prod_context, board = login(browser, live_site, "prod")
    try:
        open_shot(sup, live_site, "SH050")
        sup.click("[data-tab=pick]")
        go_to(sup, 1030)
        sup.keyboard.press("s")
        sup.select_option("[data-testid=segment-variant-1]", str(loose))
        sup.click("[data-testid=save-edit]")
        sup.wait_for_selector("[data-testid=pick-message]:has-text('Saved edit v1')")
        sup.click(".fr-segment[data-segment='0'] .fr-dot")
        approve = sup.locator("[data-testid=approve-range]")
        assert approve.inner_text() == "✓ Approve 1001–1029 only"
        approve.click()
        sup.wait_for_selector("[data-testid=approved-ranges] li[data-range='1001-1029']", timeout=patience_ms(10))
        sup.wait_for_function("() => document.querySelector('[data-testid=timeline]').dataset.locked === '1001-1029'",
                              timeout=patience_ms(10))
        assert sup.locator("[data-testid=shot-status]").inner_text() == "In review"
        board.reload()
        assert board.locator(f"#shot-{shot_id} .partly").inner_text() == "partly approved"
        sup.screenshot(path=str(artifacts_dir / "range-locked.png"))

        # a later edit that changes the locked frames is refused, saying which frames and why
        sup.select_option("[data-testid=segment-variant-0]", str(loose))
        sup.click("[data-testid=save-edit]")
        sup.wait_for_selector("[data-testid=pick-message].fr-error", timeout=patience_ms(10))
        assert "frames 1001-1029" in sup.locator("[data-testid=pick-message]").inner_text()
        assert "approved and locked" in sup.locator("[data-testid=pick-message]").inner_text()

        sup.click("[data-testid=unlock-1001-1029]")
        sup.wait_for_selector("[data-testid=approved-ranges]", state="detached", timeout=patience_ms(10))
        sup.click("[data-testid=save-edit]")
        sup.wait_for_selector("[data-testid=pick-message]:has-text('Saved edit v2')", timeout=patience_ms(10))
        activity = live_site.api("GET", f"shots/{shot_id}/activity/", as_user="sup").json()["results"]
        assert [a["verb"] for a in activity[:2]] == ["edit.created", "range.unlocked"]
        edit = live_site.api("GET", f"shots/{shot_id}/", as_user="sup").json()["edit"]
        assert {s["variant"] for s in edit["segments"]} == {loose}  # rigid is gone from 1001-1029
    finally:
        sup_context.close()
        prod_context.close()
