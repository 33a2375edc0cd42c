"""A worker killed with SIGKILL in the middle of a job: the job is not lost; another worker's reaper finds the
stale heartbeat, re-queues it, and it completes as attempt 2 (the dead task's queue record says what happened)."""
from __future__ import annotations

import os
import signal
import sqlite3

import pytest
import requests

from tests.review.jobs.procs import FAST_JOBS, start_worker, wait_for, workers
from tests.review.live import running_site
from tests.review.media import encode_clip


def _job(db: str) -> dict | None:
    with sqlite3.connect(db, timeout=20) as conn:
        conn.row_factory = sqlite3.Row
        row = conn.execute("SELECT * FROM review_job WHERE kind='review_clip' ORDER BY id LIMIT 1").fetchone()
        return dict(row) if row else None


@pytest.mark.slow
def test_worker_killed_mid_job_is_recovered(tmp_path, monkeypatch):
    for name, value in FAST_JOBS.items():
        monkeypatch.setenv(name, value)
    clip = encode_clip(tmp_path / "long.mp4", frames=72, size="640x360")
    with running_site(tmp_path / "home") as site:
        db = str(site.home / "db.sqlite3")
        pipeline = {"Authorization": f"Token {site.token('bot', 'pipeline', 'kill')}"}
        api = site.url + "/api/"
        shot = requests.post(api + "shots/", json={"project": "kill", "sequence": "SQ1", "code": "SH1",
                                                   "frame_start": 1001, "frame_end": 1072}, headers=pipeline).json()
        with clip.open("rb") as f:
            variant = requests.post(api + f"shots/{shot['id']}/variants/", data={"kind": "rigid", "label": "A"},
                                    files={"clip": f}, headers=pipeline)
        assert variant.status_code == 201, variant.text
        doomed = start_worker(site.env, queues="cpu")
        try:
            running = wait_for("the review clip job to be under way",
                               lambda: (j := _job(db)) and j["state"] == "running" and j["progress"] > 0 and j)
        finally:
            os.kill(doomed.pid, signal.SIGKILL)
            doomed.wait()
        assert running["attempt"] == 1
        with workers(site.env, 1):
            done = wait_for("the job to be recovered and done", lambda: (j := _job(db))["state"] in ("done", "failed")
                            and j, timeout=90)
        assert done["state"] == "done", done["error"]
        assert done["attempt"] == 2 and "stopped responding" in done["log"] and done["worker"] != running["worker"]
        with sqlite3.connect(db) as conn:  # the queue stores the task's UUID as 32 hex digits
            lost = conn.execute("SELECT status, traceback FROM django_tasks_database_dbtaskresult WHERE id = ?",
                                (running["task_id"].replace("-", ""),)).fetchone()
        assert lost[0] == "FAILED" and "stopped responding" in lost[1]
        variant = requests.get(api + f"variants/{variant.json()['id']}/", headers=pipeline).json()
        assert variant["thumbnail_url"] and variant["filmstrip_url"]
