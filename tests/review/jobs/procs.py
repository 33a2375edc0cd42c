"""Real processes for jobs tests: task workers (`manage.py jobs_worker`), session login and a websocket
listener, shared by the worker-kill test and the scale test."""
from __future__ import annotations

import contextlib
import json
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import requests
from websockets.sync.client import connect

from tests.review.live import free_port, start_asgi, stop
from tests.timing import patience

ROOT = Path(__file__).resolve().parents[3]

# A job is declared lost after 2 s without a heartbeat (beaten every 0.3 s), so recovery is quick in tests.
FAST_JOBS = {"FACEREPLACE_JOB_HEARTBEAT_SECONDS": "0.3", "FACEREPLACE_JOB_STALE_SECONDS": "2"}


def start_worker(env: dict[str, str], *, queues: str = "default,gpu,cpu", worker_id: str = "") -> subprocess.Popen:
    args = [sys.executable, "manage.py", "jobs_worker", "--queue-name", queues, "--interval", "0.1",
            "--no-startup-delay", "--verbosity", "0"]
    if worker_id:
        args += ["--worker-id", worker_id]
    return subprocess.Popen(args, cwd=ROOT, env=env)


@contextlib.contextmanager
def workers(env: dict[str, str], count: int) -> Iterator[list[subprocess.Popen]]:
    procs = [start_worker(env) for _ in range(count)]
    try:
        yield procs
    finally:
        for proc in procs:  # all asked at once, then each reaped
            if proc.poll() is None:
                proc.terminate()
        for proc in procs:
            stop(proc)


@contextlib.contextmanager
def asgi_servers(env: dict[str, str], count: int) -> Iterator[list[str]]:
    procs: list[subprocess.Popen] = []
    try:
        ports = [free_port() for _ in range(count)]
        for port in ports:
            procs.append(start_asgi(port, env))
        yield [f"http://127.0.0.1:{port}" for port in ports]
    finally:
        for proc in procs:
            stop(proc)


def wait_for(what: str, check: Callable[[], object], *, timeout: float = 60, every: float = 0.05) -> object:
    """Poll `check` until it gives something true; `timeout` is for a quiet machine and grows with the load."""
    limit = patience(timeout)
    deadline = time.monotonic() + limit
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {limit:.0f} s waiting for {what}")
        time.sleep(every)


def login(url: str, username: str, password: str) -> str:
    """Sign in through the login page; the session cookie header a browser would send."""
    session = requests.Session()
    page = session.get(url + "/login/", timeout=patience(30))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    answer = session.post(url + "/login/", data={"username": username, "password": password,
                                                 "csrfmiddlewaretoken": token},
                          headers={"Referer": url + "/login/"}, timeout=patience(30))
    assert answer.status_code == 200 and "sessionid" in session.cookies, "could not sign in"
    return "; ".join(f"{k}={v}" for k, v in session.cookies.items())


class Listener(threading.Thread):
    """A websocket client collecting every JSON message until `close()`."""

    def __init__(self, url: str, path: str, cookie: str):
        super().__init__(daemon=True)
        ws_url = url.replace("http://", "ws://") + path
        self.socket = connect(ws_url, additional_headers={"Cookie": cookie, "Origin": url}, open_timeout=patience(30))
        self.messages: list[dict] = []
        self.start()

    def run(self) -> None:
        with self.socket, contextlib.suppress(Exception):  # ends when the socket closes
            while True:
                self.messages.append(json.loads(self.socket.recv()))

    def close(self) -> list[dict]:
        self.socket.close()
        self.join(timeout=10)
        return self.messages
