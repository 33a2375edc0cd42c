"""The converted_variant artifact: its typed reader takes the folders older engines wrote (fields added within
version 1 missing, or present) through its upgrader, and refuses a version it does not know."""
from __future__ import annotations

import json

import pytest

from pipeline.convert.converted import CHUNK, ActorFrame, read_converted, write_converted
from pipeline.errors import InputError

RECORD = {"model": "rigid", "checkpoint": "/shot/train/rigid/fit/checkpoint.pt", "performance": 0.0,
          "performance_sync": {"window_frames": 1.0, "synced_latents": 6, "latents": 6}}
SWAPPED = {"frame": 1001, "status": "swapped", "transform": [[1, 0, 0], [0, 1, 0], [0, 0, 1]], "motion": [0.5, 0.0],
           "yaw_pitch_roll": [10.0, 0.0, 0.0], "consistency": 0.01}
QC = {"frame": 1001, "swapped": True, "pose_distance": 2.0, "consistency": 0.01, "anomaly": 0.3, "flagged": False}
SNAPPED = {"bank_id": "walk_3", "source": "walk", "clip_frame": 1004, "snapped_from": "sync_window"}


def _version_1(folder, *, within: bool):
    """converted.json as version 1 was written: first without, then (`within`) with the fields added later."""
    frame, qc = dict(SWAPPED), dict(QC)
    if within:
        frame.update(face=[0.5, 0.4, 0.1], actor_frame=SNAPPED)
        qc.update(face=[0.5, 0.4, 0.1], actor_frame=SNAPPED)
    folder.mkdir()
    (folder / "converted.json").write_text(json.dumps({
        "kind": "converted_variant", "schema_version": 1, "variant": "rigid", "shot": "pirouette", "record": RECORD,
        "first_frame": 1001, "last_frame": 1002, "comp": "comp/comp.%04d.png", "review_clip": "review.mp4",
        "frames": [frame, {"frame": 1002, "status": "behind_camera"}],
        "qc": [qc, {"frame": 1002, "swapped": False, "pose_distance": None, "consistency": None, "anomaly": None,
                    "flagged": True}],
        "timings": {"model": 1.0}}))
    return folder


def test_a_version_1_folder_from_before_the_loupe_and_the_sync_reads_with_nulls(tmp_path):
    data = read_converted(_version_1(tmp_path / "old", within=False))
    swapped, behind = data.frames
    assert swapped.swapped and swapped.face is None and swapped.actor_frame is None and swapped.motion == [0.5, 0.0]
    assert (behind.status, behind.transform, behind.face, behind.actor_frame) == ("behind_camera", None, None, None)
    assert [q.actor_frame for q in data.qc] == [None, None] and data.qc[1].flagged
    assert data.record["performance_sync"] == {**RECORD["performance_sync"], "synced_frames": 0, "fallback_frames": 0}
    assert (data.name, data["first_frame"], data.review_clip) == ("rigid", 1001, "review.mp4")


def test_a_version_1_folder_with_the_fields_added_within_it_keeps_them_and_gets_its_counts(tmp_path):
    data = read_converted(_version_1(tmp_path / "newer", within=True))
    assert data.frames[0].face == [0.5, 0.4, 0.1] and data.frames[0].actor_frame == ActorFrame(**SNAPPED)
    assert data.qc[0].actor_frame == ActorFrame(**SNAPPED)
    counts = data.record["performance_sync"]
    assert (counts["synced_frames"], counts["fallback_frames"]) == (1, 0)


def test_what_is_read_writes_back_as_the_current_version(tmp_path):
    old = read_converted(_version_1(tmp_path / "old", within=True))
    folder = tmp_path / "new"
    folder.mkdir()
    write_converted(folder, old.header, old.frames, old.qc, old.review_clip, old.timings)
    written = json.loads((folder / "converted.json").read_text())
    assert written["schema_version"] == 3 and written["frames"][1]["face"] is None  # every field, null when unset
    assert written["coverage"] is None and written["qc"][0]["uncovered"] is None  # nobody asked before version 3
    again = read_converted(folder)
    assert (again.frames, again.qc, again.record) == (old.frames, old.qc, old.record)


def test_a_chunk_from_version_1_is_upgraded_and_a_newer_variant_refused(tmp_path):
    folder = tmp_path / "chunk"
    folder.mkdir()
    (folder / "chunk.json").write_text(json.dumps({"kind": "converted_chunk", "schema_version": 1, "header": {},
                                                   "chunk": [1001, 1001], "frames": [SWAPPED], "coverage": None,
                                                   "timings": {}}))
    assert CHUNK.read(folder)["frames"] == [{**SWAPPED, "face": None, "actor_frame": None, "uncovered": None}]
    newer = _version_1(tmp_path / "newer", within=True) / "converted.json"
    newer.write_text(newer.read_text().replace('"schema_version": 1', '"schema_version": 4'))
    with pytest.raises(InputError, match="converted_variant schema version 4 is not supported .this engine reads 1, 2, 3"):
        read_converted(newer.parent)
    with pytest.raises(InputError, match="no converted variant here; run `facereplace convert SHOT --variant NAME`"):
        read_converted(tmp_path / "nowhere")
