"""Fit selection: the actor material that matches one shot, for per-shot fit training.

For every plate frame, the faceset crops nearest in pose (optionally in lighting too) are candidates;
crops from the shot's own in-scene walkthrough rank ahead of other material (which counts as
`prefer_walkthrough_deg` farther). The plate's poses are binned (yaw x pitch, `bin_deg`) and the bins
share the fit set's size equally, taking turns to add their best remaining candidate, so the few
frames of a profile or a back view get as much material as the many frontal ones.

Writes a fit-set faceset (image paths into the source faceset) and `fit_report.json` (kind "fit_set").
A fit set that cannot be filled is an error saying how many crops were found for which plate angles.
"""
from __future__ import annotations

import dataclasses
import logging
import os
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.artifacts import write_manifest
from pipeline.atomic import atomic_dir
from pipeline.config import config_to_dict
from pipeline.dataset.config import FitConfig
from pipeline.dataset.faceset import photos, read_faceset, rebase, write_faceset
from pipeline.dataset.poses import bin_label, directions, nearest
from pipeline.dataset.descriptors import face_direction
from pipeline.errors import InputError

logger = logging.getLogger(__name__)

REPORT_KIND = "fit_set"
REPORT_VERSION = 1


@dataclasses.dataclass(frozen=True)
class PlatePoses:
    """The shot's plate frames to fit: frame numbers, (yaw, pitch) and optionally their lighting."""

    frames: np.ndarray
    yaw: np.ndarray
    pitch: np.ndarray
    brightness: np.ndarray | None = None
    key_light_deg: np.ndarray | None = None


@dataclasses.dataclass(frozen=True)
class FitSelection:
    ids: list[str]
    bins: list[dict[str, Any]]
    per_frame: list[dict[str, Any]]


def light_difference(brightness_a: np.ndarray, key_a: np.ndarray, brightness_b: np.ndarray,
                     key_b: np.ndarray) -> np.ndarray:
    """0 (same lighting) .. 1 (opposite): half from brightness, half from the key light's direction."""
    db = np.minimum(np.abs(brightness_a - brightness_b) / 0.3, 1.0)
    dk = (1.0 - np.cos(np.radians(key_a - key_b))) / 2.0
    return 0.5 * db + 0.5 * dk


def select(config: FitConfig, entries: list[dict[str, Any]], plate: PlatePoses, *, shot_name: str) -> FitSelection:
    """Choose the fit set (crop ids) from faceset `entries` for the plate's poses."""
    if not entries:
        raise InputError("fit: the faceset has no actor photographs; build it (and check the rules kept some)")
    reference = directions(entries)
    query = face_direction(plate.yaw, plate.pitch)
    in_scene = np.array([e.get("source") == "walkthrough" and e.get("shot") == shot_name for e in entries])
    penalty = np.where(in_scene, 0.0, config.prefer_walkthrough_deg).astype(np.float32)
    k = min(config.neighbours + (config.neighbours if config.light_weight_deg > 0 else 0), len(entries))
    index, rank, angle = nearest(query, reference, k, penalty_deg=penalty)
    if config.light_weight_deg > 0:
        if plate.brightness is None or plate.key_light_deg is None:
            raise InputError("fit: light_weight_deg needs the plate's lighting; measure the plate first")
        fb = np.array([e["descriptors"].get("brightness") or 0.0 for e in entries])
        fk = np.array([e["descriptors"].get("key_light_deg") or 0.0 for e in entries])
        rank = rank + config.light_weight_deg * light_difference(plate.brightness[:, None], plate.key_light_deg[:, None],
                                                                 fb[index], fk[index])
        order = np.argsort(rank, axis=1, kind="stable")[:, :config.neighbours]
        index, rank, angle = (np.take_along_axis(a, order, axis=1) for a in (index, rank, angle))
    # candidates per plate pose bin: each crop at its best rank for any frame of the bin
    bins: dict[tuple[float, float], dict[str, Any]] = {}
    for i in range(len(plate.frames)):
        key = bin_label(plate.yaw[i], plate.pitch[i], config.bin_deg)
        b = bins.setdefault(key, {"frames": [], "best": {}})
        b["frames"].append(int(plate.frames[i]))
        for j, r, a in zip(index[i], rank[i], angle[i]):
            if a <= config.max_distance_deg:
                b["best"][int(j)] = min(float(r), b["best"].get(int(j), np.inf))
    queues = {key: sorted(b["best"], key=lambda j: (b["best"][j], j)) for key, b in bins.items()}
    taken: set[int] = set()
    chosen: list[int] = []
    per_bin: dict[tuple[float, float], int] = defaultdict(int)
    cursor = {key: 0 for key in queues}
    keys = sorted(queues)
    while len(chosen) < config.size:
        progressed = False
        for key in keys:
            queue = queues[key]
            while cursor[key] < len(queue) and queue[cursor[key]] in taken:
                cursor[key] += 1
            if cursor[key] < len(queue) and len(chosen) < config.size:
                j = queue[cursor[key]]
                taken.add(j)
                chosen.append(j)
                per_bin[key] += 1
                progressed = True
        if not progressed:
            break
    summary = [{"yaw": [key[0], key[0] + config.bin_deg], "pitch": [key[1], key[1] + config.bin_deg],
                "plate_frames": len(b["frames"]), "candidates": len(b["best"]), "selected": per_bin[key],
                "frames": b["frames"]} for key, b in sorted(bins.items())]
    if len(chosen) < config.size:
        raise InputError(_unfillable(config, len(chosen), summary))
    per_frame = [{"frame": int(plate.frames[i]), "yaw": float(plate.yaw[i]), "pitch": float(plate.pitch[i]),
                  "nearest": [entries[int(j)]["id"] for j in index[i, :3]],
                  "distance_deg": float(angle[i, 0])} for i in range(len(plate.frames))]
    return FitSelection(ids=[entries[j]["id"] for j in chosen], bins=summary, per_frame=per_frame)


