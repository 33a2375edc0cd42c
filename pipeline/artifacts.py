"""Versioned artifacts: every file passed between stages has a kind and a schema version.

A manifest is JSON: `{"kind": ..., "schema_version": N, ...}`. Each kind has one `Artifact`, beside the stage
that owns its format (with the changelog), and everything reads and writes that kind through it. A reader
takes the current version and every older one it has an upgrade for, upgraded step by step to the current
form, so a folder written by an older engine is read, not refused; a newer or unknown version fails with a
message instead of being misread.
"""
from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.atomic import atomic_write_json
from pipeline.errors import InputError

Upgrade = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class Artifact:
    """One kind of manifest: its kind, current schema version and file name (in the folder it describes), and
    `upgrades[v]`, which turns version v's data into version v + 1's."""

    kind: str
    version: int
    file: str
    upgrades: Mapping[int, Upgrade] = field(default_factory=dict)
    missing: str = ""  # what to do when there is none, e.g. "run `facereplace convert SHOT --variant NAME` first"
    title: str = ""  # what one is called in messages (default: its kind, in words)

    def path(self, location: str | os.PathLike) -> Path:
        """The manifest of `location`: the file itself when its name ends with `file` (review.filmstrip.json for
        "filmstrip.json"), else the folder's (folder/file)."""
        p = Path(location)
        return p if p.name.endswith(self.file) else p / self.file

    def read(self, location: str | os.PathLike) -> dict[str, Any]:
        """The manifest at `location` (its folder or the file), upgraded to the current version."""
        p = self.path(location)
        if not p.is_file():
            title = self.title or self.kind.replace("_", " ")
            raise InputError(f"{p}: no {title} here" + (f"; {self.missing}" if self.missing else ""))
        data = read_manifest(p, kind=self.kind, versions=(*sorted(self.upgrades), self.version))
        for version in range(data["schema_version"], self.version):
            data = self.upgrades[version](data)
        data["schema_version"] = self.version
        return data

    def write(self, location: str | os.PathLike, data: dict[str, Any]) -> Path:
        """Write `data` as this kind's manifest in the folder `location` (or at that file), atomically."""
        return write_manifest(self.path(location), kind=self.kind, version=self.version, data=data)


def write_manifest(path: str | os.PathLike, *, kind: str, version: int, data: dict[str, Any]) -> Path:
    """Write `data` as a manifest of `kind` at `version`, atomically."""
    body = {k: v for k, v in data.items() if k not in ("kind", "schema_version")}
    return atomic_write_json(path, {"kind": kind, "schema_version": version, **body})


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
