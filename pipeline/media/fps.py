"""Frame rates as exact ratios: the one parser of an fps (shot.toml, the command line, clips) and its text form.

fps is never a float in the engine: 24000/1001 stays 24000/1001. People also type the NTSC family's decimal
shorthands (23.976, 29.97, 59.94); those mean N*1000/1001, so they are read as that exact rate rather than
refused (a shot.toml and a clip given the same text get the same rate).
"""
from __future__ import annotations

import os
from fractions import Fraction

from pipeline.errors import MediaError

# Decimal rates people type for the NTSC family, which are really N*1000/1001.
_NTSC_TOLERANCE = Fraction(1, 200)


def parse_fps(value: Fraction | int | float | str, *, source: str | os.PathLike = "fps") -> Fraction:
    """An exact frame rate from `24000/1001`, `24`, `25.0` or the decimal shorthands `23.976`, `29.97`.

    A decimal within rounding of an N*1000/1001 rate is taken as that rate, since that is what the
    shorthand means. Zero, negative or unreadable rates are an error naming `source`.
    """
    try:
        if isinstance(value, bool):
            raise ValueError(value)
        text = str(value).strip()
        rate = Fraction(text) if "/" in text else Fraction(text).limit_denominator(1_000_000)
    except (ValueError, ZeroDivisionError):
        raise MediaError(f"{source}: fps {value!r} is not a number; give it as 24, 25, 23.976 or 24000/1001") from None
    if rate <= 0:
        raise MediaError(f"{source}: fps {value!r} must be positive; give the real rate, e.g. 24000/1001")
    if rate.denominator != 1 and "/" not in text:
        ntsc = Fraction(round(rate * Fraction(1001, 1000)) * 1000, 1001)
        if abs(ntsc - rate) < _NTSC_TOLERANCE:
            return ntsc
    return rate


def fps_text(fps: Fraction) -> str:
    """`24000/1001`, `25/1`: the exact form used in JSON, on the command line and by ffmpeg."""
    return f"{fps.numerator}/{fps.denominator}"
