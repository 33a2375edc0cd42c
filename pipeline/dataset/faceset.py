"""The faceset folder: crops of one identity and a versioned manifest `faceset.json` beside them.

This stage owns the format; training reads it with `pipeline.train.data.load_faceset`. Kind "faceset",
schema version 1 (paths relative to the manifest's folder)::

    {"kind": "faceset", "schema_version": 1,
     "identity": "actor", "size": 256, "radius": 0.16, "shot": "pirouette",
     "sources": {"rig": {"kind": "rig", "camera": "rig", "tags": ["turntable"], "signature": "…",
                         "folder": "images/rig.1a2b3c4d", "frames": 72, "crops": 70, "duplicates": 2,
                         "untracked": 0}},
     "crops": [
       {"id": "rig_1001", "image": "images/rig.1a2b3c4d/1001.png",
        "mask": "images/rig.1a2b3c4d/1001.mask.png",     # grey PNG, head = white (pipeline.dataset.masks)
        "yaw": 12.0, "pitch": -3.0, "roll": 0.5,           # degrees, yaw wrapped to -180..180
        "source": "rig",                                   # the source's kind: plate|walkthrough|rig|cg
        "source_name": "rig", "camera": "rig", "frame": 1001, "shot": "pirouette",
        "tags": ["turntable"], "descriptors": {"mouth_open": 0.1, "teeth_visible": false, …},
        "pass": "key", "pair_of": "walkthrough_main_1001"}  # CG crops only
     ]}

Derived facesets (after rules, fit sets) have the same form; their image paths point into the faceset
they were made from. Descriptors that cannot be measured on a crop (the mouth of a back view) are null.
Every crop built has a head mask (the head proxy's silhouette in the crop's pose, hair included, cut where the
neck begins); training learns the mask it predicts from them, so conversion composites the head, not a square.
Changelog: 1 — first version ("mask" added within version 1: readers treat a crop without one as all head).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.artifacts import read_manifest, write_manifest
from pipeline.dataset.descriptors import DESCRIPTORS
from pipeline.errors import InputError

KIND = "faceset"
SCHEMA_VERSION = 1
MANIFEST = "faceset.json"
POSE_KEYS = ("yaw", "pitch", "roll")


def read_faceset(folder: str | os.PathLike) -> dict[str, Any]:
    """A faceset manifest (the folder or its faceset.json) with "folder" set to where it lives."""
    p = Path(folder)
    if p.is_dir() or not p.suffix:
        p = p / MANIFEST
    if not p.is_file():
        raise InputError(f"{p}: no faceset here; build one with `facereplace dataset build SHOT`")
    data = read_manifest(p, kind=KIND, versions=(SCHEMA_VERSION,))
    if not isinstance(data.get("crops"), list):
        raise InputError(f"{p}: a faceset needs a 'crops' list")
    data["folder"] = p.parent
    return data


def write_faceset(folder: str | os.PathLike, data: dict[str, Any]) -> Path:
    """Write a faceset manifest (atomically) into `folder`."""
    body = {k: v for k, v in data.items() if k not in ("kind", "schema_version", "folder")}
    return write_manifest(Path(folder) / MANIFEST, kind=KIND, version=SCHEMA_VERSION, data=body)


def rebase(entries: list[dict[str, Any]], source_folder: Path, dest_folder: Path) -> list[dict[str, Any]]:
    """Entries whose image and mask paths are made relative to `dest_folder` (a derived faceset elsewhere)."""
    out = []
    for entry in entries:
        moved = dict(entry)
        for key in ("image", "mask"):
            if key in entry:
                moved[key] = os.path.relpath(Path(source_folder) / entry[key], dest_folder)
        out.append(moved)
    return out


def photos(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The photographic crops (not CG passes) of a faceset."""
    return [e for e in data["crops"] if e.get("source") != "cg"]


def value(entry: dict[str, Any], name: str) -> float:
    """A descriptor or pose value as a float: NaN when unmeasured, 1/0 for booleans."""
    raw = entry.get(name) if name in POSE_KEYS else entry.get("descriptors", {}).get(name)
    if raw is None:
        return float("nan")
    return float(raw)


def table(entries: list[dict[str, Any]], names: tuple[str, ...] | None = None) -> dict[str, np.ndarray]:
    """Columns of descriptor values (NaN where unmeasured) for `entries`."""
    names = names or tuple(DESCRIPTORS)
    return {n: np.array([value(e, n) for e in entries], dtype=np.float64) for n in names}
