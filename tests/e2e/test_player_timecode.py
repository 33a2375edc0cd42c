"""Timecode in the player, in Chromium: the transport shows the shot's timecode beside the frame number
(non-drop at 23.976, drop-frame at 29.97 across a minute whose first labels are skipped), and typing a
timecode in the frame box, with ':' or ';', goes to that frame (checked on the burnt-in frame number)."""
from __future__ import annotations

from fractions import Fraction

import pytest

from tests.e2e.conftest import make_coded_clip, read_code, write_harness
from tests.timing import patience_ms

pytestmark = pytest.mark.e2e
FIRST = 1001


def open_player(page, range_server, player_build, *, fps: Fraction, start: str):
    base, root = range_server
    make_coded_clip(root / "plate.mp4", first=FIRST, count=40, fps=fps, tint=(90, 110, 140), size=(320, 180))
    shot = {
        "id": 1, "code": "DD_010", "status": "in_review", "status_label": "In review",
        "frame_start": FIRST, "frame_end": FIRST + 39, "fps_num": fps.numerator, "fps_den": fps.denominator,
        "start_timecode": start, "plate": {"clip_url": "plate.mp4"}, "variants": [], "notes": [], "edit": None,
        "user": {"username": "sam", "role": "supervisor"}, "api": "/api/", "ws": "/ws/shots/1/",
    }
    page.goto(f"{base}/{write_harness(root, player_build, shot)}")
    wait_on(page, FIRST)
    return page


def wait_on(page, frame: int) -> None:
    page.wait_for_function(
        """(f) => document.querySelector('[data-testid=frame]').value === String(f)
             && [...document.querySelectorAll('.fr-view')].every(v => v.dataset.frame === String(f))""",
        arg=frame, timeout=patience_ms(10))


def timecode(page) -> str:
    return page.locator(".fr-frame-info").inner_text().split(" · ")[0]


def type_frame(page, text: str) -> None:
    box = page.locator("[data-testid=frame]")
    box.fill(text)
    box.press("Enter")


def test_a_23976_shot_shows_its_timecode_and_a_typed_timecode_seeks_there(page, range_server, player_build):
    page = open_player(page, range_server, player_build, fps=Fraction(24000, 1001), start="01:00:00:00")
    assert timecode(page) == "01:00:00:00"
    assert "23.976 fps" in page.locator(".fr-frame-info").inner_text()
    type_frame(page, "01:00:01:12")
    wait_on(page, FIRST + 36)
    assert read_code(page, 0) == FIRST + 36
    assert timecode(page) == "01:00:01:12"
    type_frame(page, "1010")  # a frame number still works
    wait_on(page, 1010)
    assert timecode(page) == "01:00:00:09"


def test_a_2997_drop_frame_shot_skips_the_dropped_labels_and_seeks_by_either_separator(page, range_server,
                                                                                        player_build):
    page = open_player(page, range_server, player_build, fps=Fraction(30000, 1001), start="00:00:59;28")
    assert timecode(page) == "00:00:59;28"
    page.keyboard.press("ArrowRight")
    wait_on(page, FIRST + 1)
    assert timecode(page) == "00:00:59;29"
    page.keyboard.press("ArrowRight")
    wait_on(page, FIRST + 2)
    assert timecode(page) == "00:01:00;02"  # ;00 and ;01 do not exist in this minute
    type_frame(page, "00:01:00;12")
    wait_on(page, FIRST + 12)
    assert read_code(page, 0) == FIRST + 12
    type_frame(page, "00:01:00:20")  # typed with ':' it is still read in the shot's drop-frame counting
    wait_on(page, FIRST + 20)
    assert read_code(page, 0) == FIRST + 20
    assert timecode(page) == "00:01:00;20"
    type_frame(page, "00:01:00;00")  # a label that does not exist: refused, the player stays put
    page.wait_for_timeout(200)
    assert page.locator("[data-testid=frame]").evaluate("(el) => el.validationMessage").startswith("00:01:00;00 does not exist")
    assert read_code(page, 0) == FIRST + 20
    type_frame(page, "ten")  # neither a frame nor a timecode: said so
    assert "neither a frame" in page.locator("[data-testid=frame]").evaluate("(el) => el.validationMessage")
