"""The comp stage on a shot: an edit of its converted variants rendered into SHOT/comp (or a site render's folder)."""
from __future__ import annotations

import os
from pathlib import Path

from pipeline.comp.edit import Edit
from pipeline.comp.stage import RenderResult, render_edit
from pipeline.progress import ProgressCallback
from pipeline.shot import Shot, ShotLayout


def run_shot(shot: Shot, edit: Edit, *, fixes_dir: str | os.PathLike | None = None, out: Path | None = None,
             progress: ProgressCallback | None = None) -> RenderResult:
    """Render `edit` (with the frame fixes in `fixes_dir`) into `out`, default SHOT/comp."""
    return render_edit(shot, edit, fixes_dir=fixes_dir, out_dir=out or ShotLayout(shot.root).comp, progress=progress)
