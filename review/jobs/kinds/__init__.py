"""The site's job kinds, one module each; `register_kinds` (called by the app's ready()) makes them runnable.
A new kind: a module with its `SPEC`, a `JobKind` choice, and a line here."""
from __future__ import annotations

from review.choices import JobKind
from review.jobs.kinds import convert, engine, render, review_clip
from review.jobs.registry import register_kind


def register_kinds() -> None:
    for kind, module in ((JobKind.REVIEW_CLIP, review_clip), (JobKind.ENGINE, engine), (JobKind.RENDER, render),
                         (JobKind.CONVERT, convert)):
        register_kind(kind, module.SPEC)
