"""A real review site for tests: migrated file SQLite under a temporary FACEREPLACE_HOME, uvicorn on a free port."""
from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class LiveSite:
    url: str
    home: Path
    env: dict[str, str]

    def manage(self, *args: str) -> str:
        result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True,
                                text=True, check=True)
        return result.stdout.strip()

    def token(self, username: str, role: str, project: str) -> str:
        return self.manage("review_user", username, "--role", role, "--project", project, "--token")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_site(home: Path) -> Iterator[LiveSite]:
    env = {**os.environ, "FACEREPLACE_HOME": str(home), "DJANGO_SETTINGS_MODULE": "facereplace_site.settings",
           "LOG_LEVEL": "WARNING"}
    for name in ("DATABASE_URL", "REDIS_URL", "MEDIA_ROOT"):
        env.pop(name, None)
    port = free_port()
    site = LiveSite(url=f"http://127.0.0.1:{port}", home=home, env=env)
    site.manage("migrate", "--noinput")
    server = subprocess.Popen([sys.executable, "-m", "uvicorn", "facereplace_site.asgi:application", "--host",
                               "127.0.0.1", "--port", str(port), "--log-level", "warning"], cwd=ROOT, env=env)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(site.url + "/health/", timeout=5).status_code == 200:
                    break
            except requests.RequestException:  # not listening yet, or too busy to answer
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the test site did not start (exit {server.poll()})")
            time.sleep(0.2)
        yield site
    finally:
        server.terminate()
        server.wait(timeout=10)
