"""The faceset folder: crops of one identity and a versioned manifest `faceset.json` beside them.

This module owns the format: the dataset stage writes facesets with `write_faceset` (built from a shot's sources,
or derived by the rules and the fit selection), training reads them with `read_faceset` (through
`pipeline.train.data.load_faceset`), and material made from arrays (tests, tools) is written by `write_crops`,
in the same form. Kind "faceset" (paths relative to the manifest's folder)::

    {"kind": "faceset", "schema_version": 2,
     "identity": "actor", "size": 256, "radius": 0.16, "shot": "pirouette",
     "sources": {"rig": {"kind": "rig", "camera": "rig", "tags": ["turntable"], "signature": "…",
                         "folder": "images/rig.1a2b3c4d", "frames": 72, "crops": 70, "duplicates": 2,
                         "untracked": 0}},
     "crops": [
       {"id": "rig_1001", "image": "images/rig.1a2b3c4d/1001.png",
        "mask": "images/rig.1a2b3c4d/1001.mask.png",     # grey PNG, head = white (pipeline.dataset.masks); null:
                                                           # the whole crop is head
        "yaw": 12.0, "pitch": -3.0, "roll": 0.5,           # degrees, yaw wrapped to -180..180
        "source": "rig",                                   # the source's kind: plate|walkthrough|rig|cg
        "source_name": "rig", "camera": "rig", "frame": 1001, "shot": "pirouette",
        "tags": ["turntable"], "descriptors": {"mouth_open": 0.1, "teeth_visible": false, …},
        "pass": "key", "pair_of": "walkthrough_main_1001"}  # CG crops only: the photograph it pairs with
     ]}

Derived facesets (after rules, fit sets) have the same form; their image paths point into the faceset
they were made from. Descriptors that cannot be measured on a crop (the mouth of a back view) are null.
Every crop built has a head mask (the head proxy's silhouette in the crop's pose, hair included, cut where the
neck begins); training learns the mask it predicts from them, so conversion composites the head, not a square.
Crops with source "cg" are never photographs of the identity: they form the cg model's pairs.
Changelog: 1 — first version ("mask" added within version 1, and "radius" and "sources" absent from facesets
written by training's own writer). 2 — every crop has "mask" (null: all head) and every faceset "radius" and
"sources"; version 1 is upgraded on reading (no mask, radius 0.16, no sources).
"""
from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.artifacts import Artifact
from pipeline.dataset.descriptors import DESCRIPTORS
from pipeline.errors import InputError

MANIFEST = "faceset.json"
POSE_KEYS = ("yaw", "pitch", "roll")
CG_SOURCE = "cg"  # the source kind of CG pass crops
DEFAULT_RADIUS = 0.16  # the stabilize and dataset stages' default framing (what version 1 facesets without one had)


def _1_to_2(data: dict[str, Any]) -> dict[str, Any]:
    return {"radius": DEFAULT_RADIUS, "sources": {}, **data,
            "crops": [{"mask": None, **crop} if isinstance(crop, dict) else crop for crop in data.get("crops", [])]}


FACESET = Artifact("faceset", 2, MANIFEST, upgrades={1: _1_to_2},
                   missing="build one with `facereplace dataset build SHOT`")


def read_faceset(folder: str | os.PathLike) -> dict[str, Any]:
    """A faceset manifest (the folder or its faceset.json) with "folder" set to where it lives."""
    p = FACESET.path(folder)
    data = FACESET.read(p)
    if not isinstance(data.get("crops"), list):
        raise InputError(f"{p}: a faceset needs a 'crops' list")
    data["folder"] = p.parent
    return data


def write_faceset(folder: str | os.PathLike, data: dict[str, Any]) -> Path:
    """Write a faceset manifest (atomically) into `folder`, after its images."""
    body = {k: v for k, v in data.items() if k != "folder"}
    missing = [k for k in ("identity", "size", "radius", "sources", "crops") if k not in body]
    if missing:
        raise ValueError(f"a faceset needs {', '.join(missing)}")
    return FACESET.write(Path(folder), body)


def write_crops(folder: str | os.PathLike, *, identity: str, crops: np.ndarray, poses: np.ndarray,
                masks: np.ndarray | None = None, ids: Sequence[str] | None = None,
                extra: Sequence[dict[str, Any]] | None = None, radius: float = DEFAULT_RADIUS,
                shot: str = "") -> Path:
    """A faceset folder from arrays: crops (N, H, W, 3 in 0..1), optional head masks (N, H, W) and poses (N, 3),
    written as the dataset stage writes one (`extra`: each crop's other fields, e.g. source, frame, descriptors,
    pass, pair_of). Images are written before the manifest, so a reader never sees a manifest listing missing
    files."""
    from pipeline.media.image import write_image

    folder = Path(folder)
    ids = list(ids) if ids is not None else [f"{i:06d}" for i in range(len(crops))]
    entries = []
    for i, crop_id in enumerate(ids):
        entry: dict[str, Any] = {
            "id": crop_id, "image": f"images/{crop_id}.png", "mask": None, "yaw": float(poses[i][0]),
            "pitch": float(poses[i][1]), "roll": float(poses[i][2]), "source": "", "source_name": "", "camera": "",
            "frame": None, "shot": shot, "tags": [], "descriptors": {}}
        write_image(folder / entry["image"], crops[i], bits=8)
        if masks is not None:
            entry["mask"] = f"images/{crop_id}.mask.png"
            write_image(folder / entry["mask"], masks[i], bits=8)
        entries.append({**entry, **(extra[i] if extra is not None else {})})
    return write_faceset(folder, {"identity": identity, "size": int(crops.shape[1]), "radius": radius, "shot": shot,
                                  "sources": {}, "crops": entries})


def rebase(entries: list[dict[str, Any]], source_folder: Path, dest_folder: Path) -> list[dict[str, Any]]:
    """Entries whose image and mask paths are made relative to `dest_folder` (a derived faceset elsewhere)."""
    out = []
    for entry in entries:
        moved = dict(entry)
        for key in ("image", "mask"):
            if entry.get(key) is not None:
                moved[key] = os.path.relpath(Path(source_folder) / entry[key], dest_folder)
        out.append(moved)
    return out


def photos(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The photographic crops (not CG passes) of a faceset."""
    return [e for e in data["crops"] if e.get("source") != CG_SOURCE]


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
