"""A snapping (rigid) variant holds its actor frames to the plate's mouth: on the real talking clip the latent
nearest the plate's calm talk was the actor's scream on 97 of 139 frames, because the only actor frames within the
pose limit were two screams and his calm ones lay a degree or two past it."""
from __future__ import annotations

import cv2
import numpy as np
import pytest

from pipeline.convert.config import ConvertConfig
from pipeline.convert.swapper import TrainedSwapper
from pipeline.dataset.descriptors import MOUTH_OPEN_AT

CALM, TALK, SCREAM = (0.02, 0.0), (0.35, 0.05), (1.4, 0.9)  # (mouth_open, mouth_inside)


@pytest.fixture
def rigid(snapping_checkpoint) -> TrainedSwapper:
    """The six-latent rigid model: latents 0-1 screams filmed 20° from the plate's pose (within the 30° limit),
    2-3 calm faces 33° away (within the 5° reach past it), 4-5 talking 50° away (beyond both)."""
    swapper = TrainedSwapper(snapping_checkpoint, performance=0.0, device="cpu")
    ids = swapper.trained.bank.ids
    poses = [20.0, 20.0, 33.0, 33.0, 50.0, 50.0]
    swapper.limit_snaps({i: (p, 0.0, 0.0) for i, p in zip(ids, poses)}, 30.0)
    mouths = [SCREAM, SCREAM, CALM, CALM, TALK, TALK]
    swapper.match_mouths(dict(zip(ids, mouths)), 0.25, reach_deg=5.0)
    return swapper


def _taken(swapper: TrainedSwapper, mouth: tuple[float, float], n: int = 6) -> list:
    crops = np.random.default_rng(5).uniform(0, 1, (n, 64, 64, 3)).astype(np.float32)
    return swapper.swap(crops, poses=np.zeros((n, 3)), mouths=np.tile([mouth], (n, 1))).actor_frames


def test_a_calm_plate_takes_a_calm_actor_frame_just_past_the_limit_rather_than_a_scream_within_it(rigid):
    ids = rigid.trained.bank.ids
    calm = _taken(rigid, CALM)
    assert {a.bank_id for a in calm} <= set(ids[2:4])
    assert all(a.past_limit_deg == pytest.approx(3.0, abs=0.01) for a in calm)  # recorded, for the supervisor
    screaming = _taken(rigid, SCREAM)
    assert {a.bank_id for a in screaming} <= set(ids[:2]) and all(a.past_limit_deg is None for a in screaming)


def test_where_no_frame_near_enough_has_the_mouth_the_nearest_mouths_within_the_limit_are_taken(rigid):
    # talking: the talking latents lie 50° away, past the reach; within the limit there are only screams
    assert {a.bank_id for a in _taken(rigid, TALK)} <= set(rigid.trained.bank.ids[:2])


def test_a_mouth_nobody_measured_holds_nothing_back(rigid):
    unknown = _taken(rigid, (np.nan, np.nan))
    assert {a.bank_id for a in unknown} <= set(rigid.trained.bank.ids[:2])  # the pose limit alone, as before
    rigid.bank_mouths[:2] = np.nan  # the screams' mouths unknown: within the limit, they still count
    assert {a.bank_id for a in _taken(rigid, CALM)} <= set(rigid.trained.bank.ids[:2])


def test_mouth_matching_is_off_without_mouths_or_with_an_infinite_tolerance(snapping_checkpoint):
    swapper = TrainedSwapper(snapping_checkpoint, performance=0.0, device="cpu")
    assert not swapper.matches_mouths
    swapper.match_mouths({}, 0.25)
    assert not swapper.matches_mouths  # no latent's mouth known (a faceset read by regions, not the mesh)
    swapper.match_mouths({swapper.trained.bank.ids[0]: (0.1, 0.0)}, float("inf"))
    assert not swapper.matches_mouths
    with pytest.raises(ValueError, match="mouth_tolerance"):
        ConvertConfig(mouth_tolerance=-0.1)


def test_the_plate_mouth_is_read_as_the_faceset_reads_the_actors():
    """PlateMouths on head crops of package photographs at a model's 64²: the astronaut's smile open, Grace
    Hopper's lips closed, the same figures the dataset's descriptors give those crops."""
    import matplotlib.cbook
    from PIL import Image
    from skimage.data import astronaut

    from pipeline.convert.snaps import PlateMouths
    from pipeline.dataset.descriptors import crop_landmarks, mesh_measures
    from pipeline.track.solve import Landmarker

    hopper = np.asarray(Image.open(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)))
    heads = [astronaut()[20:260, 120:360, :3], hopper[60:420, 110:470, :3]]
    crops = np.stack([cv2.resize(h, (64, 64), interpolation=cv2.INTER_AREA) / 255.0 for h in heads]).astype(np.float32)
    reader = PlateMouths(linear=False)
    try:
        mouths = reader(crops)
    finally:
        reader.close()
    assert mouths[0, 0] >= MOUTH_OPEN_AT and mouths[1, 0] < MOUTH_OPEN_AT
    with Landmarker(mode="static", min_detection_confidence=0.3, refine=True) as mesh:
        for crop, mouth in zip(crops, mouths):
            measured = mesh_measures(crop, crop_landmarks(mesh, crop))
            assert (measured["mouth_open"], measured["mouth_inside"]) == pytest.approx(tuple(mouth))


def test_conversion_measures_the_plate_mouth_once_a_frame_for_a_model_that_matches_mouths(identity_shot,
                                                                                       snapping_checkpoint,
                                                                                       tmp_path, monkeypatch):
    """The stage reads each plate frame's mouth where the actor frames are chosen (over the window, or frame by
    frame without one), once per frame, and converts every frame; a model without mouths reads none."""
    from pipeline.convert import ConvertInputs, VariantConfig, read_converted, run
    from pipeline.convert.snaps import PlateMouths

    measured: list[int] = []
    original = PlateMouths.__call__
    monkeypatch.setattr(PlateMouths, "__call__",
                        lambda self, crops: measured.append(len(crops)) or original(self, crops))

    def convert(out: str, window: int, mouths: bool) -> list:
        swapper = TrainedSwapper(snapping_checkpoint, performance=0.0, device="cpu")
        ids = swapper.trained.bank.ids
        swapper.limit_snaps({i: (0.0, 0.0, 0.0) for i in ids}, 30.0)
        if mouths:
            swapper.match_mouths({i: (0.1 * n, 0.0) for n, i in enumerate(ids)}, 0.25)
        run(ConvertConfig(motion_blur=False, review_clip=False, snap_window=window),
            ConvertInputs(shot=identity_shot, framing=identity_shot.config.stabilize,
                          variant=VariantConfig(name="rigid", model="rigid"), swapper=swapper, out_dir=tmp_path / out))
        return read_converted(tmp_path / out).frames

    for window in (8, 0):
        measured.clear()
        frames = convert(f"window{window}", window, mouths=True)
        assert sum(measured) == 48 and all(r.swapped and r.actor_frame is not None for r in frames)
    measured.clear()
    convert("plain", 8, mouths=False)
    assert measured == []
