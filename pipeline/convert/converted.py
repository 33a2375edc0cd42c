"""A converted variant (SHOT/convert/NAME/converted.json, kind "converted_variant"): its reader, and which
variants of a shot are converted (the comp, eval, the runner and the site's render all ask this one place).

The format and its changelog are in pipeline.convert.stage, which writes it.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pipeline.artifacts import read_manifest
from pipeline.errors import InputError
from pipeline.shot import ShotLayout

KIND = "converted_variant"
SCHEMA_VERSION = 1
MANIFEST = "converted.json"


def read_converted(path: str | os.PathLike) -> dict[str, Any]:
    """A variant's manifest (the folder or its converted.json), "folder" set to where it lives."""
    p = Path(path)
    if p.is_dir():
        p = p / MANIFEST
    if not p.is_file():
        raise InputError(f"{p}: no converted variant here; run `facereplace convert SHOT --variant NAME` first")
    data = read_manifest(p, kind=KIND, versions=(SCHEMA_VERSION,))
    data["folder"] = p.parent
    return data


def converted_variants(shot_root: str | os.PathLike) -> dict[str, Path]:
    """The shot's converted variants by name (sorted): each SHOT/convert/NAME that holds its converted.json."""
    folder = ShotLayout(Path(shot_root)).converted
    if not folder.is_dir():
        return {}
    return {p.name: p for p in sorted(folder.iterdir()) if (p / MANIFEST).is_file()}
