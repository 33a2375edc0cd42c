"""Benchmark of the review site: the producer's board and the shot API with 500 shots, 3 variants and
20 notes each, on SQLite (the embedded default) and on PostgreSQL (a throwaway cluster started here).

Each database runs in its own process (Django's settings are per process): it migrates an empty database,
fills it in bulk, then times requests through Django's full stack (middleware, auth, views, templates,
serialisers) with the test client, after a warm-up. Reported: p50 and p95 in milliseconds. Goal: p95 under
150 ms on this machine.
"""
from __future__ import annotations

import contextlib
import json
import logging
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from tests.review.live import free_port

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
SHOTS, VARIANTS_PER_SHOT, NOTES_PER_SHOT, SEQUENCES = 500, 3, 20, 10
BOARD_REQUESTS, SHOT_REQUESTS, WARMUP = 30, 150, 3
GOAL_MS = 150.0


def run(report) -> None:
    """Fill and time each database; add p50/p95 of the board and the shot API to `report`."""
    for backend in ("sqlite", "postgresql"):
        with _database(backend) as env:
            timings = _time_in_process(env)
        for page, key in (("board page", "board"), ("shot API", "shot_api")):
            values = sorted(timings[key])
            report.add(f"site {page} p50, {backend}", _percentile(values, 50), "ms")
            report.add(f"site {page} p95, {backend}", _percentile(values, 95), "ms", goal=f"< {GOAL_MS:g}")
        report.add(f"site fill time, {backend}", timings["fill_seconds"], "s")


