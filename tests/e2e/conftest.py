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
import threading
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from pipeline.media.burnin import CODE_COLUMNS, CODE_ROWS

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "review" / "static" / "review" / "build"


def make_coded_clip(path: Path, *, first: int, count: int, fps: Fraction, tint: tuple[int, int, int],
                    size: tuple[int, int] = (480, 270)) -> Path:
    """A review clip made by the media engine (keyframe every 2 frames, frame number burnt in as code)
    from a synthetic PNG sequence: a tinted ramp and a square that moves 7 px a frame."""
    import cv2

    from pipeline.media.review import make_review_clip

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


# Reads the frame code of the picture a view's <video> shows now, through a canvas (what the user sees).
READ_CODE_JS = """(index) => {
  const video = document.querySelectorAll('.fr-view video')[index];
  const w = video.videoWidth, h = video.videoHeight;
  const canvas = document.createElement('canvas');
  canvas.width = w; canvas.height = h;
  const ctx = canvas.getContext('2d', {willReadFrequently: true});
  ctx.drawImage(video, 0, 0, w, h);
  // pipeline/media/burnin.py: CODE_ROWS x CODE_COLUMNS cells, bottom left, least significant bit first
  let cell = Math.max(4, 2 * Math.round(h / 120));
  cell = Math.max(2, Math.min(cell, Math.floor(Math.floor(w / %(cols)d) / 2) * 2, Math.floor(Math.floor(h / (2 * %(rows)d)) / 2) * 2));
  const top = h - %(rows)d * cell, inset = Math.floor(cell / 4);
  let frame = 0;
  for (let bit = 0; bit < %(rows)d * %(cols)d; bit++) {
    const row = Math.floor(bit / %(cols)d), col = bit %% %(cols)d;
    const d = ctx.getImageData(col * cell + inset, top + row * cell + inset, cell - 2 * inset, cell - 2 * inset).data;
    let sum = 0;
    for (let i = 0; i < d.length; i += 4) sum += (d[i] + d[i + 1] + d[i + 2]) / 3;
    if (sum / (d.length / 4) > 127.5) frame += 2 ** bit;
  }
  return frame;
}""" % {"rows": CODE_ROWS, "cols": CODE_COLUMNS}



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
