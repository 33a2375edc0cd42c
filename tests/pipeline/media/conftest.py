"""Small real media shared by the media tests: a linear EXR plate, and videos made by the bundled ffmpeg."""
from __future__ import annotations

import subprocess
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from pipeline.media.burnin import draw_frame_code
from pipeline.media.image import write_image
from pipeline.media.review import ffmpeg_exe
from pipeline.media.sequence import write_sequence

NTSC = Fraction(24000, 1001)
PLATE_FRAMES = range(1001, 1025)
PLATE_SIZE = (48, 64)  # height, width


def plate_frame(frame: int, size: tuple[int, int] = PLATE_SIZE) -> np.ndarray:
    """A linear RGBA frame: a horizontal ramp whose red rises with the frame number, and mid grey below."""
    h, w = size
    image = np.zeros((h, w, 4), np.float32)
    image[..., 0] = (frame - 1000) / 32
    image[..., 1] = np.linspace(0.0, 1.0, w, dtype=np.float32)[None, :]
    image[h // 2:, :, :3] = 0.18
    image[..., 3] = 1.0
    return image


@pytest.fixture(scope="session")
def exr_plate(tmp_path_factory) -> Path:
    """`plate.####.exr`, frames 1001-1024, 64x48, half float, carrying 24000/1001 in its headers."""
    folder = tmp_path_factory.mktemp("exr_plate")
    write_sequence(folder / "plate.####.exr", ((f, plate_frame(f)) for f in PLATE_FRAMES), fps=NTSC)
    return folder / "plate.####.exr"


def ffmpeg(*args: str) -> None:
    subprocess.run([ffmpeg_exe(), "-v", "error", "-nostdin", "-y", *args], check=True)


@pytest.fixture(scope="session")
def videos(tmp_path_factory) -> dict[str, Path]:
    """Videos whose i-th frame carries the burn-in code i (from 0), 64x48 at 24000/1001, by the bundled ffmpeg:
    H.264 MP4 with B-frames, a 12-frame GOP and faststart (48 frames); ProRes 422 MOV, index at the end (24)."""
    folder = tmp_path_factory.mktemp("videos")
    noise = np.random.default_rng(0).integers(0, 256, (48, 48, 64, 3), dtype=np.uint8)
    for i in range(48):
        picture = noise[i]  # texture that changes every frame, so frames are real-sized packets
        draw_frame_code(picture, i)
        write_image(folder / f"src.{i:04d}.png", picture.astype(np.float32) / 255)
    source = ["-framerate", "24000/1001", "-i", str(folder / "src.%04d.png")]
    ffmpeg(*source, "-c:v", "libx264", "-pix_fmt", "yuv420p", "-g", "12", "-bf", "2",
           "-movflags", "+faststart", str(folder / "h264.mp4"))
    ffmpeg(*source, "-frames:v", "24", "-c:v", "prores_ks", str(folder / "prores.mov"))
    return {"h264": folder / "h264.mp4", "prores": folder / "prores.mov"}
