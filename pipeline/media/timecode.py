"""SMPTE timecode <-> frame numbers, drop-frame included: the one place the engine and the site count timecode.

A shot's frames keep their plate numbers (1001...); its start timecode names its first frame, so frame f shows
as start + (f - first). Timecode counts at the nominal rate (24 for 24000/1001, 30 for 30000/1001). Drop-frame
(`;` before the frames, as editorial writes it) exists only for 30000/1001 and 60000/1001: it skips the labels
:00 and :01 (:00-:03 at 59.94) at the start of each minute except every tenth, so the label keeps up with the
clock; no frame is dropped. The player mirrors this module (frontend/src/timecode.ts), both checked against
tests/fixtures/timecodes.json.
"""
from __future__ import annotations

import logging
import os
import re
from fractions import Fraction

from pipeline.errors import MediaError

log = logging.getLogger(__name__)

_DROP_RATES = {Fraction(30000, 1001): 2, Fraction(60000, 1001): 4}
_LABEL = re.compile(r"^(\d{1,2})[:.;](\d{2})[:.;](\d{2})([:;.])(\d{2})$")


def timecode_base(fps: Fraction) -> int:
    """The nominal rate timecode counts at: 24 for 24000/1001, 30 for 30000/1001."""
    return max(1, round(fps))


def _dropped_per_minute(fps: Fraction, drop: bool, source: str) -> int:
    if not drop:
        return 0
    if fps not in _DROP_RATES:
        raise MediaError(f"{source}: drop-frame timecode (with ';') exists only at 30000/1001 and 60000/1001 fps, "
                         f"not {fps.numerator}/{fps.denominator}; write it with ':' as non-drop")
    return _DROP_RATES[fps]


def _frames_per_day(fps: Fraction, drop: int) -> int:
    base = timecode_base(fps)
    return base * 86400 - drop * (24 * 60 - 24 * 6)


def is_drop_frame(text: str) -> bool:
    """Whether a label is written drop-frame (';' or '.' before the frames)."""
    match = _LABEL.match(text.strip())
    return bool(match) and match.group(4) in ";."


def timecode_to_count(text: str, fps: Fraction, *, drop: bool | None = None, source: str = "timecode") -> int:
    """Frames since 00:00:00:00 of a label `HH:MM:SS:FF` (or `;FF` drop-frame).

    `drop` None takes drop-frame from the label's separator; True/False reads the label that way whatever
    its separator (a frame box in a drop-frame shot accepts 01:00:00:12 too). A label that cannot exist
    (frames past the rate, a label drop-frame skips) is an error naming `source`.
    """
    match = _LABEL.match(text.strip())
    if not match:
        raise MediaError(f"{source}: {text!r} is not a timecode; write HH:MM:SS:FF, or HH:MM:SS;FF for drop-frame")
    hh, mm, ss, ff = (int(match.group(i)) for i in (1, 2, 3, 5))
    sep = match.group(4)
    dropped = _dropped_per_minute(fps, sep in ";." if drop is None else drop, source)
    base = timecode_base(fps)
    if mm >= 60 or ss >= 60 or ff >= base or hh >= 24:
        raise MediaError(f"{source}: {text!r} is out of range; hours < 24, minutes and seconds < 60, "
                         f"frames < {base} at {fps.numerator}/{fps.denominator} fps")
    if dropped and ss == 0 and mm % 10 and ff < dropped:
        raise MediaError(f"{source}: {text!r} does not exist in drop-frame timecode (frames 00-{dropped - 1:02d} "
                         f"are skipped at the start of each minute not divisible by ten)")
    minutes = 60 * hh + mm
    return (3600 * hh + 60 * mm + ss) * base + ff - dropped * (minutes - minutes // 10)


def count_to_timecode(count: int, fps: Fraction, *, drop: bool = False) -> str:
    """The label of the frame `count` frames after 00:00:00:00 (wrapping at 24 hours)."""
    dropped = _dropped_per_minute(fps, drop, "timecode")
    base = timecode_base(fps)
    count %= _frames_per_day(fps, dropped)
    if dropped:
        per_minute = base * 60 - dropped
        per_ten = base * 600 - 9 * dropped
        tens, rest = divmod(count, per_ten)
        count += 9 * dropped * tens + (dropped * ((rest - dropped) // per_minute) if rest > dropped else 0)
    ff = count % base
    seconds = count // base
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}{';' if dropped else ':'}{ff:02d}"


def check_timecode(text: str, fps: Fraction, *, source: str | os.PathLike = "timecode") -> str:
    """A start timecode as stored on a shot: valid at `fps`, written in its canonical form."""
    drop = is_drop_frame(text)
    return count_to_timecode(timecode_to_count(text, fps, source=str(source)), fps, drop=drop)


def metadata_timecode(text: str, fps: Fraction, *, source: str | os.PathLike) -> str:
    """A plate's start timecode read from its metadata (a video's tag, an EXR's timeCode), checked at the plate's
    rate; one that cannot exist at that rate is reported and left out ("") rather than shown wrong."""
    if not text:
        return ""
    try:
        return check_timecode(text, fps, source=source)
    except MediaError as exc:
        log.warning("%s; its timecode is ignored, set the shot's start timecode by hand", exc)
        return ""


def frame_to_timecode(frame: int, *, first: int, start: str, fps: Fraction) -> str:
    """The label of plate frame `frame` in a shot whose frame `first` is labelled `start` ('' = 00:00:00:00)."""
    start = start or "00:00:00:00"
    drop = is_drop_frame(start)
    return count_to_timecode(timecode_to_count(start, fps) + frame - first, fps, drop=drop)


def timecode_to_frame(text: str, *, first: int, start: str, fps: Fraction, source: str = "timecode") -> int:
    """The plate frame labelled `text` in a shot whose frame `first` is labelled `start` ('' = 00:00:00:00).
    The label is read in the shot's own counting (drop-frame or not) whichever separator it is typed with."""
    start = start or "00:00:00:00"
    drop = is_drop_frame(start)
    day = _frames_per_day(fps, _dropped_per_minute(fps, drop, source))
    offset = (timecode_to_count(text, fps, drop=drop, source=source) - timecode_to_count(start, fps)) % day
    return first + offset
