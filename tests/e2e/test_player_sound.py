"""The player's sound, in Chromium: a clip carrying the plate's sound is heard while it plays forwards at 1x,
and is silent when stepped, shuttled at another speed, or muted with the toggle (button or M)."""
from __future__ import annotations

import wave
from fractions import Fraction

import numpy as np
import pytest

from pipeline.media.audio import clip_sound_add
from tests.e2e.conftest import make_coded_clip, write_harness
from tests.timing import patience_ms

pytestmark = pytest.mark.e2e
FIRST = 1001
FPS = Fraction(24000, 1001)


@pytest.fixture
def player(page, range_server, player_build):
    base, root = range_server
    make_coded_clip(root / "plate.mp4", first=FIRST, count=96, fps=FPS, tint=(90, 110, 140), size=(320, 180))
    t = np.arange(48000 * 5) / 48000
    with wave.open(str(root / "music.wav"), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(48000)
        out.writeframes((0.3 * np.sin(2 * np.pi * 440 * t) * 32767).astype("<i2").tobytes())
    assert clip_sound_add(root / "plate.mp4", root / "music.wav")
    shot = {
        "id": 1, "code": "DD_010", "status": "in_review", "status_label": "In review",
        "frame_start": FIRST, "frame_end": FIRST + 95, "fps_num": FPS.numerator, "fps_den": FPS.denominator,
        "plate": {"clip_url": "plate.mp4"}, "variants": [], "notes": [], "edit": None,
        "user": {"username": "sam", "role": "supervisor"}, "api": "/api/", "ws": "/ws/shots/1/",
    }
    page.goto(f"{base}/{write_harness(root, player_build, shot)}")
    page.wait_for_function("document.querySelector('.fr-view')?.dataset.frame === '1001'", timeout=patience_ms(10))
    return page


def heard(page) -> bool:
    return page.evaluate("() => !document.querySelector('.fr-view video').muted")


def wait_heard(page, expected: bool) -> None:
    page.wait_for_function(f"() => document.querySelector('.fr-view video').muted === {str(not expected).lower()}",
                           timeout=patience_ms(5))


def test_sound_plays_at_1x_and_is_silent_when_stepping_shuttling_or_muted(player):
    page = player
    mute = page.locator("[data-testid=mute]")
    assert not heard(page)  # paused: silent
    page.keyboard.press("p")  # loop, so a slow machine never reaches the end (which stops, and silences)
    page.keyboard.press("Space")
    wait_heard(page, True)
    page.wait_for_function("() => document.querySelector('.fr-view video').webkitAudioDecodedByteCount > 0",
                           timeout=patience_ms(5))  # the clip's sound really is decoded while it plays
    page.keyboard.press("ArrowRight")  # stepping stops and silences
    wait_heard(page, False)
    page.keyboard.press("l")
    wait_heard(page, True)
    page.keyboard.press("l")  # shuttling at 2x: silent
    wait_heard(page, False)
    page.keyboard.press("k")
    mute.click()  # sound off: playing at 1x stays silent
    assert mute.get_attribute("aria-pressed") == "true"
    page.keyboard.press("l")  # forwards at 1x again
    page.wait_for_function("() => !document.querySelector('.fr-view video').paused", timeout=patience_ms(5))
    assert not heard(page) and mute.get_attribute("data-audible") == "false"
    page.keyboard.press("m")  # and back on, while it plays
    wait_heard(page, True)
    assert mute.get_attribute("aria-pressed") == "false"
