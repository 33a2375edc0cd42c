"""A dailies session in two real Chromium pages on the live site: the supervisor drives, an artist's page
follows. After each seek, each run of steps and each stop of playback, the follower's player shows the driver's
frame: in its frame box and in the frame code burnt into the picture its browser decoded. The view mode follows
too, and after a hand-over the old driver's page follows the new one."""
from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator

import pytest

from tests.e2e.conftest import SHOT_FIRST, login, read_code
from tests.e2e.test_player_site import go_to, wait_on
from tests.timing import patience, patience_ms

pytestmark = pytest.mark.e2e


def join(page, site, session: dict, code: str, role_text: str) -> None:
    page.goto(f"{site.url}/shots/{site.shots[code]}/?dailies={session['id']}")
    wait_on(page, SHOT_FIRST)
    page.wait_for_function("(t) => document.querySelector('[data-testid=dailies]')?.textContent === t",
                           arg=role_text, timeout=patience_ms(10))


def shown_frame(page) -> int:
    return int(page.locator("[data-testid=frame]").input_value())


@contextlib.contextmanager
def two_pages(browser, site, items: list[dict], code: str) -> Iterator[tuple[dict, object, object]]:
    """A session of `items` made by the supervisor, who drives from one page while the artist follows in another,
    both on `code`'s page: (session, driver page, follower page)."""
    made = site.api("POST", "dailies/", as_user="sup", json={"project": "DD", "title": "e2e dailies", "items": items})
    assert made.status_code == 201, made.text
    session = made.json()
    driver_ctx, driver = login(browser, site, "sup")
    follower_ctx, follower = login(browser, site, "art")
    try:
        join(driver, site, session, code, "Dailies: you drive")
        join(follower, site, session, code, "Dailies: following sup")
        yield session, driver, follower
    finally:
        driver_ctx.close()
        follower_ctx.close()


def test_the_follower_shows_the_drivers_frame(browser, live_site, artifacts_dir):
    items = [{"shot": live_site.shots["SH020"], "variant": live_site.variants["SH020"][0]}]
    with two_pages(browser, live_site, items, "SH020") as (_, driver, follower):
        # a seek
        go_to(driver, 1012)
        wait_on(follower, 1012)
        assert read_code(follower, 0) == 1012

        # steps, one key press at a time and ten at once
        for _ in range(3):
            driver.keyboard.press("ArrowRight")
        wait_on(driver, 1015)
        wait_on(follower, 1015)
        assert read_code(follower, 0) == 1015
        driver.keyboard.press("Shift+ArrowLeft")
        wait_on(driver, 1005)
        wait_on(follower, 1005)
        assert read_code(follower, 0) == 1005

        # playback: the follower plays too, and stops on the very frame the driver stopped on
        driver.keyboard.press(" ")
        follower.wait_for_function("() => document.querySelector('[data-testid=play]').classList.contains('on')",
                                   timeout=patience_ms(10))
        time.sleep(min(0.8, patience(0.8)))
        driver.keyboard.press(" ")
        driver.wait_for_function("() => !document.querySelector('[data-testid=play]').classList.contains('on')",
                                 timeout=patience_ms(10))
        time.sleep(0.3)  # the driver's stop settles every view on the master's frame
        stopped = shown_frame(driver)
        wait_on(driver, stopped)
        assert stopped > 1005, "the driver did not play"
        wait_on(follower, stopped)
        assert read_code(follower, 0) == read_code(driver, 0) == stopped
        follower.screenshot(path=str(artifacts_dir / "dailies_follower.png"))

        # the view mode and the compare pair follow
        driver.click("[data-mode=wipe]")
        follower.wait_for_function("() => document.querySelector('.fr-stage').dataset.mode === 'wipe'",
                                   timeout=patience_ms(10))
        assert follower.evaluate("[...document.querySelectorAll('.fr-view')].map(v => v.dataset.source)") == \
            driver.evaluate("[...document.querySelectorAll('.fr-view')].map(v => v.dataset.source)")

        # a follower's own moves are not relayed: the driver stays where it is
        follower.keyboard.press("ArrowRight")
        time.sleep(0.5)
        assert shown_frame(driver) == stopped


def test_the_follower_goes_where_the_driver_goes_in_the_playlist(browser, live_site):
    second = live_site.shots["SH030"]
    items = [{"shot": live_site.shots["SH010"], "variant": live_site.variants["SH010"][1]}, {"shot": second}]
    with two_pages(browser, live_site, items, "SH010") as (session, driver, follower):
        # the item's variant version is on screen, on both pages
        follower.wait_for_function(
            "(v) => [...document.querySelectorAll('.fr-view')].map(e => e.dataset.source).join() === v",
            arg=f"v{live_site.variants['SH010'][1]}", timeout=patience_ms(10))
        assert follower.locator("[data-testid=dailies-drive]").is_hidden()  # an artist cannot take over
        driver.click("[data-testid=dailies-next]")
        driver.wait_for_url(f"**/shots/{second}/?dailies={session['id']}&item=2")
        follower.wait_for_url(f"**/shots/{second}/?dailies={session['id']}&item=2", timeout=patience_ms(15))
        wait_on(follower, SHOT_FIRST)
        follower.wait_for_function("() => document.querySelector('[data-testid=dailies]')?.textContent "
                                   "=== 'Dailies: following sup'", timeout=patience_ms(10))
        wait_on(driver, SHOT_FIRST)
        go_to(driver, 1030)
        wait_on(follower, 1030)
        assert read_code(follower, 0) == 1030
        assert driver.locator("[data-testid=dailies-next]").is_hidden()  # the last item
