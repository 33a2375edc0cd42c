"""`manage.py serve` supervises its task worker (issue 28, finding 5): killed with SIGKILL, the worker is
restarted after a back-off with a log line, the site answers throughout, and jobs still run afterwards."""
from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.review.jobs.procs import wait_for
from tests.review.live import ROOT, free_port
from tests.review.media import encode_clip


def task_workers(parent: int) -> list[int]:
    """Pids of the `jobs_worker` processes whose parent is `parent` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError):
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            if ppid == parent and b"jobs_worker" in (entry / "cmdline").read_bytes():
                found.append(int(entry.name))
    return found


@contextlib.contextmanager
def served(home: Path) -> Iterator[tuple[str, subprocess.Popen, Path, dict[str, str]]]:
    env = {**os.environ, "FACEREPLACE_HOME": str(home), "DJANGO_SETTINGS_MODULE": "facereplace_site.settings",
           "LOG_LEVEL": "INFO"}
    for name in ("DATABASE_URL", "REDIS_URL", "MEDIA_ROOT"):
        env.pop(name, None)
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    port, log = free_port(), home / "serve.log"
    with log.open("w") as out:
        serve = subprocess.Popen([sys.executable, "manage.py", "serve", "--port", str(port)], cwd=ROOT, env=env,
                                 stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        def up() -> bool:
            assert serve.poll() is None, log.read_text()
            with contextlib.suppress(requests.RequestException):
                return requests.get(url + "/health/", timeout=5).status_code == 200
            return False
        wait_for("serve to answer", up, timeout=90, every=0.2)
        yield url, serve, log, env
    finally:
        serve.send_signal(signal.SIGTERM)
        serve.wait(timeout=30)


@pytest.mark.slow
def test_a_killed_worker_is_restarted_and_the_site_stays_up(tmp_path):
    clip = encode_clip(tmp_path / "clip.mp4")
    with served(tmp_path / "home") as (url, serve, log, env):
        first = wait_for("the task worker to start", lambda: task_workers(serve.pid), timeout=30)
        assert len(first) == 1
        os.kill(first[0], signal.SIGKILL)
        assert requests.get(url + "/health/", timeout=10).status_code == 200  # the site did not go down with it
        second = wait_for("a new task worker", lambda: [p for p in task_workers(serve.pid) if p not in first],
                          timeout=30)
        text = log.read_text()
        assert f"(pid {first[0]}) exited with status -9" in text and "restarting it in 1 s" in text, text
        assert f"task worker 1 restarted (pid {second[0]})" in text
        assert serve.poll() is None and requests.get(url + "/health/", timeout=10).status_code == 200

        token = subprocess.run([sys.executable, "manage.py", "review_user", "bot", "--role", "pipeline", "--project",
                                "P", "--token"], cwd=ROOT, env=env, capture_output=True, text=True,
                               check=True).stdout.strip()
        pipeline = {"Authorization": f"Token {token}"}
        shot = requests.post(url + "/api/shots/", json={"project": "P", "sequence": "SQ1", "code": "SH1",
                                                        "frame_start": 1001, "frame_end": 1012}, headers=pipeline)
        assert shot.status_code == 201, shot.text
        with clip.open("rb") as f:
            variant = requests.post(url + f"/api/shots/{shot.json()['id']}/variants/", headers=pipeline,
                                    data={"kind": "rigid", "label": "A"}, files={"clip": f})
        assert variant.status_code == 201, variant.text

        def review_clip_done() -> dict | None:
            jobs = requests.get(url + f"/api/shots/{shot.json()['id']}/jobs/", headers=pipeline).json()["results"]
            return jobs[0] if jobs and jobs[0]["state"] in ("done", "failed") else None
        job = wait_for("the restarted worker to run the review clip job", review_clip_done, timeout=120, every=0.5)
        assert job["state"] == "done", job["error"]
        assert job["worker"].endswith(f":{second[0]}")
