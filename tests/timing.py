"""Waits that scale with the machine: tests pass on a loaded CI machine too, not only on a quiet one.

`patience(seconds)` is a wait written for a quiet 2-core machine, stretched by how loaded this one is
(the 1-minute load average per core, at least 1, at most MAX_SLOWDOWN). FACEREPLACE_TEST_SLOWDOWN sets the
factor by hand (e.g. 3 on a machine known to be slow).
"""
from __future__ import annotations

import os

MAX_SLOWDOWN = 6.0


def slowdown() -> float:
    forced = os.environ.get("FACEREPLACE_TEST_SLOWDOWN")
    if forced:
        return max(1.0, float(forced))
    per_core = os.getloadavg()[0] / (os.cpu_count() or 1)
    return min(MAX_SLOWDOWN, max(1.0, per_core))


def patience(seconds: float) -> float:
    """`seconds` of waiting on a quiet machine, as many as this machine needs now."""
    return seconds * slowdown()


def patience_ms(seconds: float) -> int:
    """The same, in milliseconds (Playwright's unit)."""
    return int(patience(seconds) * 1000)