def _percentile(values: list[float], p: float) -> float:
    k = (len(values) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


@contextlib.contextmanager
def _database(backend: str) -> Iterator[dict[str, str]]:
    """The environment of a site on an empty database of `backend` (PostgreSQL: a cluster made for this run)."""
    home = Path(tempfile.mkdtemp(prefix=f"bench-site-{backend}-"))
    env = {**os.environ, "FACEREPLACE_HOME": str(home), "DJANGO_SETTINGS_MODULE": "facereplace_site.settings",
           "LOG_LEVEL": "WARNING"}
    for name in ("DATABASE_URL", "REDIS_URL", "MEDIA_ROOT"):
        env.pop(name, None)
    try:
        if backend == "sqlite":
            yield env
        else:
            with _postgres(home / "pg") as url:
                yield {**env, "DATABASE_URL": url}
    finally:
        shutil.rmtree(home, ignore_errors=True)


def _as_postgres_user(args: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run its tools as the `postgres` user then."""
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@contextlib.contextmanager
def _postgres(data: Path) -> Iterator[str]:
    port = free_port()
    data.mkdir(parents=True)
    if os.geteuid() == 0:
        shutil.chown(data, "postgres", "postgres")
        shutil.chown(data.parent, "postgres", "postgres")
    quiet = {"check": True, "capture_output": True}
    subprocess.run(_as_postgres_user(["initdb", "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"]),
                   **quiet)
    options = f"-p {port} -k {data} -c listen_addresses=127.0.0.1 -c fsync=off -c shared_buffers=64MB"
    subprocess.run(_as_postgres_user(["pg_ctl", "-D", str(data), "-o", options, "-l", str(data / "log"), "-w",
                                      "start"]), **quiet)
    try:
        subprocess.run(_as_postgres_user(["createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres",
                                          "bench"]), **quiet)
        yield f"postgres://postgres@127.0.0.1:{port}/bench"
    finally:
        subprocess.run(_as_postgres_user(["pg_ctl", "-D", str(data), "-m", "fast", "stop"]), capture_output=True)


def _time_in_process(env: dict[str, str]) -> dict:
    result = subprocess.run([sys.executable, "-m", "tests.bench.bench_site", "--worker"], cwd=ROOT, env=env,
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"site benchmark worker failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


# ---- inside the worker process (Django set up on the database the environment names) ----

def _fill() -> tuple[object, list[int]]:
    """500 shots over 10 sequences, 3 variants and 20 notes each (a reply on every fourth), people with roles."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from review.choices import ShotStatus, VariantKind
    from review.models import Activity, Membership, Note, Project, Sequence, Shot, Variant

    User = get_user_model()
    rng = random.Random(7)
    project = Project.objects.create(code="bench", name="Bench")
    people = {}
    for role in ("producer", "supervisor", "artist", "pipeline"):
        user = User.objects.create_user(username=f"{role}1", password="bench-password")
        Membership.objects.create(project=project, user=user, role=role)
        people[role] = user
    sequences = Sequence.objects.bulk_create([Sequence(project=project, code=f"SQ{i:03d}") for i in range(SEQUENCES)])
    statuses = [s for s in ShotStatus.values]
    today = timezone.localdate()
    shots = Shot.objects.bulk_create([
        Shot(sequence=sequences[i % SEQUENCES], code=f"SH{i:04d}", frame_start=1001, frame_end=1100,
             fps_num=24000, fps_den=1001, status=rng.choice(statuses),
             due_date=today + timezone.timedelta(days=rng.randint(-20, 40)))
        for i in range(SHOTS)])
    Shot.assignees.through.objects.bulk_create([
        Shot.assignees.through(shot_id=s.id, user_id=people["artist"].id) for s in shots])
    kinds = [VariantKind.RIGID, VariantKind.LOOSE, VariantKind.CG]
    Variant.objects.bulk_create([
        Variant(shot=s, kind=kinds[v], label=f"{kinds[v]} A", clip=f"shots/{s.id}/variants/{v}.mp4", clip_frames=100,
                model_name=kinds[v], qc=[{"frame": f, "coverage": 1.0, "anomaly": 0.01} for f in range(1001, 1101)])
        for s in shots for v in range(VARIANTS_PER_SHOT)])
    notes = Note.objects.bulk_create([
        Note(shot=s, frame_start=1001 + n * 4, frame_end=1003 + n * 4, text=f"note {n}: the jaw slides",
             author=people["supervisor"], drawing={"strokes": [{"points": [[0.1, 0.2], [0.3, 0.4], [0.5, 0.5]]}]})
        for s in shots for n in range(NOTES_PER_SHOT)])
    Note.objects.bulk_create([
        Note(shot_id=n.shot_id, parent=n, frame_start=n.frame_start, frame_end=n.frame_end, text="on it",
             author=people["artist"]) for n in notes[::4]])
    Activity.objects.bulk_create([
        Activity(project=project, shot=s, actor=people["pipeline"], verb="variant.published",
                 summary=f"{s.code}: variant published") for s in shots for _ in range(5)])
    return people["producer"], [s.id for s in shots]


def _measure(client, url: str, times: int) -> list[float]:
    out = []
    for _ in range(times):
        start = time.perf_counter()
        response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"{url}: {response.status_code}")
        b"".join(response) if response.streaming else response.content
        out.append((time.perf_counter() - start) * 1000)
    return out


def _worker() -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    call_command("migrate", verbosity=0)
    start = time.perf_counter()
    producer, shot_ids = _fill()
    fill_seconds = time.perf_counter() - start
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(producer)
    _measure(client, "/", WARMUP)
    board = _measure(client, "/", BOARD_REQUESTS)
    rng = random.Random(3)
    _measure(client, f"/api/shots/{shot_ids[0]}/", WARMUP)
    shot_api = [t for sid in rng.sample(shot_ids, SHOT_REQUESTS) for t in _measure(client, f"/api/shots/{sid}/", 1)]
    print(json.dumps({"board": board, "shot_api": shot_api, "fill_seconds": fill_seconds}))


class _PrintReport:
    def add(self, name: str, value: float, unit: str, baseline=None, baseline_value=None, goal=None) -> None:
        print(f"{name:40s} {value:10.1f} {unit}" + (f"   goal {goal}" if goal else ""))


if __name__ == "__main__":
    if "--worker" in sys.argv:
        _worker()
    else:
        run(_PrintReport())
