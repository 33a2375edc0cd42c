"""A real review site for tests: migrated file SQLite under a temporary FACEREPLACE_HOME, uvicorn on a free port."""
from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from review.management.health import wait_until_healthy
from tests.timing import patience

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


def start_asgi(port: int, env: dict[str, str]) -> subprocess.Popen:
    """uvicorn serving the site on loopback `port`, answering once `/health/` does."""
    server = subprocess.Popen([sys.executable, "-m", "uvicorn", "facereplace_site.asgi:application", "--host",
                               "127.0.0.1", "--port", str(port), "--log-level", "warning"], cwd=ROOT, env=env)
    try:
        wait_until_healthy(f"http://127.0.0.1:{port}", process=server, timeout=patience(60), what="the test site")
    except RuntimeError:
        stop(server)
        raise
    return server


def stop(process: subprocess.Popen) -> None:
    """Terminate and reap `process`, killing it if it ignores the request."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=patience(10))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def running_site(home: Path) -> Iterator[LiveSite]:
    env = {**os.environ, "FACEREPLACE_HOME": str(home), "DJANGO_SETTINGS_MODULE": "facereplace_site.settings",
           "LOG_LEVEL": "WARNING"}
    for name in ("DATABASE_URL", "REDIS_URL", "MEDIA_ROOT"):
        env.pop(name, None)
    port = free_port()
    site = LiveSite(url=f"http://127.0.0.1:{port}", home=home, env=env)
    site.manage("migrate", "--noinput")
    server = start_asgi(port, env)
    try:
        yield site
    finally:
        stop(server)
