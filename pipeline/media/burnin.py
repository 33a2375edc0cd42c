"""Burn-in for review clips: shot name and frame number as text, plus the frame number as a binary code.

The text is for people (Pillow's bundled TrueType font, so nothing needs installing). The code is for
machines: a block of black and white cells in the bottom-left corner, `CODE_ROWS` x `CODE_COLUMNS`,
least significant bit first, row by row. Cells are large and even-aligned so they survive H.264 with
4:2:0 chroma; tests and the review player's checks decode it from the decoded video or a browser canvas
with `read_frame_code` to prove a frame is the frame it claims to be.
"""
from __future__ import annotations

import functools

import numpy as np
from PIL import Image, ImageDraw, ImageFont

CODE_ROWS = 2
CODE_COLUMNS = 10
CODE_BITS = CODE_ROWS * CODE_COLUMNS  # frame numbers 0 .. 1_048_575


def code_cell_size(width: int, height: int) -> int:
    """Side in pixels of one code cell for a frame of this size (even, at least 2)."""
    cell = max(4, 2 * round(height / 120))
    cell = min(cell, (width // CODE_COLUMNS) // 2 * 2, (height // (2 * CODE_ROWS)) // 2 * 2)
    return max(cell, 2)


def draw_frame_code(image: np.ndarray, frame: int) -> None:
    """Draw `frame` as the binary cell code into the bottom-left corner of an HxWx3 uint8 image, in place."""
    if not 0 <= frame < 2 ** CODE_BITS:
        raise ValueError(f"frame {frame} does not fit the {CODE_BITS}-bit burn-in code")
    h, w = image.shape[:2]
    cell = code_cell_size(w, h)
    top = h - CODE_ROWS * cell
    for bit in range(CODE_BITS):
        row, col = divmod(bit, CODE_COLUMNS)
        y, x = top + row * cell, col * cell
        image[y:y + cell, x:x + cell] = 255 if (frame >> bit) & 1 else 0


def read_frame_code(image: np.ndarray) -> int:
    """The frame number drawn by `draw_frame_code`, from an HxWxC image (uint8, or float in 0..1).

    Each cell is judged by the mean of its centre, so compression ringing at the cell edges is ignored.
    """
    a = np.asarray(image)
    luma = a[..., :3].mean(axis=-1) if a.ndim == 3 else a
    if a.dtype != np.uint8:
        luma = luma * 255.0
    h, w = luma.shape
    cell = code_cell_size(w, h)
    top = h - CODE_ROWS * cell
    inset = cell // 4
    frame = 0
    for bit in range(CODE_BITS):
        row, col = divmod(bit, CODE_COLUMNS)
        y, x = top + row * cell, col * cell
        centre = luma[y + inset:y + cell - inset, x + inset:x + cell - inset]
        if centre.mean() > 127.5:
            frame |= 1 << bit
    return frame


@functools.lru_cache(maxsize=8)
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.load_default(size=size)


@functools.lru_cache(maxsize=4)
def _label(text: str, size: int) -> np.ndarray:
    """White text on a black box, as an HxWx3 uint8 patch (cached: a shot name is the same on every frame)."""
    font = _font(size)
    left, top, right, bottom = font.getbbox(text)
    pad = max(1, size // 5)
    patch = Image.new("RGB", (right - left + 2 * pad, bottom - top + 2 * pad))
    ImageDraw.Draw(patch).text((pad - left, pad - top), text, font=font, fill=(255, 255, 255))
    return np.asarray(patch)


def _paste(image: np.ndarray, patch: np.ndarray, y: int, x: int) -> None:
    h = min(patch.shape[0], image.shape[0] - y)
    w = min(patch.shape[1], image.shape[1] - x)
    if h > 0 and w > 0:
        image[y:y + h, x:x + w] = patch[:h, :w]


def draw_burn_in(image: np.ndarray, frame: int, name: str | None) -> None:
    """Burn the shot `name` (top left), the frame number (bottom right) and its code into an HxWx3 uint8 image."""
    h, w = image.shape[:2]
    size = max(8, round(h / 27))
    if name:
        _paste(image, _label(name, size), 0, 0)
    number = _label(str(frame), size)
    _paste(image, number, max(0, h - number.shape[0]), max(0, w - number.shape[1]))
    draw_frame_code(image, frame)
