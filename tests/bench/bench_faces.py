"""Benchmark of the face-mesh descriptors on real footage: precision and recall of mouth open, teeth visible and
eyes closed against frames labelled by looking at them (`face_labels.tsv`: ../shared/footage, read through
FACEREPLACE_FOOTAGE, default ../shared/footage beside the repository). Goal: >= 0.9 each.

Each labelled frame is read whole by the refined face mesh (478 points) and measured by
`pipeline.dataset.descriptors.mesh_measures`; eyes against the person's own open eye, taken as a faceset takes
it (`rebase_eyes`: the 90th percentile of the clip's eye openness, every 4th frame). Eyes are reported twice: on
the frames where the mesh measures them (the far eye at least EYE_TURNED_RATIO of the near one's width), and over
every labelled frame, an unmeasured one counting as "not closed" (so a turned head's closed eyes are misses).
`python -m tests.bench faces`; the package photographs' version runs in the tests (test_face_mesh.py).
"""
from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)

LABELS = Path(__file__).with_name("face_labels.tsv")
GOAL = ">= 0.9"
BASELINE_STEP = 4  # every 4th frame of a clip measures the person's open eye


def footage_root() -> Path:
    root = Path(__file__).resolve().parents[2]
    return Path(os.environ.get("FACEREPLACE_FOOTAGE", root.parent / "shared" / "footage"))


def read_labels(path: Path = LABELS) -> list[tuple[str, int, dict[str, bool | None]]]:
    rows = [line.rstrip("\n").split("\t") for line in path.read_text(encoding="utf-8").splitlines()
            if line and not line.startswith("#")]
    head, body = rows[0], rows[1:]
    value = {"1": True, "0": False, "-": None}
    return [(r[0], int(r[1]), {k: value[v] for k, v in zip(head[2:], r[2:])}) for r in body]


def measure_footage(labels, footage: Path) -> dict[tuple[str, int], dict]:
    from pipeline.dataset.descriptors import eyes_closed_from, mesh_measures
    from pipeline.media.clip import open_clip
    from pipeline.track.solve import Landmarker, to_rgb8

    out = {}
    with Landmarker(mode="static", refine=True) as landmarker:
        for name in sorted({n for n, _, _ in labels}):
            with open_clip(footage / name) as clip:
                openness = []
                for frame in clip.frame_range[::BASELINE_STEP]:
                    points = landmarker(to_rgb8(clip.read(frame), linear=clip.linear))
                    if points is not None:
                        measured = mesh_measures(to_rgb8(clip.read(frame), linear=clip.linear), points)
                        if measured["eye_openness"] is not None:
                            openness.append(measured["eye_openness"])
                baseline = float(np.percentile(openness, 90)) if len(openness) >= 10 else None
                for clip_name, frame, _ in labels:
                    if clip_name != name:
                        continue
                    rgb = to_rgb8(clip.read(frame), linear=clip.linear)
                    points = landmarker(rgb)
                    if points is None:
                        out[name, frame] = None
                        continue
                    measured = mesh_measures(rgb, points)
                    if baseline is not None and measured["eye_openness"] is not None:
                        measured["eyes_closed"] = eyes_closed_from(measured["eye_openness"] / baseline,
                                                                   turned=measured["eyes_turned"])
                    out[name, frame] = measured
    return out


def decisions(measured: dict | None) -> dict[str, bool]:
    """The yes/no each label is compared with (a face the mesh misses says no to all)."""
    from pipeline.dataset.descriptors import MOUTH_OPEN_AT

    if measured is None:
        return {"mouth_open": False, "teeth_visible": False, "eyes_closed": False}
    return {"mouth_open": measured["mouth_open"] >= MOUTH_OPEN_AT, "teeth_visible": bool(measured["teeth_visible"]),
            "eyes_closed": measured["eyes_closed"] is not None and measured["eyes_closed"] >= 0.5}


def precision_recall(pairs: list[tuple[bool, bool]]) -> tuple[float, float]:
    """(precision, recall) of (label, decision) pairs."""
    tp = sum(1 for label, said in pairs if label and said)
    fp = sum(1 for label, said in pairs if not label and said)
    fn = sum(1 for label, said in pairs if label and not said)
    return tp / max(tp + fp, 1), tp / max(tp + fn, 1)


def run(report) -> None:
    footage = footage_root()
    if not footage.is_dir():
        raise FileNotFoundError(f"{footage}: no footage folder; set FACEREPLACE_FOOTAGE")
    labels = read_labels()
    measured = measure_footage(labels, footage)
    eyes_seen = {(n, f) for n, f, _ in labels
                 if measured[n, f] is not None and measured[n, f]["eyes_closed"] is not None}
    for key, where, only in (("mouth_open", "", None), ("teeth_visible", "", None),
                             ("eyes_closed", " where measured", eyes_seen), ("eyes_closed", " all", None)):
        rows = [(n, f, t) for n, f, t in labels if t[key] is not None and (only is None or (n, f) in only)]
        pairs = [(t[key], decisions(measured[n, f])[key]) for n, f, t in rows]
        precision, recall = precision_recall(pairs)
        positives = sum(label for label, _ in pairs)
        for what, value in (("precision", precision), ("recall", recall)):
            report.add(f"{key}{where} {what} ({len(pairs)} frames, {positives} yes)", value, "", goal=GOAL)
        wrong = [f"{n}:{f}" for n, f, t in rows if t[key] != decisions(measured[n, f])[key]]
        logger.info("%s%s: P %.2f R %.2f; wrong: %s", key, where, precision, recall, ", ".join(wrong) or "none")
