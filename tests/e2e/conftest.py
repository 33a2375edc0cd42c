"""Fixtures of the player's browser tests: the built player, clips with a machine-readable frame code,
a harness page that mounts the player without the site, and JavaScript that reads the code back from the
browser's own decoded picture.
"""
from __future__ import annotations

import functools
import http.server
import io
import json
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import pytest

import requests

from pipeline.media.burnin import CODE_COLUMNS, CODE_ROWS, code_cell_size, read_frame_code
from pipeline.media.review import make_review_clip
from tests.review.live import free_port, start_asgi, stop
from tests.timing import patience

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "review" / "static" / "review" / "build"


def make_coded_clip(path: Path, *, first: int, count: int, fps: Fraction, tint: tuple[int, int, int],
                    size: tuple[int, int] = (480, 270)) -> Path:
    """A review clip made by the media engine (keyframe every 2 frames, frame number burnt in as code)
    from a synthetic PNG sequence: a tinted ramp and a square that moves 7 px a frame."""
    w, h = size
    frames = path.parent / f"{path.stem}_src"
    frames.mkdir()
    ramp = np.linspace(0.4, 1.0, w, dtype=np.float32)[None, :, None]
    base = (np.array(tint[::-1], np.float32)[None, None, :] * ramp * np.ones((h, 1, 1), np.float32)).astype(np.uint8)
    for i in range(count):
        img = base.copy()
        x = (i * 7) % (w - 40)
        img[h // 3:h // 3 + 40, x:x + 40] = 230
        cv2.imwrite(str(frames / f"src.{first + i:04d}.png"), img)
    make_review_clip(frames / "src.####.png", path, burn_in=path.stem, fps=fps)
    return path


# A region of the picture a view's <video> shows now, drawn through a canvas (what the user sees): `cols` x `rows`
# pixels placed at fractions (fx, fy) of the room the picture leaves (0, 1: the bottom-left corner).
_REGION_JS = """([index, fx, fy, cols, rows]) => {
  const video = document.querySelectorAll('.fr-view video')[index];
  const w = video.videoWidth, h = video.videoHeight;
  const canvas = document.createElement('canvas');
  canvas.width = w; canvas.height = h;
  const ctx = canvas.getContext('2d', {willReadFrequently: true});
  ctx.drawImage(video, 0, 0, w, h);
  return Array.from(ctx.getImageData(Math.round(fx * (w - cols)), Math.round(fy * (h - rows)), cols, rows).data);
}"""


def view_pixel(page, index: int, fx: float, fy: float) -> tuple[int, int, int]:
    """The RGB colour view `index` shows at fractions (fx, fy) of its picture."""
    r, g, b, _ = page.evaluate(_REGION_JS, [index, fx, fy, 1, 1])
    return r, g, b


def read_code(page, index: int = 0) -> int:
    """The frame number burnt into the picture view `index` shows, decoded by the media engine's own reader."""
    w, h = page.evaluate("(i) => { const v = document.querySelectorAll('.fr-view video')[i];"
                         " return [v.videoWidth, v.videoHeight]; }", index)
    cell = code_cell_size(w, h)
    rows, cols = CODE_ROWS * cell, CODE_COLUMNS * cell
    corner = np.array(page.evaluate(_REGION_JS, [index, 0, 1, cols, rows]), np.uint8).reshape(rows, cols, 4)
    picture = np.zeros((h, w, 3), np.uint8)
    picture[h - rows:, :cols] = corner[..., :3]
    return read_frame_code(picture)


@pytest.fixture(scope="session")
def player_build() -> Path:
    """The built player (make test builds it through the Makefile's `frontend` target)."""
    js = BUILD / "player.js"
    if not js.exists():
        pytest.fail(f"{js} is missing: build the player with `make frontend` (or `cd frontend && npm ci && npm run build`)")
    return BUILD


HARNESS = """<!doctype html><html><head><meta charset="utf-8"><title>{code} · player</title>
<link rel="stylesheet" href="player.css"></head>
<body style="margin:0;padding:8px;background:#0b0c0f">
<div id="player-root"></div>
<script type="application/json" id="shot-data">{data}</script>
<script src="player.js"></script></body></html>"""


def write_harness(root: Path, build: Path, shot: dict) -> str:
    """A page that mounts the player on `shot` (the shot-data contract) with the built player beside it."""
    for name in ("player.js", "player.css"):
        (root / name).write_bytes((build / name).read_bytes())
    (root / "index.html").write_text(HARNESS.format(code=shot["code"], data=json.dumps(shot)))
    return "index.html"


class _RangeHandler(http.server.SimpleHTTPRequestHandler):
    """Static files with HTTP range requests, which a browser needs to seek in a video it has not buffered."""

    def log_message(self, *args) -> None:
        pass

    def send_head(self):
        path = self.translate_path(self.path)
        match = re.fullmatch(r"bytes=(\d*)-(\d*)", self.headers.get("Range", ""))
        if not match or not os.path.isfile(path):
            return super().send_head()
        size = os.path.getsize(path)
        start = int(match.group(1) or 0)
        end = min(int(match.group(2)) if match.group(2) else size - 1, size - 1)
        with open(path, "rb") as f:
            f.seek(start)
            data = f.read(end - start + 1)
        self.send_response(206)
        self.send_header("Content-Type", self.guess_type(path))
        self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        return io.BytesIO(data)


@pytest.fixture
def range_server(tmp_path) -> Iterator[tuple[str, Path]]:
    """(base URL, folder): a static server that answers range requests, as the site does for media."""
    root = tmp_path / "www"
    root.mkdir()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_RangeHandler, directory=str(root)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", root
    server.shutdown()
    server.server_close()


# ---- the live site: uvicorn (HTTP + websockets) on a free port, a migrated SQLite DB in a temp home ----

PASSWORD = "player-e2e-pass"
SHOT_FIRST, SHOT_COUNT = 1001, 60


def _manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=patience(120))
    if result.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout.strip()


