"""The site at scale, for real: PostgreSQL for the database and the queue, Redis for the channel layer, two
ASGI processes and two task workers. A shot goes through publish, approve and render on one ASGI process
while a browser-like websocket client on the other hears every event; the render's chunks are shared by
both workers, and so are a conversion's."""
from __future__ import annotations

import os
import subprocess
import sys
import time

import psycopg
import pytest
import requests

from tests.review.jobs.engine_shot import make_engine_shot
from tests.review.jobs.procs import FAST_JOBS, ROOT, Listener, asgi_servers, login, wait_for, workers
from tests.review.media import encode_clip
from tests.scale.servers import postgres, redis

pytestmark = [pytest.mark.scale, pytest.mark.slow]


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    """PostgreSQL + Redis + two ASGI processes + two workers, migrated, with a supervisor and a pipeline."""
    home = tmp_path_factory.mktemp("studio")
    with postgres() as database_url, redis() as redis_url:
        env = {**os.environ, **FAST_JOBS, "FACEREPLACE_HOME": str(home), "DATABASE_URL": database_url,
               "REDIS_URL": redis_url, "DJANGO_SETTINGS_MODULE": "facereplace_site.settings", "LOG_LEVEL": "WARNING",
               "FACEREPLACE_RENDER_CHUNK_FRAMES": "4", "FACEREPLACE_CONVERT_CHUNK_FRAMES": "4",
               "FACEREPLACE_ENGINE_ROOT": str(home / "engine")}

        def manage(*args: str) -> str:
            return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True,
                                  text=True, check=True).stdout.strip()

        manage("migrate", "--noinput")
        tokens = {role: manage("review_user", name, "--role", role, "--project", "dance", "--token",
                               *(["--password", "pirouette-42"] if role == "supervisor" else []))
                  for name, role in (("sam", "supervisor"), ("bot", "pipeline"))}
        with asgi_servers(env, 2) as urls, workers(env, 2):
            yield {"urls": urls, "tokens": tokens, "database_url": database_url, "home": home}


