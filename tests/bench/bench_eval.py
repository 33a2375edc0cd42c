"""Benchmark of `facereplace eval` on a 256² pirouette (48 frames, two full turns):

- throughput: frames scored per second in plate space, beside a bare loop that only reads the images eval
  reads (output, truth rigid/loose, plate, matte): the cost of measuring over the cost of reading;
- framing per yaw bin: the share of plate frames with a head crop when framed from the 3D pose (the stabilize
  stage) and with the 2D landmark baseline, scored by eval on the plate's own crops. Goal: every back-of-head
  and profile frame has a crop with the pose framing.
"""
from __future__ import annotations

import logging
import tempfile
import time
from pathlib import Path

log = logging.getLogger(__name__)

SIZE, FRAMES = 256, 48


def _throughput(report, shot, out: Path) -> None:
    from pipeline.eval import EvalConfig, EvalInputs, PlateSequence, run
    from pipeline.media.clip import open_clip
    from pipeline.media.image import read_image
    from pipeline.shot import frame_path

    started = time.perf_counter()
    with open_clip(shot.plate, first_frame=shot.first_frame, fps=shot.fps) as clip:
        for frame in shot.frames:
            clip.read(frame)
            for pattern in (shot.truth.loose, shot.truth.rigid, shot.truth.loose, shot.truth.matte):
                read_image(frame_path(pattern, frame))
    bare = len(shot.frames) / (time.perf_counter() - started)
    started = time.perf_counter()
    run(EvalConfig(plots=False), EvalInputs(shot=shot, variants=[PlateSequence("loose", shot.truth.loose)],
                                            out_dir=out))
    scored = len(shot.frames) / (time.perf_counter() - started)
    report.add(f"eval throughput, {SIZE}² plate", scored, "frames/s", baseline="reading the same images only",
               baseline_value=bare)


def _framing(report, shot, work: Path) -> None:
    from pipeline.eval import EvalConfig, EvalInputs, StabilizedCrops, run
    from pipeline.stabilize import StabilizeConfig, StabilizeInputs
    from pipeline.stabilize import run as stabilize
    from pipeline.track.load import load_head_track

    track = load_head_track(shot.head_track, intrinsics=shot.camera, rotation_order=shot.rotation_order)
    variants = []
    for method in ("pose", "landmarks2d"):
        result = stabilize(StabilizeConfig(size=128, method=method), StabilizeInputs(
            plate=shot.plate, track=track, out_dir=work / method, first_frame=shot.first_frame, fps=str(shot.fps)))
        variants.append(StabilizedCrops(method, result.manifest))
    scored = run(EvalConfig(plots=False), EvalInputs(shot=shot, variants=variants, out_dir=work / "eval")).variants
    pose = {row["bin"]: row for row in scored["pose"]["bins"]}
    baseline = {row["bin"]: row for row in scored["landmarks2d"]["bins"]}
    for name in pose:
        if not pose[name]["frames"]:
            continue
        report.add(f"{name} frames with a crop, 3D pose framing", 100.0 * pose[name]["share"], "%",
                   baseline="2D landmark framing", baseline_value=100.0 * baseline[name]["share"],
                   goal="100" if name in ("profile", "back") else None)


def run(report) -> None:
    from pipeline.shot import load_shot
    from pipeline.synth.stage import SynthConfig
    from pipeline.synth.stage import run as synth

    with tempfile.TemporaryDirectory(prefix="bench-eval-") as tmp:
        folder = synth(SynthConfig(preset="pirouette", size=SIZE, frames=FRAMES, review_clip=False),
                       Path(tmp) / "shot")
        shot = load_shot(folder)
        _throughput(report, shot, Path(tmp) / "throughput")
        _framing(report, shot, Path(tmp) / "framing")
