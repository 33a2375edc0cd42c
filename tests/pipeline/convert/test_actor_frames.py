"""Which actor frame each converted plate frame of a snapping (rigid) variant was drawn from, and whether it came
from the walkthrough frames synced to it or fell back to the whole fit set: in the frame records, the QC the
site shows, and as counts in the variant's record."""
from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from pipeline.convert import ConvertConfig, ConvertInputs, VariantConfig, read_converted, run
from pipeline.convert.swapper import ActorFrame, TrainedSwapper
from pipeline.publish.variant import write_review_variant
from pipeline.shot import SourceSync

# the walkthrough's frames 1001..1006 at half speed happen at plate frames 1001, 1001.5, ... 1003.5
HALF_SPEED = SourceSync(frame=1001, plate_frame=1001, rate=0.5)
WINDOW = 0.25


def test_each_crop_says_which_actor_frame_it_snapped_to(snapping_checkpoint):
    crops = np.random.default_rng(1).uniform(0, 1, (4, 64, 64, 3)).astype(np.float32)
    rigid = TrainedSwapper(snapping_checkpoint, device="cpu", syncs={"walk": HALF_SPEED}, sync_window=WINDOW)
    out = rigid.swap(crops, [1001, 1002, 1003, 1010])
    assert out.actor_frames[:3] == [ActorFrame("walk_0", "walk", 1001, "sync_window"),
                                    ActorFrame("walk_2", "walk", 1003, "sync_window"),
                                    ActorFrame("walk_4", "walk", 1005, "sync_window")]
    # nothing of the walkthrough happens near plate frame 1010: the nearest latent of the whole fit set
    unsynced = TrainedSwapper(snapping_checkpoint, device="cpu").swap(crops, [1001, 1002, 1003, 1010])
    assert out.actor_frames[3] == ActorFrame(**{**vars(unsynced.actor_frames[3]), "snapped_from": "fallback"})
    assert {a.snapped_from for a in unsynced.actor_frames} == {"fit_set"}  # no sync: always the whole fit set
    np.testing.assert_array_equal(rigid(crops, [1001, 1002, 1003, 1010])[0], out.rgb)
    loose = TrainedSwapper(snapping_checkpoint, device="cpu", performance=1.0, syncs={"walk": HALF_SPEED},
                           sync_window=WINDOW)
    assert loose.swap(crops, [1001, 1002, 1003, 1010]).actor_frames is None


@pytest.fixture(scope="module")
def rigid_converted(identity_shot, snapping_checkpoint, tmp_path_factory):
    swapper = TrainedSwapper(snapping_checkpoint, device="cpu", syncs={"walk": HALF_SPEED}, sync_window=WINDOW)
    out = tmp_path_factory.mktemp("rigid-shot") / "convert" / "rigid"
    run(ConvertConfig(motion_blur=False), ConvertInputs(shot=identity_shot, framing=identity_shot.config.stabilize,
                                                        variant=VariantConfig(name="rigid", model="rigid"),
                                                        swapper=swapper, out_dir=out))
    return read_converted(out)


def test_a_rigid_variant_records_the_actor_frame_of_every_plate_frame(rigid_converted):
    data = rigid_converted
    frames = {r.frame: r for r in data.frames if r.swapped}
    qc = {q.frame: q for q in data.qc}
    assert len(frames) > 6
    for frame, record in frames.items():
        actor = record.actor_frame
        assert qc[frame].actor_frame == actor
        assert actor.source == "walk" and actor.bank_id == f"walk_{actor.clip_frame - 1001}"
        if frame <= 1003:  # a synced moment of the walkthrough, within the window
            assert actor.snapped_from == "sync_window"
            assert abs(HALF_SPEED.plate_time(actor.clip_frame) - frame) <= WINDOW
        else:
            assert actor.snapped_from == "fallback"
    assert data.record["performance_sync"]["synced_frames"] == sum(f <= 1003 for f in frames)
    assert data.record["performance_sync"]["fallback_frames"] == sum(f > 1003 for f in frames)


def test_the_published_variant_carries_the_actor_frames_and_counts(rigid_converted, tmp_path):
    from pipeline.publish.variant import read_variant

    published = read_variant(write_review_variant(tmp_path, rigid_converted.folder))
    assert [q["actor_frame"] for q in published.fields["qc"]] == [
        dataclasses.asdict(q.actor_frame) for q in rigid_converted.qc]
    assert published.fields["performance"]["sync"] == rigid_converted.record["performance_sync"]


def test_chunks_joined_count_the_synced_frames_over_the_whole_shot(identity_shot, snapping_checkpoint,
                                                                   rigid_converted, tmp_path):
    from pipeline.convert.stage import join_converted

    swapper = TrainedSwapper(snapping_checkpoint, device="cpu", syncs={"walk": HALF_SPEED}, sync_window=WINDOW)
    chunks = []
    for frames in ((1001, 1002), (1003, identity_shot.last_frame)):  # the synced frames split between chunks
        chunks.append(tmp_path / f"chunk{frames[0]}")
        run(ConvertConfig(motion_blur=False, review_clip=False),
            ConvertInputs(shot=identity_shot, framing=identity_shot.config.stabilize,
                          variant=VariantConfig(name="rigid", model="rigid"), swapper=swapper, out_dir=chunks[-1],
                          frames=frames))
    joined = read_converted(join_converted(chunks, tmp_path / "joined").manifest)
    assert joined.record["performance_sync"] == rigid_converted.record["performance_sync"]
    assert [q.actor_frame for q in joined.qc] == [q.actor_frame for q in rigid_converted.qc]


def test_a_loose_variant_records_no_actor_frame(identity_shot, snapping_checkpoint, tmp_path):
    swapper = TrainedSwapper(snapping_checkpoint, device="cpu", performance=1.0, syncs={"walk": HALF_SPEED},
                             sync_window=WINDOW)
    run(ConvertConfig(motion_blur=False, review_clip=False),
        ConvertInputs(shot=identity_shot, framing=identity_shot.config.stabilize,
                      variant=VariantConfig(name="loose", model="rigid"), swapper=swapper, out_dir=tmp_path / "loose"))
    data = read_converted(tmp_path / "loose")
    swapped = [r for r in data.frames if r.swapped]
    assert swapped and all(r.actor_frame is None for r in swapped)
    written = json.loads((tmp_path / "loose" / "converted.json").read_text())  # written as null, not left out
    assert all("actor_frame" in r and r["actor_frame"] is None for r in written["frames"] + written["qc"])
    assert data.record["performance_sync"] is None
