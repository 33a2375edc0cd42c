"""Progress of long work, shown as a bar in the CLI and forwarded to the site's job record.

Stages take an optional `ProgressCallback` and report through `progress_bar`; the CLI shows a tqdm bar
on stderr, a site task passes a callback that writes percent and message to its job.
"""
from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from typing import Protocol

from tqdm import tqdm

# fraction done in [0, 1], and a short message such as "frame 1012/1096" or "step 300 loss 0.041"
ProgressCallback = Callable[[float, str], None]


class Progress(Protocol):
    def update(self, n: int = 1, message: str = "") -> None: ...


class _Bar:
    def __init__(self, bar: tqdm, total: int, desc: str, callback: ProgressCallback | None):
        self._bar, self._total, self._desc, self._callback, self._done = bar, total, desc, callback, 0

    def update(self, n: int = 1, message: str = "") -> None:
        self._done += n
        if message:
            self._bar.set_postfix_str(message, refresh=False)
        self._bar.update(n)
        if self._callback is not None:
            text = f"{self._desc}: {message}" if message else f"{self._desc} {self._done}/{self._total}"
            self._callback(min(1.0, self._done / self._total) if self._total else 1.0, text)


@contextlib.contextmanager
def progress_bar(total: int, desc: str, *, unit: str = "frame",
                 callback: ProgressCallback | None = None) -> Iterator[Progress]:
    """A bar on stderr (hidden when stderr is not a terminal unless FACEREPLACE_PROGRESS=1), plus `callback`."""
    show = sys.stderr.isatty() or os.environ.get("FACEREPLACE_PROGRESS") == "1"
    with tqdm(total=total, desc=desc, unit=unit, disable=not show, file=sys.stderr, dynamic_ncols=True) as bar:
        yield _Bar(bar, total, desc, callback)


@contextlib.contextmanager
def percent_bar(desc: str) -> Iterator[ProgressCallback]:
    """A 0-100 % bar on stderr (as `progress_bar`) driven by a ProgressCallback: what a verb hands to a stage or the
    runner, whose parts report their fraction of the whole."""
    with progress_bar(100, desc, unit="%") as bar:
        shown = 0

        def report(fraction: float, message: str) -> None:
            nonlocal shown
            now = max(shown, round(100 * min(1.0, fraction)))  # never back
            bar.update(now - shown, message)
            shown = now

        yield report
