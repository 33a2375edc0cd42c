"""The site under its Content-Security-Policy in Chromium (issue 28, finding 8): the board and the shot page's
player load, play, step and go live with the policy on, and the browser reports no violation; a review clip
opened on its own still plays under the media answers' own policy (which runs no script)."""
from __future__ import annotations

import pytest

from tests.e2e.conftest import PASSWORD, SHOT_FIRST, read_code

pytestmark = pytest.mark.e2e

# Collects every violation the page's policy reports, from the first script on (before the page's own).
REPORT_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation',
  (e) => window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'}`));
"""


LIVE = "() => document.querySelector('[data-testid=live]').dataset.state === 'live'"
CLIP_DECODED = "() => document.querySelector('video') && document.querySelector('video').readyState >= 2"


def violations(page) -> list[str]:
    return page.evaluate("window.__cspViolations")


def test_the_player_works_under_the_content_security_policy(browser, live_site):
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    context.add_init_script(REPORT_VIOLATIONS)
    console = []
    try:
        page = context.new_page()
        page.on("console", lambda message: console.append(message.text))
        login = page.goto(f"{live_site.url}/login/")
        assert "script-src 'self'" in login.headers["content-security-policy"]
        page.fill("input[name=username]", "sup")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_site.url}/")
        page.wait_for_function(LIVE, timeout=10000)
        assert violations(page) == [], "the board broke the policy"

        shot = page.goto(f"{live_site.url}/shots/{live_site.shots['SH030']}/")
        assert "connect-src 'self'" in shot.headers["content-security-policy"]
        page.wait_for_function(LIVE, timeout=10000)
        page.wait_for_function("() => [...document.querySelectorAll('.fr-view video')].every(v => v.readyState >= 2)",
                               timeout=10000)
        assert read_code(page, 0) == SHOT_FIRST
        for _ in range(3):
            page.click("[data-testid=step-forward]")
        page.wait_for_function("(f) => document.querySelector('[data-testid=frame]').value === String(f)",
                               arg=SHOT_FIRST + 3, timeout=10000)
        assert read_code(page, 0) == SHOT_FIRST + 3
        page.click("[data-testid=play]")
        page.wait_for_function("(f) => Number(document.querySelector('[data-testid=frame]').value) > f + 5",
                               arg=SHOT_FIRST + 3, timeout=10000)
        page.click("[data-testid=play]")
        assert violations(page) == [], "the player broke the policy"
        assert not [text for text in console if "Content Security Policy" in text], console

        clip = live_site.api("GET", f"shots/{live_site.shots['SH030']}/", as_user="sup").json()["variants"][0]
        opened = page.goto(live_site.url + clip["clip_url"])
        assert opened.headers["content-type"] == "video/mp4"
        assert opened.headers["content-security-policy"].startswith("default-src 'none'")
        page.wait_for_function(CLIP_DECODED, timeout=10000)
    finally:
        context.close()
