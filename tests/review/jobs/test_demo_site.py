"""`make demo`'s site (`manage.py demo_site`, quick): up and ready to sign in at once, while the engine's work on
the demo's shot runs as the site's jobs, whose progress the API and the shot's page show; the variants appear on
the shot as the conversions publish them."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import requests

from review.management.health import wait_until_healthy
from tests.review.live import free_port, stop
from tests.timing import patience

ROOT = Path(__file__).resolve().parents[3]


def _signed_in(site: str, username: str, password: str) -> requests.Session:
    """A browser-like session signed in through the login form, as a newcomer does with the printed account."""
    session = requests.Session()
    session.get(f"{site}/login/", timeout=patience(10)).raise_for_status()
    answer = session.post(f"{site}/login/", timeout=patience(10), headers={"Referer": f"{site}/login/"},
                          data={"username": username, "password": password,
                                "csrfmiddlewaretoken": session.cookies["csrftoken"]})
    assert answer.ok and not answer.url.endswith("/login/"), answer.text[:500]
    return session


def test_the_demo_site_answers_at_once_while_its_engine_jobs_run_and_show_their_progress(tmp_path):
    env = {**os.environ, "FACEREPLACE_HOME": str(tmp_path / "home"), "DJANGO_SETTINGS_MODULE": "facereplace_site.settings",
           "FACEREPLACE_ENGINE_ROOT": str(tmp_path / "engine")}
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput"], cwd=ROOT, env=env, check=True,
                   capture_output=True, timeout=patience(120))
    site = f"http://127.0.0.1:{free_port()}"
    output = tmp_path / "demo.log"
    started = time.monotonic()
    with output.open("w") as log:
        demo = subprocess.Popen([sys.executable, "manage.py", "demo_site", "--quick", "--port", site.rsplit(":", 1)[1]],
                                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_until_healthy(site, process=demo, timeout=patience(60), what="manage.py demo_site")
        assert time.monotonic() - started < patience(60)
        session = _signed_in(site, "supervisor", "pick-the-take")

        seen: dict[int, list[tuple[str, str, float]]] = {}  # job id -> (kind, state, progress) as each poll saw it
        slowest, variants, shot, board_rows, jobs = 0.0, [], None, [], []
        deadline = time.monotonic() + patience(600)
        # until the variants are published and every job has finished (a conversion publishes, then finishes)
        while time.monotonic() < deadline and not (len(variants) == 3 and all(j["state"] == "done" for j in jobs)):
            asked = time.monotonic()
            if shot is None:
                found = session.get(f"{site}/api/shots/?code=pirouette", timeout=patience(10)).json()["results"]
                shot = found[0] if found else None
            else:
                jobs = session.get(f"{site}/api/shots/{shot['id']}/jobs/", timeout=patience(10)).json()["results"]
                for job in jobs:
                    seen.setdefault(job["id"], []).append((job["kind"], job["state"], job["progress"]))
                if any(job["kind"] == "engine" and job["state"] == "running" for job in jobs):
                    board = session.get(f"{site}/", timeout=patience(10)).text
                    board_rows.append(board.split(f'<tr id="shot-{shot["id"]}"')[1].split("</tr>")[0])
                variants = session.get(f"{site}/api/shots/{shot['id']}/", timeout=patience(10)).json()["variants"]
            slowest = max(slowest, time.monotonic() - asked)
            time.sleep(0.3)
        assert shot is not None, output.read_text()[-3000:]
        assert sorted(v["label"] for v in variants) == ["cg", "loose", "rigid"], (seen, output.read_text()[-3000:])
        assert slowest < patience(3), f"the site took {slowest:.1f} s to answer while the engine trained"

        engine = [polls for polls in seen.values() if polls[0][0] == "engine"]
        assert len(engine) == 1, seen
        # the engine run was seen running, part way through, before it was done
        assert any(state == "running" and 0 < progress < 1 for _, state, progress in engine[0]), engine
        assert engine[0][-1][1:] == ("done", 1.0)
        # the board showed the engine run's progress in the shot's row while it ran
        assert any("<progress" in row and "Engine run" in row for row in board_rows), board_rows[-3:]
        conversions = [polls for polls in seen.values() if polls[0][0] == "convert"]
        assert len(conversions) == 3 and all(polls[-1][1] == "done" for polls in conversions), seen

        page = session.get(f"{site}/shots/{shot['id']}/", timeout=patience(10)).text
        assert page.count('<progress max="1" value="1.0">') >= 4 and "Engine run" in page and "Conversion" in page
        detail = session.get(f"{site}/api/shots/{shot['id']}/", timeout=patience(10)).json()
        assert detail["status"] == "in_review" and detail["plate"]["clip_url"]
    finally:
        stop(demo)
    printed = output.read_text()
    assert "The review site is up" in printed and "supervisor / pick-the-take" in printed
    assert f"pirouette: {site}/shots/{shot['id']}/" in printed and "pirouette: engine run queued" in printed
