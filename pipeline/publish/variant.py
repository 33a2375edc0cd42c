"""A reviewable variant (SHOT/review/variants/NAME/variant.json, kind "review_variant" 1): what publish sends to the
site for one converted variant (its review clip, the record of how it was made, per-frame QC, metrics). Written
from a converted variant, read by `facereplace publish` and by the site's conversion job, which publishes it
in-process; this module is its one reader and writer.

    {"kind": "review_variant", "schema_version": 1, "label": "rigid", "variant_kind": "rigid" (its model, or
     "other"), "clip": "../../../convert/rigid/review.mp4" (relative), "model": ..., "checkpoint": ...,
     "faceset": {"hash": ...}, "performance": {"value": ..., "sync": ...}, "qc": [...],
     "metrics": {"coverage": the conversion's uncovered frames and missing views, "eval": ...}}
"""
from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any

from pipeline.artifacts import Artifact
from pipeline.errors import InputError
from pipeline.media.audio import clip_sound_add
from pipeline.media.review import read_filmstrip_layout, review_paths
from pipeline.models.registry import list_models
from pipeline.shot import ShotLayout, load_shot

VARIANT_FILE = "variant.json"
REVIEW_VARIANT = Artifact("review_variant", 1, VARIANT_FILE, missing="convert the variant first")
VARIANT_KINDS = (*list_models(), "other")  # a variant's kind on the site: its model's name, or other


@dataclasses.dataclass(frozen=True)
class VariantToPublish:
    label: str
    kind: str
    files: dict[str, Path]  # "clip", and "thumbnail" / "filmstrip" when make_review_clip wrote them
    fields: dict[str, Any]


def write_review_variant(shot_root: str | os.PathLike, converted: str | os.PathLike) -> Path | None:
    """The reviewable variant of a converted variant (its folder or converted.json), pointing at its review clip
    and carrying its record and per-frame QC. None when the variant has no review clip. The clip gets the
    plate's sound when the plate has some, so the supervisor judges every variant against the music."""
    from pipeline.convert.converted import frame_dicts, read_converted

    data = read_converted(converted)
    if not data.review_clip:
        return None
    layout = ShotLayout(Path(shot_root))
    folder = layout.review_variant(data.name)
    if layout.shot_file.is_file():
        clip_sound_add(data.folder / data.review_clip, load_shot(layout.shot_file).sound)
    record = data.record
    kind = record.get("model") if record.get("model") in list_models() else "other"
    clip = Path(os.path.relpath(data.folder / data.review_clip, folder))
    return REVIEW_VARIANT.write(folder, {
        "label": data.name, "variant_kind": kind, "clip": clip.as_posix(),
        "model": record.get("model", ""), "checkpoint": record.get("checkpoint", ""),
        "faceset": {"hash": record.get("faceset_hash", "")},
        "performance": {"value": record.get("performance"), "sync": record.get("performance_sync")},
        "qc": frame_dicts(data.qc), "metrics": {"coverage": data.header.get("coverage")}})


def variants_of(shot_dir: Path) -> list[VariantToPublish]:
    """The variants under review/variants/, checked before anything is uploaded."""
    folder = ShotLayout(shot_dir).review_variants
    manifests = sorted(folder.glob(f"*/{VARIANT_FILE}")) if folder.is_dir() else []
    return [read_variant(path) for path in manifests]


def read_variant(path: Path) -> VariantToPublish:
    """One variant's review/variants/NAME/variant.json, checked: what the site is sent for it (also what a
    site job publishes in-process after a conversion)."""
    data = REVIEW_VARIANT.read(path)
    label, kind, clip = data.get("label"), data.get("variant_kind"), data.get("clip")
    if not isinstance(label, str) or not label.strip():
        raise InputError(f"{path}: 'label' must be a non-empty string")
    if kind not in VARIANT_KINDS:
        raise InputError(f"{path}: 'variant_kind' is {kind!r}; use one of {', '.join(VARIANT_KINDS)}")
    if not isinstance(clip, str) or not (path.parent / clip).is_file():
        raise InputError(f"{path}: its review clip {clip!r} is missing beside it; rerun the convert stage")
    qc = data.get("qc", [])
    if not isinstance(qc, list) or not all(isinstance(r, dict) and isinstance(r.get("frame"), int) for r in qc):
        raise InputError(f"{path}: 'qc' must be a list of objects each with an integer 'frame'")
    try:  # the site takes strict JSON: a NaN (a broken frame's score) must be found here, not refused there
        json.dumps({"qc": qc, "metrics": data.get("metrics", {})}, allow_nan=False)
    except ValueError:
        raise InputError(f"{path}: its QC or metrics hold a non-finite number (NaN or infinity); rerun the "
                         "stage that wrote it (a NaN usually means a broken input frame)") from None
    metrics = data.get("metrics", {})
    if not isinstance(metrics, dict):
        raise InputError(f"{path}: 'metrics' must be an object (e.g. {{\"eval\": ...}})")
    fields = {"model_name": data.get("model", ""), "checkpoint": data.get("checkpoint", ""),
              "faceset": data.get("faceset", {}), "performance": data.get("performance", {}), "qc": qc,
              "metrics": metrics}
    mp4, thumbnail, filmstrip, layout = review_paths(path.parent / clip)
    files = {"clip": mp4, **{k: p for k, p in (("thumbnail", thumbnail), ("filmstrip", filmstrip)) if p.is_file()}}
    if "filmstrip" in files and layout.is_file():
        fields["filmstrip_layout"] = read_filmstrip_layout(layout)
    return VariantToPublish(label=label, kind=kind, files=files, fields=fields)


def attach_metrics(shot_dir: str | Path, variant: str, metrics: dict[str, Any]) -> Path:
    """Add `metrics` (e.g. {"eval": facereplace eval's per-yaw-bin table}) to a variant before it is published."""
    path = ShotLayout(Path(shot_dir)).review_variant(variant) / VARIANT_FILE
    data = REVIEW_VARIANT.read(path)
    return REVIEW_VARIANT.write(path, {**data, "metrics": {**data.get("metrics", {}), **metrics}})
