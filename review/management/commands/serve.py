"""`manage.py serve`: the site as users get it: an ASGI server (HTTP and websockets) plus task workers.

One command so `make demo` needs no process manager. Both children share this terminal; Ctrl-C (or
SIGTERM) stops them together, and if either dies the other is stopped too, so a half-running site never
lingers.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from django.core.management.base import BaseCommand, CommandError

from review.live_relay import RELAY_PATH
from review.management.stop import StopRequest


class Command(BaseCommand):
    help = "Serve the review site (uvicorn, ASGI) with task workers (and their jobs reaper) on the database queue."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--asgi-workers", type=int, default=1, help="ASGI server processes")
        parser.add_argument("--task-workers", type=int, default=1, help="task worker processes")
        parser.add_argument("--queue", action="append", dest="queues",
                            help="queue(s) the task workers take (default: all)")

    def handle(self, *args, host, port, asgi_workers, task_workers, queues, **options):
        from django.conf import settings

        env = {**os.environ, "DJANGO_SETTINGS_MODULE": os.environ.get("DJANGO_SETTINGS_MODULE", "facereplace_site.settings")}
        server = [sys.executable, "-m", "uvicorn", "facereplace_site.asgi:application", "--host", host,
                  "--port", str(port), "--workers", str(asgi_workers), "--log-level", "warning"]
        worker = [sys.executable, "-m", "django", "jobs_worker", "--queue-name",
                  ",".join(queues or settings.TASKS["default"]["QUEUES"])]
        in_memory = "InMemoryChannelLayer" in settings.CHANNEL_LAYERS["default"]["BACKEND"]
        if in_memory and asgi_workers > 1:
            raise CommandError("several ASGI processes need a shared channel layer: set REDIS_URL "
                               "(the in-memory layer lives inside one process)")
        worker_env = dict(env)
        if in_memory:
            # the workers cannot reach the server's in-memory layer: their live events go through it over HTTP
            worker_env["FACEREPLACE_EVENT_RELAY_URL"] = f"http://{host}:{port}/{RELAY_PATH}"
        children = [subprocess.Popen(server, env=env)]
        children += [subprocess.Popen(worker, env=worker_env) for _ in range(task_workers)]
        self.stdout.write(f"serving http://{host}:{port}/ with {task_workers} task worker(s); Ctrl-C stops")

        stopping = StopRequest()
        try:
            while not stopping and all(c.poll() is None for c in children):
                time.sleep(0.5)
        finally:
            for child in children:
                if child.poll() is None:
                    child.terminate()
            for child in children:
                try:
                    child.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    child.kill()
        failed = [c for c in children if c.returncode not in (0, -signal.SIGTERM, None)]
        if failed and not stopping:
            self.stderr.write(f"a server process exited with status {failed[0].returncode}; stopped the others")
            sys.exit(1)
