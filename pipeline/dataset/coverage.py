"""Coverage: which plate frames have no training pose near them, before any training.

For each plate frame, the angle to the nearest pose in the faceset; frames farther than the threshold
are predicted to fail (they come out as a blurry mess). Writes `coverage.json` (kind "coverage": per
frame distance and nearest crop, the flagged frames; this becomes per-frame QC on the review site) and
`coverage.png`: a yaw x pitch heatmap of the faceset's poses with the plate's frames over it.
"""
from __future__ import annotations

import dataclasses
import logging
import os
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.artifacts import read_manifest, write_manifest
from pipeline.atomic import atomic_dir
from pipeline.dataset.descriptors import face_direction
from pipeline.dataset.faceset import photos, read_faceset
from pipeline.dataset.poses import directions, nearest
from pipeline.errors import InputError

logger = logging.getLogger(__name__)

KIND = "coverage"
SCHEMA_VERSION = 1
MANIFEST = "coverage.json"


@dataclasses.dataclass(frozen=True)
class CoverageOutputs:
    manifest: Path
    heatmap: Path
    distance_deg: dict[int, float]  # plate frame -> angle to the nearest training pose
    flagged: tuple[int, ...]  # frames predicted to fail


def measure(entries: list[dict[str, Any]], frames: np.ndarray, yaw: np.ndarray, pitch: np.ndarray,
            threshold_deg: float) -> list[dict[str, Any]]:
    """Per plate frame: pose, angle to the nearest faceset pose, its id, and whether it is predicted to fail."""
    if not entries:
        raise InputError("coverage: the faceset has no photographs; every frame would fail. Build it first")
    index, _, angle = nearest(face_direction(yaw, pitch), directions(entries), 1)
    return [{"frame": int(f), "yaw": float(y), "pitch": float(p), "distance_deg": float(a[0]),
             "nearest": entries[int(j[0])]["id"], "predicted_fail": bool(a[0] > threshold_deg)}
            for f, y, p, a, j in zip(frames, yaw, pitch, angle, index)]


def run(faceset_dir: str | os.PathLike, frames: np.ndarray, yaw: np.ndarray, pitch: np.ndarray,
        out_dir: str | os.PathLike, *, threshold_deg: float, shot_name: str = "") -> CoverageOutputs:
    """Measure the plate's coverage by a faceset; write the JSON and the heatmap into `out_dir` whole."""
    data = read_faceset(faceset_dir)
    entries = photos(data)
    records = measure(entries, frames, yaw, pitch, threshold_deg)
    flagged = tuple(r["frame"] for r in records if r["predicted_fail"])
    out = Path(out_dir)
    with atomic_dir(out) as tmp:
        write_manifest(tmp / MANIFEST, kind=KIND, version=SCHEMA_VERSION, data={
            "shot": shot_name, "faceset": os.fspath(Path(data["folder"]).resolve()), "threshold_deg": threshold_deg,
            "faceset_crops": len(entries), "flagged": list(flagged), "frames": records})
        _heatmap(tmp / "coverage.png", entries, records, threshold_deg, shot_name)
    logger.info("coverage: %d of %d plate frames farther than %g degrees from any training pose", len(flagged),
                len(records), threshold_deg)
    return CoverageOutputs(manifest=out / MANIFEST, heatmap=out / "coverage.png",
                           distance_deg={r["frame"]: r["distance_deg"] for r in records}, flagged=flagged)


def read_coverage(path: str | os.PathLike) -> dict[int, float]:
    """Per plate frame, the angle to the nearest training pose (for per-frame QC)."""
    p = Path(path)
    data = read_manifest(p / MANIFEST if p.is_dir() else p, kind=KIND, versions=(SCHEMA_VERSION,))
    return {int(r["frame"]): float(r["distance_deg"]) for r in data["frames"]}


def coverage_faceset(path: str | os.PathLike) -> Path | None:
    """The faceset a coverage.json measured the plate against, where it is on this machine (else None)."""
    p = Path(path)
    data = read_manifest(p / MANIFEST if p.is_dir() else p, kind=KIND, versions=(SCHEMA_VERSION,))
    folder = Path(data.get("faceset") or "")
    return folder if data.get("faceset") and folder.is_dir() else None


def _heatmap(path: Path, entries: list[dict[str, Any]], records: list[dict[str, Any]], threshold: float,
             title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from pipeline.atomic import atomic_path

    yaw_edges, pitch_edges = np.arange(-180, 181, 10), np.arange(-90, 91, 10)
    counts, _, _ = np.histogram2d([e["yaw"] for e in entries], [e["pitch"] for e in entries],
                                  bins=(yaw_edges, pitch_edges))
    fig, ax = plt.subplots(figsize=(9, 4.5), dpi=100)
    mesh = ax.pcolormesh(yaw_edges, pitch_edges, np.log1p(counts.T), cmap="viridis", shading="flat")
    fig.colorbar(mesh, ax=ax, label="training crops (log 1+n)")
    ok = [r for r in records if not r["predicted_fail"]]
    bad = [r for r in records if r["predicted_fail"]]
    ax.scatter([r["yaw"] for r in ok], [r["pitch"] for r in ok], s=10, c="white", edgecolors="black",
               linewidths=0.3, label=f"plate frames covered ({len(ok)})")
    ax.scatter([r["yaw"] for r in bad], [r["pitch"] for r in bad], s=16, c="red", marker="x",
               label=f"predicted to fail (> {threshold:g} deg, {len(bad)})")
    ax.set_xlim(-180, 180)
    ax.set_ylim(90, -90)  # nose down (positive pitch) at the bottom
    ax.set_xlabel("yaw (deg)")
    ax.set_ylabel("pitch (deg, + nose down)")
    ax.set_title(f"coverage {title}".strip())
    ax.legend(loc="upper right", fontsize=7)
    fig.tight_layout()
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)
