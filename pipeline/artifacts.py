"""Versioned artifacts: every file passed between stages has a kind and a schema version.

A manifest is JSON: `{"kind": ..., "schema_version": N, ...}`. Readers name the versions they understand,
so an artifact from a newer or older engine fails with a message instead of being misread.
Each kind keeps its version and a changelog beside its writer.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from pipeline.atomic import atomic_write_json
from pipeline.errors import InputError


def write_manifest(path: str | os.PathLike, *, kind: str, version: int, data: dict[str, Any]) -> Path:
    """Write `data` as a manifest of `kind` at `version`, atomically."""
    return atomic_write_json(path, {"kind": kind, "schema_version": version, **data})


def read_manifest(path: str | os.PathLike, *, kind: str, versions: tuple[int, ...]) -> dict[str, Any]:
    """Read a manifest, checking its kind and that its schema version is one of `versions`."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: no such {kind} file")
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{p}: not a valid JSON {kind} file ({exc})") from None
    if not isinstance(data, dict) or data.get("kind") != kind:
        found = data.get("kind") if isinstance(data, dict) else type(data).__name__
        raise InputError(f"{p}: expected a {kind} file, found kind {found!r}")
    version = data.get("schema_version")
    if version not in versions:
        supported = ", ".join(str(v) for v in versions)
        raise InputError(f"{p}: {kind} schema version {version!r} is not supported (this engine reads {supported});"
                         " rerun the stage that wrote it with this version of facereplace")
    return data
