"""Benchmark of conversion: frames per second for 256² crops on a 1920x1080 plate on the CPU, split into model,
warp/blend and I/O time, as the convert stage measures them (`ConvertOutputs.timings`).

The plate is a 24-frame textured 8-bit PNG sequence with a head spinning and sliding across it (a .chan track);
the model is the `loose` swap network at 256² with its default widths (untrained weights cost the same as
trained ones), loaded from a checkpoint the way `facereplace convert` does. Goal: model time at least half of
the total, i.e. the pipeline around the network does not dominate.
"""
from __future__ import annotations

import logging
import tempfile
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

WIDTH, HEIGHT, FRAMES, FIRST, SIZE = 1920, 1080, 24, 1001, 256


def _shot(folder: Path) -> Path:
    """A shot folder: the plate, a head track (.chan) and camera intrinsics, with one [[variants]] table."""
    import torch

    from pipeline.geometry import Intrinsics, compose, rotation_from_yaw_pitch_roll
    from pipeline.media.image import write_image
    from pipeline.models import create_model
    from pipeline.track.chan import ChanTrack, write_chan
    from pipeline.track.load import write_intrinsics
    from pipeline.train.checkpoint import save_checkpoint

    rng = np.random.default_rng(0)
    coarse = rng.random((HEIGHT // 16, WIDTH // 16, 3), dtype=np.float32)
    texture = np.kron(coarse, np.ones((16, 16, 1), np.float32)) * 0.6 + 0.2
    for i in range(FRAMES):
        write_image(folder / "plate" / f"plate.{FIRST + i:04d}.png", np.roll(texture, 4 * i, axis=1))
    frames = np.arange(FIRST, FIRST + FRAMES)
    t = np.arange(FRAMES, dtype=np.float64)
    rotation = rotation_from_yaw_pitch_roll(np.stack([15.0 * t, 5 * np.sin(t / 4), np.zeros(FRAMES)], -1))
    translation = np.stack([-0.6 + 0.05 * t, 0.1 * np.sin(t / 3), np.full(FRAMES, -3.0)], -1)
    write_chan(folder / "tracks" / "head.chan", ChanTrack.from_matrices(frames, compose(rotation, translation)))
    write_intrinsics(folder / "tracks" / "camera.json", Intrinsics(WIDTH, HEIGHT))
    torch.manual_seed(0)
    model = create_model("loose", size=SIZE)
    save_checkpoint(folder / "model", {"variant": "loose", "stage": "fit", "step": 0, "complete": True,
                                       "model": model.spec, "config": {}, "manifest_hash": "bench", "facesets": {},
                                       "metrics": {"losses": []}, "model_state": model.state_dict()})
    (folder / "shot.toml").write_text(
        f'schema_version = 1\n[shot]\nname = "bench"\nfirst_frame = {FIRST}\nlast_frame = {FIRST + FRAMES - 1}\n'
        'fps = 24\nplate = "plate/plate.%04d.png"\nhead_track = "tracks/head.chan"\ncamera = "tracks/camera.json"\n'
        f'[convert]\ndevice = "cpu"\n[[variants]]\nname = "loose"\nmodel = "loose"\ncheckpoint = "model"\n')
    return folder


def run(report) -> None:
    import torch

    from pipeline.convert import ConvertInputs, TrainedSwapper, run as convert
    from pipeline.shot import load_shot

    with tempfile.TemporaryDirectory() as tmp:
        shot = load_shot(_shot(Path(tmp)))
        swapper = TrainedSwapper(shot.root / "model", device="cpu")
        log.info("convert bench: %d frames %dx%d, %d² crops, torch threads %d", FRAMES, WIDTH, HEIGHT, SIZE,
                 torch.get_num_threads())
        out = convert(shot.config.convert, ConvertInputs(shot=shot, framing=shot.config.stabilize,
                                                         variant=shot.variant("loose"), swapper=swapper,
                                                         out_dir=shot.root / "out"))
    timings = out.timings
    total = sum(timings.values())
    report.add("conversion throughput (1920x1080 plate, 256² crops, CPU)", FRAMES / total, "frames/s")
    for key, label in (("model", "model"), ("warp_blend", "warp/blend"), ("io", "I/O (read, EXR passes, PNG, review clip)")):
        report.add(f"{label} time per frame", 1000.0 * timings[key] / FRAMES, "ms")
    report.add("model share of conversion time", 100.0 * timings["model"] / total, "%", goal=">= 50")
