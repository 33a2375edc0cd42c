"""The player on the real site (uvicorn, websockets, REST API, session auth + CSRF) in Chromium: notes drawn
on frames persist, a supervisor's pick and approval reach another open page live, artists cannot approve,
and the live connection comes back after a server restart."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from tests.e2e.conftest import SHOT_FIRST, login, read_code
from tests.timing import patience_ms

pytestmark = pytest.mark.e2e


def open_shot(page, site, code: str) -> None:
    page.goto(f"{site.url}/shots/{site.shots[code]}/")
    wait_on(page, SHOT_FIRST)
    page.wait_for_function("document.querySelector('[data-testid=live]').dataset.state === 'live'", timeout=patience_ms(10))


def wait_on(page, frame: int) -> None:
    page.wait_for_function(
        """(f) => document.querySelector('[data-testid=frame]')?.value === String(f)
             && [...document.querySelectorAll('.fr-view')].every(v => v.dataset.frame === String(f))""",
        arg=frame, timeout=patience_ms(10))


def go_to(page, frame: int) -> None:
    box = page.locator("[data-testid=frame]")
    box.fill(str(frame))
    box.press("Enter")
    wait_on(page, frame)


# Colour of the overlay canvas of the master view at a normalised point (after the note drawing is painted).
OVERLAY_PIXEL_JS = """([x, y]) => {
  const c = document.querySelector('.fr-view .fr-overlay');
  const d = c.getContext('2d').getImageData(Math.round(x * c.width), Math.round(y * c.height), 1, 1).data;
  return [d[0], d[1], d[2], d[3]];
}"""


def edit_views_on(page) -> list[str]:
    """Sources of the views the edit preview shows now."""
    return page.evaluate("[...document.querySelectorAll('.fr-view.fr-edit-on')].map(v => v.dataset.source)")


def test_a_note_drawn_on_a_frame_is_there_after_reload(browser, live_site, artifacts_dir):
    context, page = login(browser, live_site, "sup")
    try:
        page.wait_for_selector("#board-root")
        page.screenshot(path=str(artifacts_dir / "board.png"), full_page=True)
        open_shot(page, live_site, "SH010")
        assert read_code(page, 0) == SHOT_FIRST
        go_to(page, 1012)
        page.click("[data-tab=notes]")
        page.click("[data-testid=draw]")
        box = page.locator(".fr-view .fr-overlay").first.bounding_box()
        start = (box["x"] + box["width"] * 0.30, box["y"] + box["height"] * 0.40)
        page.mouse.move(*start)
        page.mouse.down()
        for i in range(1, 11):
            page.mouse.move(start[0] + box["width"] * 0.02 * i, start[1] + box["height"] * 0.01 * i)
        page.mouse.up()
        page.fill("[data-testid=note-text]", "chin slides off the jaw here")
        page.click("[data-testid=note-save]")
        page.wait_for_selector(".fr-note:has-text('chin slides off the jaw here')")

        page.reload()
        wait_on(page, SHOT_FIRST)
        page.click("[data-tab=notes]")
        card = page.locator(".fr-note", has_text="chin slides off the jaw here")
        assert card.locator(".fr-tag", has_text="drawing").count() == 1
        assert page.evaluate(OVERLAY_PIXEL_JS, [0.40, 0.45])[3] == 0, "the drawing shows on a frame it is not on"
        card.locator("button.fr-link").click()  # jump to the note's frame
        wait_on(page, 1012)
        assert read_code(page, 0) == 1012
        r, g, b, a = page.evaluate(OVERLAY_PIXEL_JS, [0.40, 0.45])
        assert a > 100 and r > 200 and g < 100, f"the stroke is not drawn over frame 1012 (pixel {r, g, b, a})"
        page.keyboard.press("ArrowRight")
        wait_on(page, 1013)
        assert page.evaluate(OVERLAY_PIXEL_JS, [0.40, 0.45])[3] == 0
        page.keyboard.press("ArrowLeft")
        wait_on(page, 1012)
        page.keyboard.press("2")
        wait_on(page, 1012)
        page.screenshot(path=str(artifacts_dir / "shot-page.png"))
        notes = live_site.api("GET", f"shots/{live_site.shots['SH010']}/notes/", as_user="sup").json()["results"]
        [note] = [n for n in notes if n["text"] == "chin slides off the jaw here"]
        assert (note["frame_start"], note["frame_end"]) == (1012, 1012)
        assert note["drawing"]["strokes"][0]["tool"] == "pen"
        # reply, then resolve: the note leaves the open list and its drawing leaves the frame
        reply = card.locator("input.fr-input")
        reply.fill("agreed, rigid holds the jaw better")
        reply.press("Enter")
        card.locator(".fr-reply:has-text('agreed, rigid holds the jaw better')").wait_for()
        card.locator("[data-testid=resolve]").click()
        card.wait_for(state="detached")
        assert page.evaluate(OVERLAY_PIXEL_JS, [0.40, 0.45])[3] == 0
        page.check("[data-testid=show-resolved]")
        assert page.locator(".fr-note.resolved", has_text="chin slides off the jaw here").count() == 1
    finally:
        context.close()


def test_supervisor_builds_a_two_variant_edit_and_approves_and_another_page_sees_it_live(browser, live_site, artifacts_dir):
    shot_id = live_site.shots["SH020"]
    rigid, loose = live_site.variants["SH020"]
    sup_context, sup = login(browser, live_site, "sup")
    prod_context, board = login(browser, live_site, "prod")
    prod = prod_context.new_page()
    try:
        board_status = board.locator(f"#shot-{shot_id} .status")
        assert board_status.inner_text() == "In review"
        open_shot(prod, live_site, "SH020")
        open_shot(sup, live_site, "SH020")
        assert prod.locator("[data-testid=shot-status]").inner_text() == "In review"
        sup.click("[data-tab=pick]")
        go_to(sup, 1030)
        sup.keyboard.press("s")
        sup.select_option("[data-testid=segment-variant-1]", str(loose))
        # drag the cut on the timeline's edit row from 1030 back to 1026
        tb = sup.locator("[data-testid=timeline]").bounding_box()
        x_of = lambda f: tb["x"] + 118 + (f - SHOT_FIRST) / 60 * (tb["width"] - 118)  # noqa: E731
        sup.mouse.move(x_of(1030), tb["y"] + 32)
        sup.mouse.down()
        for f in (1029, 1028, 1027, 1026):
            sup.mouse.move(x_of(f), tb["y"] + 32)
        sup.mouse.up()
        sup.wait_for_selector(".fr-segment[data-segment='1'] .fr-link:has-text('1026–1060')")
        transition = sup.locator("[aria-label='Transition into segment 2']")
        transition.fill("4")
        transition.press("Tab")
        sup.click("[data-testid=save-edit]")
        sup.wait_for_selector("[data-testid=pick-message]:has-text('Saved edit v1')")
        # E plays the pick: rigid before the cut, loose after, both over the 4-frame dissolve around it
        sup.keyboard.press("e")
        for frame, on_screen in ((1010, [f"v{rigid}"]), (1024, [f"v{rigid}", f"v{loose}"]),
                                 (1027, [f"v{rigid}", f"v{loose}"]), (1028, [f"v{loose}"])):
            go_to(sup, frame)
            assert edit_views_on(sup) == on_screen, f"frame {frame}"
            top = sup.evaluate("[...document.querySelectorAll('.fr-view')].indexOf("
                               "[...document.querySelectorAll('.fr-view.fr-edit-on')].pop())")
            assert read_code(sup, top) == frame
        # and plays through the cut (the master view is hidden after it, its clock still runs)
        go_to(sup, 1020)
        sup.keyboard.press("l")
        sup.wait_for_function("Number(document.querySelector('[data-testid=frame]').value) >= 1036", timeout=patience_ms(10))
        sup.keyboard.press("k")
        sup.wait_for_function("document.querySelector('[data-testid=play]').textContent === '▶'")
        stopped = int(sup.locator("[data-testid=frame]").input_value())
        wait_on(sup, stopped)
        assert edit_views_on(sup) == [f"v{loose}"]
        sup.keyboard.press("g")
        sup.fill("[data-testid=decision-comment]", "rigid to 1025, loose after")
        sup.click("[data-testid=approve]")
        sup.wait_for_selector("[data-testid=decision]:has-text('by sup'), [data-testid=pick-message].fr-error")
        assert sup.locator("[data-testid=pick-message]").inner_text() == "Approved."
        # the producer's page, never reloaded, shows the approval and the edit
        prod.wait_for_function("document.querySelector('[data-testid=shot-status]').textContent === 'Approved'"
                               " || document.querySelector('[data-testid=shot-status]').textContent === 'Rendering'",
                               timeout=patience_ms(10))
        prod.click("[data-tab=pick]")
        prod.wait_for_selector("[data-testid=decision]:has-text('Approved by sup')")
        board.wait_for_function(f"['Approved', 'Rendering'].includes(document.querySelector('#shot-{shot_id} .status').textContent)")
        assert prod.locator(".fr-segment").count() == 2
        assert prod.locator("[data-testid=approve]").count() == 0
        sup.screenshot(path=str(artifacts_dir / "shot-page-approved.png"))
        edit = live_site.api("GET", f"shots/{shot_id}/", as_user="sup").json()["edit"]
        assert edit["segments"] == [
            {"variant": rigid, "frame_start": 1001, "frame_end": 1025, "transition": 0},
            {"variant": loose, "frame_start": 1026, "frame_end": 1060, "transition": 4},
        ]
    finally:
        sup_context.close()
        prod_context.close()


def test_an_artist_has_no_approve_control_and_the_api_refuses_a_forced_approval(browser, live_site, tmp_path):
    shot_id = live_site.shots["SH030"]
    rigid, loose = live_site.variants["SH030"]
    r = live_site.api("POST", f"shots/{shot_id}/edits/", as_user="sup", json={"segments": [
        {"variant": rigid, "frame_start": 1001, "frame_end": 1040, "transition": 0},
        {"variant": loose, "frame_start": 1041, "frame_end": 1060, "transition": 0}]})
    assert r.status_code == 201, r.text
    edit_id = r.json()["id"]
    context, page = login(browser, live_site, "art")
    try:
        open_shot(page, live_site, "SH030")
        page.click("[data-tab=pick]")
        assert page.locator(".fr-segment").count() == 2, "the artist sees the edit"
        assert page.locator("[data-testid=approve]").count() == 0
        assert page.locator("[data-testid=request-changes]").count() == 0
        assert page.locator("[data-testid=split]").count() == 0
        assert page.locator("[data-testid=segment-variant-0]").is_disabled()
        assert "Only the supervisor" in page.locator("[data-testid=readonly-edit]").inner_text()
        status, body = page.evaluate("""async (url) => {
            const token = document.cookie.split('; ').find(c => c.startsWith('csrftoken=')).split('=')[1];
            const r = await fetch(url, {method: 'POST', credentials: 'same-origin',
              headers: {'Content-Type': 'application/json', 'X-CSRFToken': token},
              body: JSON.stringify({decision: 'approve', comment: 'forced'})});
            return [r.status, await r.text()];
        }""", f"{live_site.url}/api/edits/{edit_id}/decisions/")
        assert status == 403, body
        assert live_site.api("GET", f"shots/{shot_id}/", as_user="sup").json()["status"] == "in_review"
        # the artist uploads a fix frame for the frame on screen
        fix_png = tmp_path / "fix.1012.png"
        cv2.imwrite(str(fix_png), np.full((270, 480, 3), 128, np.uint8))
        go_to(page, 1012)
        page.click("[data-tab=fixes]")
        page.set_input_files("[data-testid=fix-files]", str(fix_png))
        page.fill("[data-testid=fix-comment]", "jaw line repainted")
        page.click("[data-testid=fix-upload]")
        page.wait_for_selector(".fr-fixes .fr-message:has-text('Uploaded fix for frames 1012–1012')")
        [fix] = live_site.api("GET", f"shots/{shot_id}/", as_user="sup").json()["fixes"]
        assert (fix["frame_start"], fix["frame_end"], fix["author"]) == (1012, 1012, "art")
        assert [i["frame"] for i in fix["images"]] == [1012]
    finally:
        context.close()


def test_live_updates_come_back_after_a_server_restart(browser, live_site):
    context, page = login(browser, live_site, "sup")
    try:
        open_shot(page, live_site, "SH030")
        live_site.stop()
        page.wait_for_function("document.querySelector('[data-testid=live]').dataset.state === 'reconnecting'")
        live_site.start()
        page.wait_for_function("document.querySelector('[data-testid=live]').dataset.state === 'live'", timeout=patience_ms(20))
        r = live_site.api("POST", f"shots/{live_site.shots['SH030']}/notes/", as_user="art",
                          json={"frame_start": 1050, "frame_end": 1055, "text": "hairline flickers"})
        assert r.status_code == 201, r.text
        page.click("[data-tab=notes]")
        page.wait_for_selector(".fr-note:has-text('hairline flickers')", timeout=patience_ms(10))
        # a variant published now appears in the views' source pickers, without reload
        live_site.publish_variant(live_site.shots["SH030"], "cg", "cg C", "rigid.mp4", [])
        page.wait_for_selector(".fr-source option:has-text('cg C')", state="attached", timeout=patience_ms(10))
    finally:
        context.close()
