"""`facereplace demo`: the main job on a small synthetic project, end to end as far as the engine goes.

One sequence, the three synth presets as shots; for each shot, the engine's stages in order. Every step
writes its output atomically and is skipped when that output is already there, so a second run reuses
what is done (delete a shot's folder to redo it). `--quick` runs the same code at tiny sizes (the tests).
"""
from __future__ import annotations

import argparse
import dataclasses
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pipeline.progress import ProgressCallback

logger = logging.getLogger(__name__)

PRESETS = ("pirouette", "fouette", "bow")
DEFAULT_PROJECT = Path("var") / "demo"


@dataclasses.dataclass(frozen=True)
class DemoConfig:
    project_dir: Path = DEFAULT_PROJECT
    presets: tuple[str, ...] = PRESETS
    size: int = 128  # plate size in pixels (square)
    frames: int = 48  # plate frames per shot
    crop_size: int = 128  # stabilized crop side
    seed: int = 7

    @classmethod
    def quick(cls, project_dir: Path, presets: tuple[str, ...] = ("pirouette",)) -> DemoConfig:
        return cls(project_dir=project_dir, presets=presets, size=64, frames=24, crop_size=64)


@dataclasses.dataclass(frozen=True)
class ShotResult:
    shot_dir: Path
    track: Path
    stabilized: Path
    cropped_frames: int
    flagged_frames: int


def _step(name: str, output: Path, make: Callable[[], object]) -> bool:
    """Run `make` unless `output` exists; True when it ran."""
    if output.exists():
        logger.info("%s: reusing %s", name, output)
        return False
    started = time.monotonic()
    make()
    logger.info("%s: done in %.1f s -> %s", name, time.monotonic() - started, output)
    return True


def run_shot(config: DemoConfig, preset: str, progress: ProgressCallback | None = None) -> ShotResult:
    """The engine's stages on one shot; `progress` hears (fraction, step) after each (the site's job page)."""
    from pipeline.media.review import make_review_clip
    from pipeline.publish.stage import PLATE_CLIP
    from pipeline.shot import SHOT_FILE, load_shot
    from pipeline.stabilize.stage import MANIFEST, StabilizeConfig, StabilizeInputs, read_stabilized
    from pipeline.stabilize.stage import run as stabilize
    from pipeline.synth.make import SynthConfig
    from pipeline.synth.make import run as synth
    from pipeline.track.headtrack import write_track
    from pipeline.track.load import load_head_track

    shot_dir = config.project_dir / preset
    synth_config = SynthConfig(preset=preset, size=config.size, frames=config.frames, seed=config.seed)
    report = progress or (lambda fraction, message: None)
    _step(f"{preset}: synth", shot_dir / SHOT_FILE, lambda: synth(synth_config, shot_dir))
    report(1 / 3, f"{preset}: synth done")
    shot = load_shot(shot_dir / SHOT_FILE)

    work = shot_dir / "work"
    track_path = work / "track.json"
    _step(f"{preset}: track import", track_path, lambda: write_track(
        track_path, load_head_track(shot.head_track, intrinsics=shot.camera, rotation_order=shot.rotation_order),
        source=str(shot.head_track)))
    report(2 / 3, f"{preset}: track imported")

    stabilized = work / "stabilize"
    track = load_head_track(track_path)
    _step(f"{preset}: stabilize", stabilized / MANIFEST, lambda: stabilize(
        StabilizeConfig(size=config.crop_size), StabilizeInputs(plate=shot.plate, track=track, out_dir=stabilized,
                                                               first_frame=shot.first_frame, fps=str(shot.fps))))
    report(1.0, f"{preset}: stabilized")
    plate_clip = shot_dir / PLATE_CLIP
    _step(f"{preset}: plate review clip", plate_clip, lambda: make_review_clip(
        shot.plate, plate_clip, burn_in=shot.name, first_frame=shot.first_frame, fps=shot.fps))

    manifest = read_stabilized(stabilized / MANIFEST)
    flagged = sum(1 for record in manifest["frames"] if record["flag"])
    return ShotResult(shot_dir=shot_dir, track=track_path, stabilized=stabilized / MANIFEST,
                      cropped_frames=len(manifest["frames"]) - flagged, flagged_frames=flagged)


def run(config: DemoConfig) -> list[ShotResult]:
    """The engine on every shot of the demo project."""
    from pipeline.progress import progress_bar

    results = []
    with progress_bar(len(config.presets), "demo", unit="shot") as bar:
        for preset in config.presets:
            results.append(run_shot(config, preset))
            bar.update(1, preset)
    return results


def register(subparsers: argparse._SubParsersAction) -> None:
    from pipeline.cli import add_verb

    parser = add_verb(subparsers, "demo", help="run the engine on a small synthetic project (make demo)",
                      description=__doc__)
    parser.add_argument("project_dir", nargs="?", type=Path, default=DEFAULT_PROJECT,
                        help=f"where the demo project lives (default: {DEFAULT_PROJECT})")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, one shot: the same code, fast")
    parser.add_argument("--preset", action="append", choices=PRESETS, help="only these shots (repeatable)")
    parser.set_defaults(func=_demo)


def _demo(args: argparse.Namespace) -> int:
    presets = tuple(args.preset) if args.preset else None
    if args.quick:
        config = DemoConfig.quick(args.project_dir, presets or ("pirouette",))
    else:
        config = DemoConfig(project_dir=args.project_dir, presets=presets or PRESETS)
    for result in run(config):
        print(f"{result.shot_dir.name}: {result.cropped_frames} head crops"
              f" ({result.flagged_frames} frames without a crop) -> {result.stabilized}")
    return 0
