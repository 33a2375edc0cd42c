"""Fixtures shared by every test layer: a real Chromium (Debian's, driven by Playwright) and a static server."""
from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.timing import patience

os.environ.setdefault("OPENCV_IO_ENABLE_OPENEXR", "1")
# Playwright must never try to download its own browser: Debian's chromium is the one we drive.
os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs an event loop

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic", "--autoplay-policy=no-user-gesture-required",
]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def pytest_collection_modifyitems(config, items) -> None:
    """Browser tests run last: once the session's Playwright (sync API) starts, it keeps an event loop running
    on the main thread, and an async test after it could not run its own. Each test's time limit (pytest-timeout,
    a guard against hangs) grows with the machine's load, as every wait in the tests does."""
    items.sort(key=lambda item: "browser" in getattr(item, "fixturenames", ()))
    limit = patience(float(config.getini("timeout") or 0))
    for item in items:
        marker = item.get_closest_marker("timeout")
        if limit and marker is None:
            item.add_marker(pytest.mark.timeout(limit), append=False)
        elif marker is not None and marker.args:
            item.add_marker(pytest.mark.timeout(patience(float(marker.args[0]))), append=False)


def chromium_path() -> str:
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        pytest.fail("Debian's chromium is not installed: run `make test`, which installs it")
    return path


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the session; tests open their own contexts."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def artifacts_dir() -> Path:
    """Where tests keep what a person may want to look at afterwards (screenshots, plots)."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def static_server(tmp_path) -> Iterator[tuple[str, Path]]:
    """(base URL, folder): a plain HTTP server of the folder, for browser tests.

    It does not answer range requests, and Chromium will not seek an `http:` video without them: load a
    clip as a `blob:` URL (fetch, then URL.createObjectURL) to seek it.
    """
    root = tmp_path / "www"
    root.mkdir()
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", root
    server.shutdown()
    server.server_close()
