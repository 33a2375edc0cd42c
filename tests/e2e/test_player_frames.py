"""The player in Chromium on a harness page (no site needed): the frame number shown is the frame on screen,
stepping moves exactly one frame at 23.976 fps, and side-by-side views stay locked to one frame."""
from __future__ import annotations

from fractions import Fraction

import pytest

from tests.e2e.conftest import make_coded_clip, read_code, write_harness
from tests.timing import patience_ms

pytestmark = pytest.mark.e2e
FIRST = 1001


@pytest.fixture
def harness(page, range_server, player_build):
    base, root = range_server
    fps = Fraction(24000, 1001)
    make_coded_clip(root / "plate.mp4", first=FIRST, count=60, fps=fps, tint=(90, 110, 140))
    make_coded_clip(root / "rigid.mp4", first=FIRST, count=60, fps=fps, tint=(150, 100, 70))
    shot = {
        "id": 1, "code": "DD_010", "status": "in_review", "status_label": "In review",
        "frame_start": FIRST, "frame_end": FIRST + 59, "fps_num": 24000, "fps_den": 1001,
        "plate": {"clip_url": "plate.mp4"},
        "variants": [{"id": 7, "label": "rigid A", "kind": "rigid", "clip_url": "rigid.mp4",
                      "qc": [{"frame": f, "coverage": 0.0 if 1020 <= f < 1025 else 1.0, "anomaly": (f % 13) / 13,
                              "face": face(f)} for f in range(FIRST, FIRST + 60)]}],
        "notes": [], "edit": None, "user": {"username": "sam", "role": "supervisor"},
        "api": "/api/", "ws": "/ws/shots/1/",
    }
    page.goto(f"{base}/{write_harness(root, player_build, shot)}")
    wait_all_on(page, FIRST)
    return page


def face(frame: int) -> list[float]:
    """Where the engine's QC says the head is on `frame` (drifting right), as the converted variants carry it."""
    return [round(0.3 + 0.01 * (frame - FIRST), 3), 0.4, 0.1]


def wait_all_on(page, frame: int) -> None:
    """Until the transport shows `frame` and every view has painted it."""
    page.wait_for_function(
        """(f) => document.querySelector('[data-testid=frame]').value === String(f)
             && [...document.querySelectorAll('.fr-view')].every(v => v.dataset.frame === String(f))""",
        arg=frame, timeout=patience_ms(10))


def shown(page) -> int:
    return int(page.locator("[data-testid=frame]").input_value())


def test_stepping_50_frames_shows_exactly_the_frame_it_claims(harness):
    page = harness
    assert read_code(page, 0) == FIRST
    for expected in range(FIRST + 1, FIRST + 51):
        page.keyboard.press("ArrowRight")
        wait_all_on(page, expected)
        assert read_code(page, 0) == expected == shown(page), f"after stepping to {expected}"
    for expected in (FIRST + 49, FIRST + 48):
        page.keyboard.press("ArrowLeft")
        wait_all_on(page, expected)
        assert read_code(page, 0) == expected == shown(page)
    # J plays backwards (browsers cannot), K stops; what is shown is still what is on screen
    page.keyboard.press("j")
    page.wait_for_function(f"Number(document.querySelector('[data-testid=frame]').value) < {FIRST + 46}")
    page.keyboard.press("k")
    page.wait_for_timeout(100)
    back = shown(page)
    wait_all_on(page, back)
    assert read_code(page, 0) == back
    # The shot's real frame numbers and its rate are what the transport shows.
    assert "23.976 fps" in page.locator(".fr-frame-info").inner_text()
    assert "1001–1060" in page.locator(".fr-frame-info").get_attribute("title")
    # ? lists the shortcuts
    page.keyboard.press("Shift+?")
    help_box = page.locator("[data-testid=help]")
    help_box.wait_for(state="visible")
    assert "Next frame" in help_box.inner_text() and "Loupe" in help_box.inner_text()
    page.keyboard.press("Escape")
    help_box.wait_for(state="hidden")


