"""`manage.py serve`: the site as users get it: an ASGI server (HTTP and websockets) plus task workers.

One command so `make demo` needs no process manager. It supervises its children: a task worker that dies
(killed with SIGKILL, or by the kernel for memory) is restarted after a back-off (1 s, doubling up to a
minute, back to 1 s once a worker has run for a minute) with a log line saying so, and the site stays up;
the job the worker held is re-queued by the other workers' reaper as usual. If the ASGI server itself
dies, the workers are stopped too and serve exits non-zero. Ctrl-C (or SIGTERM) stops everything together:
the workers first (a task they stop is re-queued by the reaper on the next start), then the server.
"""
from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field

from django.core.management.base import BaseCommand, CommandError

from review.live_relay import RELAY_PATH
from review.management.stop import StopRequest

logger = logging.getLogger(__name__)

RESTART_FIRST_SECONDS = 1.0
RESTART_MAX_SECONDS = 60.0
HEALTHY_SECONDS = 60.0  # a worker that ran this long before dying is restarted without waiting long


@dataclass
class WorkerSlot:
    """One task worker process kept running: restarted after a back-off each time it dies."""

    number: int
    args: list[str]
    env: dict[str, str]
    process: subprocess.Popen | None = None
    started: float = 0.0
    delay: float = RESTART_FIRST_SECONDS
    restart_at: float = field(default=0.0)

    def start(self) -> None:
        self.process = subprocess.Popen(self.args, env=self.env)
        self.started = time.monotonic()

    def supervise(self, now: float) -> None:
        """Notice a dead worker and schedule its restart; restart it when its back-off has passed."""
        if self.process is None:
            if now >= self.restart_at:
                self.start()
                logger.warning("task worker %d restarted (pid %d)", self.number, self.process.pid)
            return
        status = self.process.poll()
        if status is None:
            return
        if now - self.started >= HEALTHY_SECONDS:
            self.delay = RESTART_FIRST_SECONDS
        logger.warning("task worker %d (pid %d) exited with status %s after %.0f s; restarting it in %.0f s "
                       "(its running job is re-queued by the reaper)", self.number, self.process.pid, status,
                       now - self.started, self.delay)
        self.process, self.restart_at = None, now + self.delay
        self.delay = min(self.delay * 2, RESTART_MAX_SECONDS)


class Command(BaseCommand):
    help = "Serve the review site (uvicorn, ASGI) with task workers (and their jobs reaper) on the database queue."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--asgi-workers", type=int, default=1, help="ASGI server processes")
        parser.add_argument("--task-workers", type=int, default=1, help="task worker processes")
        parser.add_argument("--queue", action="append", dest="queues",
                            help="queue(s) the task workers take (default: all)")
        parser.add_argument("--worker-nice", type=int, default=0,
                            help="run the task workers this much nicer (lower CPU priority) than the ASGI server, so "
                                 "pages answer at once while a worker trains on the same cores (the demo: 10)")

    def handle(self, *args, host, port, asgi_workers, task_workers, queues, worker_nice, **options):
        from django.conf import settings

        env = {**os.environ, "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "facereplace_site.settings")}
        server_args = [sys.executable, "-m", "uvicorn", "facereplace_site.asgi:application", "--host", host,
                       "--port", str(port), "--workers", str(asgi_workers), "--log-level", "warning"]
        worker_args = [*(["nice", "-n", str(worker_nice)] if worker_nice else []), sys.executable, "-m", "django",
                       "jobs_worker", "--queue-name", ",".join(queues or settings.TASKS["default"]["QUEUES"])]
        in_memory = "InMemoryChannelLayer" in settings.CHANNEL_LAYERS["default"]["BACKEND"]
        if in_memory and asgi_workers > 1:
            raise CommandError("several ASGI processes need a shared channel layer: set REDIS_URL "
                               "(the in-memory layer lives inside one process)")
        worker_env = dict(env)
        if in_memory:
            # the workers cannot reach the server's in-memory layer: their live events go through it over HTTP
            worker_env["FACEREPLACE_EVENT_RELAY_URL"] = f"http://{host}:{port}/{RELAY_PATH}"
        server = subprocess.Popen(server_args, env=env)
        workers = [WorkerSlot(number=n + 1, args=worker_args, env=worker_env) for n in range(task_workers)]
        for worker in workers:
            worker.start()
        self.stdout.write(f"serving http://{host}:{port}/ with {task_workers} task worker(s); Ctrl-C stops")

        stopping = StopRequest()
        try:
            while not stopping and server.poll() is None:
                now = time.monotonic()
                for worker in workers:
                    worker.supervise(now)
                time.sleep(0.2)
        finally:
            # the workers first: a worker finishing its task still reports through the server's relay
            _stop([w.process for w in workers if w.process is not None])
            _stop([server])
        if not stopping:
            self.stderr.write(f"the ASGI server exited with status {server.returncode}; stopped the task workers")
            sys.exit(1)


def _stop(children: list[subprocess.Popen], grace: float = 10.0) -> None:
    """SIGTERM the children, then SIGKILL those still running after `grace` seconds."""
    for child in children:
        if child.poll() is None:
            child.terminate()
    for child in children:
        try:
            child.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
