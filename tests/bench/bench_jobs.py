"""Benchmark of the live layer and the task queue.

- Websocket fan-out: 200 clients on one shot's socket of a real uvicorn; a supervisor changes the shot's status
  through the API; latency from just before the request to each client's receipt (p50, p95), with the
  in-memory channel layer and with Redis.
- Queue throughput: 400 empty tasks enqueued at once, drained by `db_worker` processes (1 and 2), on SQLite
  and on PostgreSQL; tasks per second from the enqueue's commit to the last task done.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CLIENTS, CHANGES = 200, 10
EMPTY_TASKS = 400


def run(report) -> None:
    from tests.scale.servers import postgres, redis

    for layer in ("in-memory", "redis"):
        with _home() as env, (redis() if layer == "redis" else contextlib.nullcontext()) as redis_url:
            if redis_url:
                env["REDIS_URL"] = redis_url
            latencies = sorted(_fan_out(env))
        for q in (50, 95):
            report.add(f"websocket fan-out to {CLIENTS} clients p{q}, {layer} layer", _percentile(latencies, q), "ms")
    for backend in ("sqlite", "postgresql"):
        for workers in (1, 2):
            with _home() as env, (postgres() if backend == "postgresql" else contextlib.nullcontext()) as url:
                if url:
                    env["DATABASE_URL"] = url
                rate = _throughput(env, workers)
            report.add(f"queue throughput, {backend}, {workers} worker(s)", rate, "tasks/s")


@contextlib.contextmanager
def _home() -> Iterator[dict[str, str]]:
    home = Path(tempfile.mkdtemp(prefix="bench-jobs-"))
    env = {**os.environ, "FACEREPLACE_HOME": str(home), "DJANGO_SETTINGS_MODULE": "facereplace_site.settings",
           "LOG_LEVEL": "WARNING"}
    for name in ("DATABASE_URL", "REDIS_URL", "MEDIA_ROOT", "FACEREPLACE_EVENT_RELAY_URL"):
        env.pop(name, None)
    try:
        yield env
    finally:
        shutil.rmtree(home, ignore_errors=True)


def _manage(env: dict[str, str], *args: str) -> str:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          check=True).stdout.strip()


def _percentile(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, round(q / 100 * (len(values) - 1)))]


def _fan_out(env: dict[str, str]) -> list[float]:
    """Milliseconds from each status change to each client's receipt of it."""
    import requests

    from tests.review.jobs.procs import asgi_servers, login

    _manage(env, "migrate", "--noinput")
    token = _manage(env, "review_user", "sam", "--role", "supervisor", "--project", "bench", "--token",
                    "--password", "fan-out-42")
    with asgi_servers(env, 1) as (url,):
        headers = {"Authorization": f"Token {token}"}
        shot = requests.post(url + "/api/shots/", json={"project": "bench", "sequence": "SQ1", "code": "SH1"},
                             headers=headers, timeout=30).json()
        cookie = login(url, "sam", "fan-out-42")
        return asyncio.run(_listen_and_change(url, shot["id"], cookie, headers))


async def _listen_and_change(url: str, shot_id: int, cookie: str, headers: dict[str, str]) -> list[float]:
    import requests
    from websockets.asyncio.client import connect

    ws_url = url.replace("http://", "ws://") + f"/ws/shots/{shot_id}/"
    sockets = [await connect(ws_url, additional_headers={"Cookie": cookie, "Origin": url}, open_timeout=60)
               for _ in range(CLIENTS)]
    latencies: list[float] = []
    try:
        for i in range(CHANGES):
            status = "on_hold" if i % 2 == 0 else "waiting"
            started = time.perf_counter()
            send = asyncio.to_thread(requests.post, url + f"/api/shots/{shot_id}/status/", json={"status": status},
                                     headers=headers, timeout=30)

            async def receive(ws) -> float:
                while True:
                    message = json.loads(await ws.recv())
                    if message.get("type") == "status.changed" and message.get("status") == status:
                        return (time.perf_counter() - started) * 1000

            answer, *received = await asyncio.wait_for(asyncio.gather(send, *(receive(ws) for ws in sockets)), 60)
            answer.raise_for_status()
            latencies += received
    finally:
        for ws in sockets:
            await ws.close()
    return latencies


def _throughput(env: dict[str, str], workers: int) -> float:
    _manage(env, "migrate", "--noinput")
    procs = [subprocess.Popen([sys.executable, "manage.py", "db_worker", "--queue-name", "default", "--interval",
                               "0.05", "--no-startup-delay", "--verbosity", "0"], cwd=ROOT, env=env,
                              stderr=subprocess.DEVNULL)  # a worker stopped mid-poll prints a harmless traceback
             for _ in range(workers)]
    try:
        time.sleep(3)  # the workers are up and polling
        result = subprocess.run([sys.executable, "-m", "tests.bench.bench_jobs", "--enqueue-and-wait"], cwd=ROOT,
                                env=env, capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"queue benchmark failed:\n{result.stderr[-3000:]}")
        return float(result.stdout.strip().splitlines()[-1])
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=15)


def _enqueue_and_wait() -> float:
    """Inside a Django process: enqueue EMPTY_TASKS at once, wait until all succeeded; tasks per second."""
    import django

    django.setup()
    from django.db import transaction
    from django_tasks_db.models import DBTaskResult

    from tests.bench.jobs_empty_task import empty_task

    with transaction.atomic():
        for _ in range(EMPTY_TASKS):
            empty_task.enqueue()
    started = time.perf_counter()
    deadline = started + 300
    while DBTaskResult.objects.filter(status="SUCCESSFUL").count() < EMPTY_TASKS:
        if time.perf_counter() > deadline:
            raise RuntimeError("the workers did not drain the queue in 5 minutes")
        time.sleep(0.02)
    return EMPTY_TASKS / (time.perf_counter() - started)


if __name__ == "__main__" and sys.argv[1:] == ["--enqueue-and-wait"]:
    print(_enqueue_and_wait())