def test_two_up_stays_locked_to_one_frame_after_seeking_and_playing(harness):
    page = harness
    page.keyboard.press("2")
    page.wait_for_function("document.querySelectorAll('.fr-view').length === 2")
    wait_all_on(page, FIRST)
    box = page.locator(".fr-frame-number")
    box.fill("1037")
    box.press("Enter")
    wait_all_on(page, 1037)
    assert [read_code(page, i) for i in (0, 1)] == [1037, 1037]
    # click on the timeline ruler, about three quarters in
    timeline = page.locator("[data-testid=timeline]")
    tb = timeline.bounding_box()
    page.mouse.click(tb["x"] + 118 + (tb["width"] - 118) * 0.75, tb["y"] + 8)
    page.wait_for_function("document.querySelector('[data-testid=frame]').value !== '1037'")
    target = shown(page)
    wait_all_on(page, target)
    assert 1040 <= target <= 1050
    assert [read_code(page, i) for i in (0, 1)] == [target, target]
    # play a moment, stop: both views land on the master's frame
    page.keyboard.press("Home")
    wait_all_on(page, FIRST)
    page.keyboard.press("l")
    page.wait_for_function(f"Number(document.querySelector('[data-testid=frame]').value) > {FIRST + 3}")
    page.keyboard.press("k")
    page.wait_for_function("[...document.querySelectorAll('.fr-view')].every(v => v.dataset.frame === document.querySelector('[data-testid=frame]').value)")
    stopped = shown(page)
    wait_all_on(page, stopped)
    assert [read_code(page, i) for i in (0, 1)] == [stopped, stopped]


def test_wipe_split_follows_the_drag_and_the_loupe_magnifies_every_view(harness):
    page = harness
    page.keyboard.press("w")
    page.wait_for_function("document.querySelectorAll('.fr-view.fr-stacked').length === 2")
    wait_all_on(page, FIRST)
    top = page.locator(".fr-view").nth(1).locator(".fr-frame")
    assert top.evaluate("e => e.style.clipPath") == "inset(0px 0px 0px 50%)"
    box = top.bounding_box()
    handle = page.locator(".fr-wipe-handle")
    hb = handle.bounding_box()
    page.mouse.move(hb["x"] + hb["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.25, box["y"] + box["height"] / 2, steps=4)
    page.mouse.up()
    percent = float(top.evaluate("e => e.style.clipPath").split()[-1].rstrip("%)"))
    assert 23 <= percent <= 27
    # the loupe: magnified picture under the pointer, in both views at once
    page.keyboard.press("g")
    page.keyboard.press("z")
    # it opens on the face, where the QC says it is, and follows it frame by frame
    stage = page.locator(".fr-stage")
    page.wait_for_function("document.querySelector('.fr-stage').dataset.loupeAt === '0.300,0.400'")
    page.keyboard.press("ArrowRight")
    wait_all_on(page, FIRST + 1)
    page.wait_for_function("document.querySelector('.fr-stage').dataset.loupeAt === '0.310,0.400'")
    first = page.locator(".fr-view").nth(0).locator(".fr-frame").bounding_box()
    page.mouse.move(first["x"] + first["width"] * 0.3, first["y"] + first["height"] * 0.5)
    page.wait_for_function("[...document.querySelectorAll('.fr-loupe')].every(c => !c.hidden)")
    painted = page.evaluate("""() => [...document.querySelectorAll('.fr-loupe')].map(c => {
        const d = c.getContext('2d').getImageData(c.width / 2, c.height / 2, 1, 1).data; return d[3]; })""")
    assert painted == [255, 255]
    x, y = (float(v) for v in stage.get_attribute("data-loupe-at").split(","))  # now it is under the pointer
    assert abs(x - 0.3) < 0.02 and abs(y - 0.5) < 0.02
