"""A shot framed by the 2D landmark baseline ([stabilize] method = "landmarks2d"): its facesets hold only the
frames where a face is found, cut the baseline's way, so the same pipeline can be compared with both framings."""
from __future__ import annotations

import numpy as np

from pipeline.dataset.faceset import read_faceset
from pipeline.dataset.stage import build_faceset
from pipeline.media.image import read_image
from pipeline.shot import DatasetLayout, load_shot


def _back_of_head(crops: list[dict]) -> list[dict]:
    return [e for e in crops if abs(e["yaw"]) > 120]


def test_2d_baseline_faceset_has_no_crop_where_no_face_is_found(shot_variant, built, tmp_path):
    shot = load_shot(shot_variant('[stabilize]\nmethod = "landmarks2d"'))
    paths = DatasetLayout(tmp_path / "dataset")
    build_faceset(shot.config.dataset, shot, paths, identity="dancer")
    baseline, pose = read_faceset(paths.faceset("dancer")), read_faceset(built.faceset("dancer"))

    assert _back_of_head(pose["crops"]) and not _back_of_head(baseline["crops"])
    assert baseline["sources"]["plate"]["unframed"] > 0 and 0 < len(baseline["crops"]) < len(pose["crops"])
    # switching the framing redoes the source (same media and settings otherwise)
    assert baseline["sources"]["plate"]["signature"] != pose["sources"]["plate"]["signature"]
    # a frame both have is cut differently: the baseline scales to the face's landmarks, not the skull's radius
    frontal = min(baseline["crops"], key=lambda e: abs(e["yaw"]))
    same = next(e for e in pose["crops"] if e["frame"] == frontal["frame"])
    a, b = (read_image(root / e["image"]) for root, e in ((paths.faceset("dancer"), frontal),
                                                          (built.faceset("dancer"), same)))
    assert np.abs(a - b).mean() > 0.02
