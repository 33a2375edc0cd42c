"""A converted variant (SHOT/convert/NAME/converted.json, kind "converted_variant") and a chunk of one
(chunk.json, kind "converted_chunk"): their typed records, their one reader and writer, and which variants of a
shot are converted (the comp, eval, the runner and the site's render all ask this one place).

converted_variant, schema changelog:
  1: variant, shot, config, variant_config, the model record (model, checkpoint, faceset hash, performance,
     performance_sync), first/last frame, fps, plate size, encoding and path, crop size, radius, skull centre,
     layers, patterns of the comp frames and passes, review clip, timings; per frame: status ("swapped" | why
     not), transform, motion (pixels over the shutter), yaw_pitch_roll, consistency; per frame QC: pose_distance,
     consistency, anomaly, flagged. Within version 1 (so older folders lack them): `face` on swapped frames and
     their QC rows, `actor_frame` on frames and QC rows, the record's performance_sync counts.
  2: every frame record and QC row carries `face` ([x, y, half side] as fractions of the plate, for the player's
     loupe; null without a swap) and `actor_frame` (the actor latent a snapping model took: bank_id, source,
     clip_frame, snapped_from "sync_window" | "fallback" | "fit_set"; null for a model that does not snap and for
     a frame without a swap); a record with performance_sync carries its synced_frames and fallback_frames.
     Version 1 files are upgraded on reading (nulls, and the counts from their frames).
  3: every frame record and QC row carries `uncovered`: null where the frame's pose lies within [convert]
     coverage_limit_deg of the actor's material, as decided over runs (pipeline.convert.coverage.steady_uncovered),
     or nobody measured it, else the policy applied ("plate": the
     frame holds the plate, status "uncovered"; "swap"; "cg": the CG head render); the header carries `coverage`
     (pipeline.convert.coverage.coverage_summary: limit, policy, uncovered frames, the views missing). Version 2
     files are upgraded on reading (null everywhere: nobody asked then). Within version 3 (older files lack it,
     read as null): `actor_frame.past_limit_deg`, how far past the pose limit a snap reached for the plate's mouth.
converted_chunk: 1: the variant's header, the chunk's frame range, its frame records, coverage, timings;
  2: its frame records are version 2's (upgraded from 1 likewise); 3: version 3's (likewise).
"""
from __future__ import annotations

import dataclasses
import functools
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.artifacts import Artifact
from pipeline.shot import ShotLayout

MANIFEST = "converted.json"
SNAPPED_FROM = ("sync_window", "fallback", "fit_set")


@dataclasses.dataclass(frozen=True)
class ActorFrame:
    """The fit-set latent a snapping model took for one crop: its bank id, the actor source and clip frame it was
    encoded from (None when the bank does not know), and where it was looked for: "sync_window" (the walkthrough
    frames synced within the window of the crop's plate frame), "fallback" (none synced that near, so the whole
    fit set) or "fit_set" (the variant has no performance sync, or the crop no plate frame); and how far past the
    snap limit ([convert] coverage_limit_deg) its pose lies from the crop's, where the limit held no actor frame with
    the plate's mouth ([convert] mouth_tolerance: TrainedSwapper.match_mouths), None within it."""

    bank_id: str
    source: str | None
    clip_frame: int | None
    snapped_from: str
    past_limit_deg: float | None = None


@dataclasses.dataclass(frozen=True)
class FrameRecord:
    """One plate frame of a conversion: swapped (with how it was framed and put back) or why it holds the plate."""

    frame: int
    status: str                                       # "swapped", or why not (e.g. "behind_camera", "no_face")
    transform: list[list[float]] | None = None        # plate -> crop, 3x3
    motion: list[float] | None = None                 # the head's image motion over the shutter, pixels
    yaw_pitch_roll: list[float] | None = None
    face: list[float] | None = None                   # [x, y, half side], fractions of the plate
    consistency: float | None = None                  # the swap through the model again (QC)
    actor_frame: ActorFrame | None = None
    uncovered: str | None = None                      # None, or the [convert] uncovered policy the frame got

    @property
    def swapped(self) -> bool:
        return self.status == "swapped"


@dataclasses.dataclass(frozen=True)
class QcRow:
    """Per-frame QC over the whole shot: distance to the training poses, self-consistency, anomaly and its flag."""

    frame: int
    swapped: bool
    flagged: bool
    face: list[float] | None = None
    pose_distance: float | None = None
    consistency: float | None = None
    anomaly: float | None = None
    actor_frame: ActorFrame | None = None
    uncovered: str | None = None


