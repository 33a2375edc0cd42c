"""Waiting for a site to answer `/health/`: the demo and every test that starts a server use this one wait.

A machine under load (CI shares its cores) may accept the connection and answer seconds later, so a slow
answer is waited for like a refused connection; only the server exiting or the deadline ends the wait.
"""
from __future__ import annotations

import subprocess
import time

import requests

ANSWER_SECONDS = 10  # one /health/ request may take this long before the next try


def wait_until_healthy(url: str, *, process: subprocess.Popen | None = None, timeout: float = 120,
                       what: str = "the site", answer_seconds: float = ANSWER_SECONDS) -> None:
    """Return once `GET url/health/` answers 200; RuntimeError naming the cause when `process` exits first or
    `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{what} exited with status {process.returncode} before answering {url}/health/")
        left = deadline - time.monotonic()
        if left <= 0:
            raise RuntimeError(f"{what} did not answer {url}/health/ within {timeout:.0f} s")
        try:
            if requests.get(f"{url}/health/", timeout=min(answer_seconds, max(left, 0.5))).status_code == 200:
                return
        except requests.RequestException:  # not listening yet, or too busy to answer in time
            pass
        time.sleep(0.2)