def test_publish_approve_render_across_processes(studio, tmp_path):
    site_a, site_b = studio["urls"]
    pipeline = {"Authorization": f"Token {studio['tokens']['pipeline']}"}
    supervisor = {"Authorization": f"Token {studio['tokens']['supervisor']}"}
    api = site_a + "/api/"
    shot = requests.post(api + "shots/", json={"project": "dance", "sequence": "SQ010", "code": "SH010",
                                               "frame_start": 1001, "frame_end": 1024}, headers=pipeline).json()
    cookie = login(site_b, "sam", "pirouette-42")
    shot_events = Listener(site_b, f"/ws/shots/{shot['id']}/", cookie)
    job_events = Listener(site_b, f"/ws/shots/{shot['id']}/jobs/", cookie)
    board_events = Listener(site_b, "/ws/board/", cookie)

    variants = []
    for label, pattern in (("rigid", "testsrc"), ("loose", "smptebars")):
        clip = encode_clip(tmp_path / f"{label}.mp4", frames=24, size="320x240", colour=pattern)
        with clip.open("rb") as f:
            answer = requests.post(api + f"shots/{shot['id']}/variants/", data={"kind": label, "label": label},
                                   files={"clip": f}, headers=pipeline)
        assert answer.status_code == 201, answer.text
        variants.append(answer.json()["id"])
    edit = requests.post(api + f"shots/{shot['id']}/edits/", headers=supervisor, json={"segments": [
        {"variant": variants[0], "frame_start": 1001, "frame_end": 1012},
        {"variant": variants[1], "frame_start": 1013, "frame_end": 1024, "transition": 4}]}).json()
    decided = requests.post(api + f"edits/{edit['id']}/decisions/", json={"decision": "approve"}, headers=supervisor)
    assert decided.status_code == 201, decided.text

    def final() -> bool:
        data = requests.get(api + f"shots/{shot['id']}/", headers=supervisor, timeout=30).json()
        failed = [r["log"] for r in data["renders"] if r["state"] == "failed"]
        assert not failed, f"the render failed: {failed}"
        return data["status"] == "final"
    wait_for("the shot to be final", final, timeout=60, every=0.3)
    wait_for("the last events to arrive", lambda: any(m.get("status") == "final" for m in shot_events.messages),
             timeout=10)
    time.sleep(0.5)
    heard, jobs_heard, board_heard = shot_events.close(), job_events.close(), board_events.close()

    statuses = [m["status"] for m in heard if m["type"] == "status.changed"]
    assert statuses == ["in_review", "approved", "rendering", "final"]
    kinds = [m["type"] for m in heard]
    for expected in ("variant.published", "variant.updated", "edit.created", "decision.created", "render.progress"):
        assert expected in kinds, f"{expected} never reached the other ASGI process: {kinds}"
    assert kinds.count("variant.published") == 2 and kinds.count("variant.updated") == 2
    render_states = [m["state"] for m in heard if m["type"] == "render.progress"]
    assert render_states[0] == "queued" and render_states[-1] == "done" and "running" in render_states
    assert [m["status"] for m in board_heard if m["type"] == "status.changed"] == statuses

    with psycopg.connect(studio["database_url"].replace("postgres://", "postgresql://")) as db:
        chunks = db.execute("SELECT id, worker, state FROM review_job WHERE parent_id IS NOT NULL").fetchall()
        activity = db.execute("SELECT count(*) FROM review_activity WHERE shot_id = %s AND verb = 'status.changed'",
                              (shot["id"],)).fetchone()[0]
    assert len(chunks) == 6 and {state for _, _, state in chunks} == {"done"}
    assert len({worker for _, worker, _ in chunks}) == 2, f"one worker did every chunk: {chunks}"
    assert activity == len(statuses)
    done_chunks = {m["job"] for m in jobs_heard if m["parent"] and m["state"] == "done"}
    assert done_chunks == {chunk_id for chunk_id, _, _ in chunks}, "a chunk's completion never reached the page"
    assert any(m["state"] == "running" and 0 < m["progress"] < 1 for m in jobs_heard)


def test_a_conversion_is_shared_by_both_workers(studio):
    """A TD re-runs one variant's conversion: its frame chunks go to both workers, the join publishes it."""
    pipeline = {"Authorization": f"Token {studio['tokens']['pipeline']}"}
    supervisor = {"Authorization": f"Token {studio['tokens']['supervisor']}"}
    api = studio["urls"][0] + "/api/"
    shot = requests.post(api + "shots/", json={"project": "dance", "sequence": "SQ010", "code": "SH020",
                                               "frame_start": 1001, "frame_end": 1016}, headers=pipeline).json()
    make_engine_shot(studio["home"] / "engine" / "dance" / "SQ010" / "SH020" / "pirouette", frames=16)
    answer = requests.post(api + f"shots/{shot['id']}/jobs/convert/", json={"name": "pirouette", "variant": "tiny"},
                           headers=supervisor)
    assert answer.status_code == 201, answer.text

    def converted() -> bool:
        jobs = requests.get(api + f"shots/{shot['id']}/jobs/", headers=supervisor, timeout=30).json()["results"]
        job = next(j for j in jobs if j["id"] == answer.json()["id"])
        assert job["state"] != "failed", job["error"]
        return job["state"] == "done"
    wait_for("the conversion to be joined", converted, timeout=120, every=0.3)
    with psycopg.connect(studio["database_url"].replace("postgres://", "postgresql://")) as db:
        chunks = db.execute("SELECT worker FROM review_job WHERE parent_id = %s", (answer.json()["id"],)).fetchall()
    assert len(chunks) == 4 and len({worker for (worker,) in chunks}) == 2, f"one worker did every chunk: {chunks}"
    variants = requests.get(api + f"shots/{shot['id']}/", headers=supervisor).json()["variants"]
    assert [(v["label"], v["kind"]) for v in variants] == [("tiny", "loose")]