@dataclasses.dataclass(frozen=True)
class ConvertedVariant:
    """A converted variant's folder as read: where it is, its header (plain data: config, model record, plate and
    crop facts, file patterns), its frame records and QC rows."""

    folder: Path
    header: dict[str, Any]
    frames: tuple[FrameRecord, ...]
    qc: tuple[QcRow, ...]
    review_clip: str | None
    timings: dict[str, float]

    @property
    def name(self) -> str:
        return self.header["variant"]

    @property
    def record(self) -> dict[str, Any]:
        """How the variant was made: model, checkpoint, faceset hash, performance (and its sync)."""
        return self.header["record"]

    def __getitem__(self, key: str) -> Any:
        """A header field (first_frame, width, comp, passes, crop_size, ...)."""
        return self.header[key]

    @functools.cached_property
    def by_frame(self) -> dict[int, FrameRecord]:
        return {r.frame: r for r in self.frames}

    @functools.cached_property
    def swap_weights(self) -> dict[int, float]:
        """How much of its swap each frame's comp shows, 0..1: below 1 where the swap dissolves from and to the
        plate left on uncovered frames ([convert] coverage_fade, pipeline.convert.coverage.fade_weights, over the
        frames the header's coverage names uncovered, as conversion computed it), 0 on those, else 1 (and 1 on
        every frame under the "swap" and "cg" policies, which give uncovered frames an output too)."""
        from pipeline.convert.coverage import fade_weights

        frames = [r.frame for r in self.frames]
        coverage = self.header.get("coverage") or {}
        uncovered = set(coverage.get("uncovered_frames") or ())
        if coverage.get("policy") != "plate" or not uncovered or not frames:
            return dict.fromkeys(frames, 1.0)
        first = min(min(frames), min(uncovered))
        span = np.arange(first, max(max(frames), max(uncovered)) + 1)
        weights = fade_weights(np.isin(span, sorted(uncovered)), int(self.header["config"].get("coverage_fade", 0)))
        return {f: float(weights[f - first]) for f in frames}


def frame_record(data: dict[str, Any]) -> FrameRecord:
    """A frame record as written (plain data), typed."""
    actor = data.get("actor_frame")
    return FrameRecord(**{**data, "actor_frame": None if actor is None else ActorFrame(**actor)})


def _qc_row(data: dict[str, Any]) -> QcRow:
    actor = data.get("actor_frame")
    return QcRow(**{**data, "actor_frame": None if actor is None else ActorFrame(**actor)})


def frame_dicts(records: Sequence[FrameRecord | QcRow]) -> list[dict[str, Any]]:
    """Records as written (plain data)."""
    return [dataclasses.asdict(r) for r in records]


def sync_counts(record: dict[str, Any], frames: Sequence[FrameRecord]) -> dict[str, Any]:
    """The model record with, when the variant snapped under a performance sync, how many frames took the actor's
    latent from their sync window and how many fell back to the whole fit set."""
    sync = record.get("performance_sync")
    if sync is None:
        return record
    taken = [r.actor_frame.snapped_from for r in frames if r.actor_frame is not None]
    return {**record, "performance_sync": {**sync, "synced_frames": taken.count("sync_window"),
                                           "fallback_frames": taken.count("fallback")}}


def _upgrade_records(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**row, "face": row.get("face"), "actor_frame": row.get("actor_frame")} for row in rows]


def _variant_1_to_2(data: dict[str, Any]) -> dict[str, Any]:
    frames = _upgrade_records(data["frames"])
    record = sync_counts(data["record"], [frame_record(r) for r in frames])
    return {**data, "record": record, "frames": frames, "qc": _upgrade_records(data["qc"])}


def _chunk_1_to_2(data: dict[str, Any]) -> dict[str, Any]:
    return {**data, "frames": _upgrade_records(data["frames"])}


def _uncovered_unknown(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**row, "uncovered": None} for row in rows]


def _variant_2_to_3(data: dict[str, Any]) -> dict[str, Any]:
    return {**data, "coverage": None, "frames": _uncovered_unknown(data["frames"]),
            "qc": _uncovered_unknown(data["qc"])}


def _chunk_2_to_3(data: dict[str, Any]) -> dict[str, Any]:
    return {**data, "frames": _uncovered_unknown(data["frames"])}


CONVERTED = Artifact("converted_variant", 3, MANIFEST, upgrades={1: _variant_1_to_2, 2: _variant_2_to_3},
                     missing="run `facereplace convert SHOT --variant NAME` first")
CHUNK = Artifact("converted_chunk", 3, "chunk.json", upgrades={1: _chunk_1_to_2, 2: _chunk_2_to_3},
                 missing="run its chunk (convert with frames=) first", title="conversion chunk")


def read_converted(location: str | os.PathLike) -> ConvertedVariant:
    """A converted variant (its folder or its converted.json), upgraded to the current version."""
    path = CONVERTED.path(location)
    data = CONVERTED.read(path)
    header = {k: v for k, v in data.items() if k not in ("kind", "schema_version", "frames", "qc", "review_clip",
                                                          "timings")}
    return ConvertedVariant(folder=path.parent, header=header, frames=tuple(frame_record(r) for r in data["frames"]),
                            qc=tuple(_qc_row(r) for r in data["qc"]), review_clip=data["review_clip"],
                            timings=data["timings"])


def write_converted(folder: Path, header: dict[str, Any], frames: Sequence[FrameRecord], qc: Sequence[QcRow],
                    review_clip: str | None, timings: dict[str, float]) -> Path:
    return CONVERTED.write(folder, {**header, "record": sync_counts(header["record"], frames),
                                    "review_clip": review_clip, "frames": frame_dicts(frames), "qc": frame_dicts(qc),
                                    "timings": timings})


def converted_variants(shot_root: str | os.PathLike) -> dict[str, Path]:
    """The shot's converted variants by name (sorted): each SHOT/convert/NAME that holds its converted.json."""
    folder = ShotLayout(Path(shot_root)).converted
    if not folder.is_dir():
        return {}
    return {p.name: p for p in sorted(folder.iterdir()) if (p / MANIFEST).is_file()}
