"""The one wait for a started site: a slow first answer is waited for, a server that dies is named."""
from __future__ import annotations

import http.server
import subprocess
import sys
import threading
import time

import pytest

from review.management.health import wait_until_healthy


class _SlowThenReady(http.server.BaseHTTPRequestHandler):
    """/health/ answers its first request after 1.5 s (a busy machine), every later one at once."""

    answered = 0

    def do_GET(self) -> None:
        type(self).answered += 1
        if type(self).answered == 1:
            time.sleep(1.5)
        self.send_response(200 if self.path == "/health/" else 404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


def test_an_answer_slower_than_one_try_is_waited_for_not_an_error():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _SlowThenReady)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        wait_until_healthy(f"http://127.0.0.1:{server.server_address[1]}", timeout=30, answer_seconds=0.5)
    finally:
        server.shutdown()
        server.server_close()
    assert _SlowThenReady.answered >= 2  # the first try timed out reading, a later one got the answer


def test_a_server_that_exits_is_reported_with_its_status():
    dead = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    dead.wait()
    with pytest.raises(RuntimeError, match="exited with status 3"):
        wait_until_healthy("http://127.0.0.1:9", process=dead, timeout=30, what="the site")


def test_nothing_answering_ends_at_the_deadline_with_the_url():
    with pytest.raises(RuntimeError, match=r"did not answer http://127\.0\.0\.1:9/health/ within 1 s"):
        wait_until_healthy("http://127.0.0.1:9", timeout=1)
