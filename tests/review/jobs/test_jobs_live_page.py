"""The shot page in Chromium against a live site (uvicorn, SQLite, one worker): a job's progress arrives
without reload, a failed render shows its error and a Retry button live, and Retry renders the shot final."""
from __future__ import annotations

import subprocess

import pytest
import requests

from review.live_relay import RELAY_PATH
from tests.review.jobs.procs import FAST_JOBS, start_worker, wait_for
from tests.review.live import running_site
from tests.review.media import encode_clip
from tests.timing import patience_ms

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
PASSWORD = "jobs-page-42"


def test_jobs_live_on_the_shot_page(browser, tmp_path, monkeypatch):
    for name, value in FAST_JOBS.items():
        monkeypatch.setenv(name, value)
    with running_site(tmp_path / "home") as site:
        pipeline = {"Authorization": f"Token {site.token('bot', 'pipeline', 'live')}"}
        supervisor = {"Authorization": f"Token {site.manage('review_user', 'sam', '--role', 'supervisor', '--project', 'live', '--token', '--password', PASSWORD)}"}
        api = site.url + "/api/"
        shot = requests.post(api + "shots/", json={"project": "live", "sequence": "SQ1", "code": "SH1",
                                                   "frame_start": 1001, "frame_end": 1048}, headers=pipeline).json()
        with encode_clip(tmp_path / "a.mp4", frames=48, size="320x240").open("rb") as f:
            variant = requests.post(api + f"shots/{shot['id']}/variants/", data={"kind": "rigid", "label": "A"},
                                    files={"clip": f}, headers=pipeline).json()

        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.goto(f"{site.url}/login/")
        page.fill("input[name=username]", "sam")
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit], input[type=submit]")
        page.goto(f"{site.url}/shots/{shot['id']}/")
        row = page.locator("#jobs tbody tr").first
        assert row.get_attribute("data-state") == "queued"
        page.wait_for_function("document.getElementById('jobs').dataset.live === '1'")

        worker = start_worker({**site.env, "FACEREPLACE_EVENT_RELAY_URL": f"{site.url}/{RELAY_PATH}"})
        try:
            page.wait_for_function("document.querySelector('#jobs tbody tr').dataset.state === 'done'", timeout=patience_ms(60))
            assert "review clip" in row.locator(".job-log").text_content()
            assert row.locator("progress").evaluate("p => p.value") == 1

            clip = requests.get(api + f"variants/{variant['id']}/", headers=pipeline).json()["clip_url"]
            stored = site.home / "media" / clip.split("/media/", 1)[1]
            stored.rename(stored.with_suffix(".away"))
            edit = requests.post(api + f"shots/{shot['id']}/edits/", headers=supervisor, json={
                "segments": [{"variant": variant["id"], "frame_start": 1001, "frame_end": 1048}]}).json()
            requests.post(api + f"edits/{edit['id']}/decisions/", json={"decision": "approve"}, headers=supervisor)
            failed = page.locator("#jobs tbody tr[data-kind=render][data-state=failed]")
            failed.wait_for(timeout=patience_ms(60))
            assert "no such file" in failed.locator(".job-error").text_content()
            stored.with_suffix(".away").rename(stored)
            failed.locator("button", has_text="Retry").click()
            page.wait_for_function("document.getElementById('shot-status').dataset.status === 'final' || "
                                   "[...document.querySelectorAll('#jobs tr[data-kind=render]')].some("
                                   "r => r.dataset.state === 'done')", timeout=patience_ms(60))
            wait_for("the shot to be final", lambda: requests.get(api + f"shots/{shot['id']}/", headers=pipeline)
                     .json()["status"] == "final", timeout=30, every=0.3)
        finally:
            worker.terminate()
            try:
                worker.wait(timeout=15)
            except subprocess.TimeoutExpired:
                worker.kill()
            context.close()


def test_the_convert_control_queues_a_conversion_shown_on_the_page(browser, tmp_path):
    with running_site(tmp_path / "home") as site:
        pipeline = {"Authorization": f"Token {site.token('bot', 'pipeline', 'live')}"}
        supervisor = {"Authorization": f"Token {site.manage('review_user', 'sam', '--role', 'supervisor', '--project', 'live', '--token', '--password', PASSWORD)}"}
        shot = requests.post(site.url + "/api/shots/", json={"project": "live", "sequence": "SQ1", "code": "SH1",
                                                             "frame_start": 1001, "frame_end": 1012},
                             headers=pipeline).json()
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        try:
            page.goto(f"{site.url}/login/")
            page.fill("input[name=username]", "sam")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit], input[type=submit]")
            page.goto(f"{site.url}/shots/{shot['id']}/")
            chosen = page.locator("#engine-form input[name=variants]")
            assert [chosen.nth(i).get_attribute("value") for i in range(chosen.count())] == ["rigid", "loose", "cg"]
            form = page.locator("#convert-form")
            form.locator("input[name=name]").fill("pirouette")
            form.locator("select[name=variant]").select_option("loose")
            form.locator("button", has_text="Convert").click()
            row = page.locator("#jobs tbody tr[data-kind=convert]")
            row.wait_for(timeout=patience_ms(30))
            assert row.get_attribute("data-state") == "queued" and "Conversion" in row.text_content()
            jobs = requests.get(site.url + f"/api/shots/{shot['id']}/jobs/", headers=supervisor).json()["results"]
            assert [(j["kind"], j["queue"], j["state"]) for j in jobs] == [("convert", "gpu", "queued")]
            # the same conversion twice while the first waits: refused, and the page says why
            form.locator("input[name=name]").fill("pirouette")
            form.locator("select[name=variant]").select_option("loose")
            form.locator("button", has_text="Convert").click()
            page.get_by_text("already queued").wait_for(timeout=patience_ms(30))
            assert page.locator("#jobs tbody tr[data-kind=convert]").count() == 1
        finally:
            context.close()