def _unfillable(config: FitConfig, found: int, bins: list[dict[str, Any]]) -> str:
    lines = [f"fit: the fit set cannot be filled: {found} crops found within {config.max_distance_deg:g} degrees "
             f"of the plate's poses, {config.size} asked for. Per plate angle (yaw, pitch):"]
    for b in sorted(bins, key=lambda b: b["candidates"]):
        lines.append(f"  yaw {b['yaw'][0]:g}..{b['yaw'][1]:g}, pitch {b['pitch'][0]:g}..{b['pitch'][1]:g}: "
                     f"{b['candidates']} crops for {b['plate_frames']} plate frames")
    lines.append("Lower [fit] size, raise max_distance_deg or neighbours, or add actor material at these angles.")
    return "\n".join(lines)


def run(config: FitConfig, faceset_dir: str | os.PathLike, plate: PlatePoses, out_dir: str | os.PathLike, *,
        shot_name: str) -> Path:
    """Select the fit set and write it (a faceset folder) with its report; returns the manifest path."""
    data = read_faceset(faceset_dir)
    source, out = Path(data["folder"]), Path(out_dir)
    entries = photos(data)
    selection = select(config, entries, plate, shot_name=shot_name)
    chosen = set(selection.ids)
    by_id = {e["id"]: e for e in entries}
    picked = [by_id[i] for i in selection.ids]
    cg = [e for e in data["crops"] if e.get("source") == "cg" and e.get("pair_of") in chosen]
    with atomic_dir(out) as tmp:
        derived = {k: v for k, v in data.items() if k not in ("folder", "crops", "kind", "schema_version")}
        write_faceset(tmp, {**derived, "derived_from": os.path.relpath(source, out), "fit": config_to_dict(config),
                            "crops": rebase(picked + cg, source, out)})
        write_manifest(tmp / "fit_report.json", kind=REPORT_KIND, version=REPORT_VERSION, data={
            "faceset": os.fspath(source.resolve()), "shot": shot_name, "config": config_to_dict(config),
            "selected": len(picked), "in_scene_walkthrough": sum(1 for e in picked if e.get("source") == "walkthrough"
                                                                 and e.get("shot") == shot_name),
            "bins": selection.bins, "frames": selection.per_frame})
    logger.info("fit: %d crops for %d plate frames in %d pose bins", len(picked), len(plate.frames),
                len(selection.bins))
    return out / "faceset.json"
