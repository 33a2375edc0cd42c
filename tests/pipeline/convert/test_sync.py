"""Performance sync: a snapping model takes the actor's latent from the moment of her walkthrough that matches
the plate frame, so what her mouth did then is what the rigid variant shows."""
from __future__ import annotations

import numpy as np
import pytest

from pipeline.convert.sync import PerformanceSync
from pipeline.shot import SourceSync

HALF_SPEED = SourceSync(frame=1001, plate_frame=1001, rate=0.5)


def test_latents_of_synced_sources_get_their_plate_time():
    origins = [("walkthrough_main", 1001), ("walkthrough_main", 1004), ("rig", 1004), None,
               ("walkthrough_left", 1010)]
    sync = PerformanceSync.of(origins, {"walkthrough_main": HALF_SPEED, "walkthrough_left": HALF_SPEED}, 1.0)
    assert sync.synced == 3
    np.testing.assert_array_equal(sync.times, [1001.0, 1002.5, np.nan, np.nan, 1005.5])
    allowed = sync.allowed([1001, 1002, 1005, 1020])
    assert allowed.tolist() == [[True, False, False, False, False],
                                [True, True, False, False, False],
                                [False, False, False, False, True],
                                [False, False, False, False, False]]  # none: the model snaps to the whole bank


@pytest.mark.parametrize("origins, syncs, window", [
    ([("rig", 1001), None], {"walkthrough_main": HALF_SPEED}, 1.0),  # nothing in the bank is synced
    ([("walkthrough_main", 1001)], {"walkthrough_main": HALF_SPEED}, 0.0),  # window 0: sync off
])
def test_no_sync_when_nothing_is_synced_or_the_window_is_off(origins, syncs, window):
    assert PerformanceSync.of(origins, syncs, window) is None


def test_a_rigid_swapper_takes_each_plate_frames_latent_from_that_moment_of_the_walkthrough(snapping_checkpoint):
    import torch

    from pipeline.convert.swapper import TrainedSwapper

    rng = np.random.default_rng(0)
    # the walkthrough's frames 1001..1006 at half speed happen at plate frames 1001, 1001.5, ... 1003.5
    swapper = TrainedSwapper(snapping_checkpoint, device="cpu", syncs={"walk": HALF_SPEED}, sync_window=0.25)
    assert swapper.record["performance_sync"] == {"window_frames": 0.25, "synced_latents": 6, "latents": 6,
                                                  "sources": ["walk"]}
    plate_crops = rng.uniform(0, 1, (3, 64, 64, 3)).astype(np.float32)
    rgb, _ = swapper(plate_crops, [1001, 1002, 1003])
    bank, model = swapper.trained.bank, swapper.trained.model
    with torch.no_grad():
        expected = model.decode(bank.latents[[0, 2, 4]], "actor")[0].permute(0, 2, 3, 1).numpy()
    np.testing.assert_allclose(rgb, expected, atol=1e-5)
    # without the frames (or without a sync) it snaps to whichever latent is nearest, whatever its moment
    free, _ = TrainedSwapper(snapping_checkpoint, device="cpu")(plate_crops, [1001, 1002, 1003])
    with torch.no_grad():
        x = torch.from_numpy(plate_crops.transpose(0, 3, 1, 2).copy())
        nearest, _ = bank.nearest(model.encode(x))
        anywhere = model.decode(nearest, "actor")[0].permute(0, 2, 3, 1).numpy()
    np.testing.assert_allclose(free, anywhere, atol=1e-5)
    assert TrainedSwapper(snapping_checkpoint, device="cpu").record["performance_sync"] is None
    # a model that does not snap has nothing to sync
    loose = TrainedSwapper(snapping_checkpoint, device="cpu", performance=1.0, syncs={"walk": HALF_SPEED},
                           sync_window=1.0)
    assert loose.sync is None and loose.record["performance_sync"] is None