class LiveSite:
    """A running site: its URL, API tokens of the pipeline and supervisor, the shots made for the tests."""

    def __init__(self, url: str, env: dict[str, str]):
        self.url = url
        self.env = env
        self.tokens: dict[str, str] = {}
        self.shots: dict[str, int] = {}
        self.variants: dict[str, list[int]] = {}
        self.process: subprocess.Popen | None = None
        self.clips: Path | None = None

    def start(self) -> None:
        self.process = start_asgi(int(self.url.rsplit(":", 1)[1]), self.env)

    def stop(self) -> None:
        if self.process:
            stop(self.process)

    def api(self, method: str, path: str, *, as_user: str = "pipe", **kwargs):
        response = requests.request(method, f"{self.url}/api/{path}", timeout=patience(30),
                                    headers={"Authorization": f"Token {self.tokens[as_user]}"}, **kwargs)
        return response

    def publish_variant(self, shot_id: int, kind: str, label: str, clip: str, qc: list[dict]) -> int:
        with open(self.clips / clip, "rb") as f:
            r = self.api("POST", f"shots/{shot_id}/variants/", files={"clip": (clip, f, "video/mp4")},
                         data={"kind": kind, "label": label, "qc": json.dumps(qc)})
        assert r.status_code == 201, r.text
        return r.json()["id"]

    def add_shot(self, code: str) -> int:
        """A bare shot (no plate, no variants) on SQ010, counted among the site's shots."""
        made = self.api("POST", "shots/", json={"project": "DD", "sequence": "SQ010", "code": code,
                                                "frame_start": SHOT_FIRST, "frame_end": SHOT_FIRST + SHOT_COUNT - 1,
                                                "fps_num": 24000, "fps_den": 1001})
        assert made.status_code == 201, made.text
        self.shots[code] = made.json()["id"]
        return self.shots[code]

    def make_shot(self, code: str) -> int:
        """A shot with a plate and two published variants (rigid, loose), through the REST API as the pipeline."""
        r = self.api("POST", "shots/", json={"project": "DD", "sequence": "SQ010", "code": code,
                                             "frame_start": SHOT_FIRST, "frame_end": SHOT_FIRST + SHOT_COUNT - 1,
                                             "fps_num": 24000, "fps_den": 1001})
        assert r.status_code == 201, r.text
        shot_id = r.json()["id"]
        with open(self.clips / "plate.mp4", "rb") as f:
            r = self.api("PUT", f"shots/{shot_id}/plate/", files={"clip": ("plate.mp4", f, "video/mp4")})
        assert r.status_code == 200, r.text
        ids = []
        for kind, label in (("rigid", "rigid A"), ("loose", "loose B")):
            qc = [{"frame": f, "coverage": 0.0 if (kind == "loose" and 1020 <= f < 1026) else 1.0,
                   "anomaly": round(((f * 7) % 23) / 23, 3)} for f in range(SHOT_FIRST, SHOT_FIRST + SHOT_COUNT)]
            ids.append(self.publish_variant(shot_id, kind, label, f"{kind}.mp4", qc))
        self.shots[code] = shot_id
        self.variants[code] = ids
        return shot_id


@pytest.fixture(scope="session")
def live_site(tmp_path_factory, player_build) -> Iterator[LiveSite]:
    """The review site served by uvicorn with a supervisor, an artist and the pipeline on project DD, and
    three shots (plate + rigid + loose variants, 60 frames at 24000/1001, frame code burnt in)."""
    home = tmp_path_factory.mktemp("site-home")
    env = {**os.environ, "FACEREPLACE_HOME": str(home), "DJANGO_SETTINGS_MODULE": "facereplace_site.test_settings",
           "PYTHONPATH": str(ROOT), "LOG_LEVEL": "WARNING"}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    _manage(env, "migrate", "--noinput")
    site = LiveSite(f"http://127.0.0.1:{free_port()}", env)
    for name, role in (("sup", "supervisor"), ("art", "artist"), ("prod", "producer")):
        _manage(env, "review_user", name, "--role", role, "--project", "DD", "--password", PASSWORD)
    site.tokens["pipe"] = _manage(env, "review_user", "pipe", "--role", "pipeline", "--project", "DD", "--token")
    site.tokens["sup"] = _manage(env, "review_user", "sup", "--role", "supervisor", "--project", "DD", "--token")
    site.tokens["art"] = _manage(env, "review_user", "art", "--role", "artist", "--project", "DD", "--token")
    clips = site.clips = tmp_path_factory.mktemp("clips")
    fps = Fraction(24000, 1001)
    for name, tint in (("plate", (90, 110, 140)), ("rigid", (150, 100, 70)), ("loose", (80, 140, 90))):
        make_coded_clip(clips / f"{name}.mp4", first=SHOT_FIRST, count=SHOT_COUNT, fps=fps, tint=tint)
    site.start()
    try:
        for code in ("SH010", "SH020", "SH030"):
            site.make_shot(code)
        yield site
    finally:
        site.stop()


# The site's Content-Security-Policy forbids eval: a `wait_for_function` predicate on a site page is written as a
# function ("() => ..."), which Playwright evaluates once, not as an expression it would eval on every poll.
def login(browser, site: LiveSite, username: str):
    """A new browser context signed in as `username` (through the login page, as a person would)."""
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    page.goto(f"{site.url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_url(f"{site.url}/")
    return context, page
