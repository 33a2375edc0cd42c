"""Benchmark of the review clip: a 1920x1080, 100-frame half-float EXR sequence to H.264, against the bundled
ffmpeg alone encoding the same frames from 8-bit PNG with the same encoder settings, in the same run.

The difference is what the engine adds on top of the encoder: reading EXR, linear to sRGB, burn-in,
filmstrip and thumbnail, piping raw frames. Goal: at most 1.3x the bare encode. Each side runs three times
(alternating) and the faster run counts, so a cold disk cache does not decide it.
"""
from __future__ import annotations

import logging
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

WIDTH, HEIGHT, FRAMES, FIRST = 1920, 1080, 100, 1001
FPS = Fraction(24000, 1001)
REPEATS = 3


def _plate(frame: int, base: np.ndarray, texture: np.ndarray) -> np.ndarray:
    """Linear RGB: smooth light plus a texture panning 6 px a frame, like a slow camera move."""
    shift = 6 * (frame - FIRST)
    return base * (0.6 + 0.4 * np.roll(texture, shift, axis=1))[..., None]


def _write_inputs(folder: Path) -> tuple[Path, Path]:
    from pipeline.media.image import linear_to_srgb8
    from pipeline.media.sequence import write_sequence

    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)
    base = np.stack([0.05 + 0.6 * x / WIDTH, 0.1 + 0.5 * y / HEIGHT, np.full_like(x, 0.25)], axis=-1)
    coarse = rng.random((HEIGHT // 8, WIDTH // 8), dtype=np.float32)
    texture = np.kron(coarse, np.ones((8, 8), np.float32)) * 0.7 + 0.3 * rng.random((HEIGHT, WIDTH), np.float32)
    frames = [(f, _plate(f, base, texture)) for f in range(FIRST, FIRST + FRAMES)]
    exr = write_sequence(folder / "exr" / "plate.####.exr", frames, fps=FPS)
    png = write_sequence(folder / "png" / "plate.####.png",
                         ((f, linear_to_srgb8(image).astype(np.float32) / 255) for f, image in frames))
    return Path(str(exr.pattern)), Path(png.pattern.printf)


def _bare_ffmpeg(png_pattern: Path, out: Path) -> float:
    import ffmpeg

    from pipeline.media.review import ffmpeg_exe, h264_review_output

    source = ffmpeg.input(str(png_pattern), framerate="24000/1001", start_number=FIRST)
    command = h264_review_output(source, out).overwrite_output()
    start = time.perf_counter()
    command.run(cmd=ffmpeg_exe(), quiet=True)
    return time.perf_counter() - start


def _review_clip(exr_pattern: Path, out: Path) -> float:
    from pipeline.media.review import make_review_clip

    start = time.perf_counter()
    clip = make_review_clip(exr_pattern, out, burn_in="bench_shot010")
    seconds = time.perf_counter() - start
    if clip.frame_count != FRAMES:
        raise RuntimeError(f"review clip has {clip.frame_count} frames, expected {FRAMES}")
    return seconds


def run(report) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-media-") as tmp:
        folder = Path(tmp)
        start = time.perf_counter()
        exr_pattern, png_pattern = _write_inputs(folder)
        log.info("wrote %d EXR and PNG frames in %.1f s", FRAMES, time.perf_counter() - start)
        bare, ours = [], []
        for _ in range(REPEATS):
            bare.append(_bare_ffmpeg(png_pattern, folder / "bare.mp4"))
            ours.append(_review_clip(exr_pattern, folder / "review.mp4"))
        log.info("bare ffmpeg %s s, review clip %s s", bare, ours)
    report.add("review clip, 1920x1080 EXR half, 100 frames", min(ours), "s",
               baseline="bundled ffmpeg, same frames as PNG", baseline_value=min(bare), goal="ratio <= 1.3")
    report.add("review clip encoding speed", FRAMES / min(ours), "fps",
               baseline="bundled ffmpeg, same frames as PNG", baseline_value=FRAMES / min(bare))
