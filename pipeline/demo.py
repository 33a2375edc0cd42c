"""`facereplace demo`: the main job on a small synthetic project, end to end as far as the engine goes.

One sequence, the three synth presets as shots; for each shot, the engine's stages in order. Every step
writes its output atomically and is skipped when that output is already there, so a second run reuses
what is done (delete a shot's folder to redo it). `--quick` runs the same code at tiny sizes (the tests).
"""
from __future__ import annotations

import argparse
import dataclasses
import functools
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.models.registry import list_models

if TYPE_CHECKING:
    from pipeline.progress import ProgressCallback

logger = logging.getLogger(__name__)

PRESETS = ("pirouette", "fouette", "bow")
# Where the site looks for a shot's engine folder (FACEREPLACE_ENGINE_ROOT/project/sequence/shot, by default
# var/engine): the demo publishes to project "demo", sequence "SQ010", so an approved demo edit renders with
# the real comp from these converted variants.
DEFAULT_PROJECT = Path("var") / "engine" / "demo" / "SQ010"


VARIANTS = tuple(list_models())


@dataclasses.dataclass(frozen=True)
class DemoConfig:
    project_dir: Path = DEFAULT_PROJECT
    presets: tuple[str, ...] = PRESETS
    size: int = 128  # plate size in pixels (square)
    frames: int = 48  # plate frames per shot
    first_frame: int = 1001
    fps: str = "24000/1001"
    crop_size: int = 64  # stabilized crop side, for the faceset and the models (64 trains fast on a CPU)
    fit_size: int = 120  # actor crops in each shot's fit set (the bow's head-down poses have ~135 nearby)
    base_steps: int = 1200  # training steps of each variant's base stage (once, shared by the shots)
    fit_steps: int = 200  # and of its per-shot fit stage
    variants: tuple[str, ...] = VARIANTS
    seed: int = 7

    @classmethod
    def quick(cls, project_dir: Path, presets: tuple[str, ...] = ("pirouette",)) -> DemoConfig:
        return cls(project_dir=project_dir, presets=presets, size=64, frames=24, crop_size=64, fit_size=60,
                   base_steps=6, fit_steps=3)


@dataclasses.dataclass(frozen=True)
class ShotResult:
    shot_dir: Path
    track: Path
    stabilized: Path
    cropped_frames: int
    flagged_frames: int
    variants: tuple[Path, ...]  # review/variants/NAME/variant.json, ready to publish (none when not converting)


@dataclasses.dataclass(frozen=True)
class Step:
    name: str
    output: Path  # the step is done when this exists (each stage writes it last, atomically)
    make: Callable[[], object]


def _run_step(step: Step) -> bool:
    """Run `step` unless its output exists; True when it ran."""
    if step.output.exists():
        logger.info("%s: reusing %s", step.name, step.output)
        return False
    started = time.monotonic()
    step.make()
    logger.info("%s: done in %.1f s -> %s", step.name, time.monotonic() - started, step.output)
    return True


def shot_steps(config: DemoConfig, preset: str, *, convert: bool = True) -> list[Step]:
    """The engine's stages on one shot, in order; with convert=False up to training only (the site converts
    each variant as a chunked job of its own, `review.services.job_kinds.convert_queue`)."""
    from pipeline.convert.shot import run_shot as convert_shot
    from pipeline.dataset.shot import run_shot as dataset
    from pipeline.media.review import make_review_clip
    from pipeline.eval.shot import evaluate_converted
    from pipeline.publish.stage import VARIANT_FILE
    from pipeline.shot import ShotLayout, load_shot
    from pipeline.stabilize.shot import run_shot as stabilize
    from pipeline.stabilize.stage import MANIFEST
    from pipeline.synth.stage import SynthConfig
    from pipeline.synth.stage import run as synth
    from pipeline.track.headtrack import write_track
    from pipeline.track.load import load_head_track
    from pipeline.train.shot import run_shot as train_shot

    shot_dir = config.project_dir / preset
    layout = ShotLayout(shot_dir)
    track_path = layout.track
    # read after synth wrote it, with the demo's crop and fit set sizes
    shot = lambda: load_shot(layout.shot_file).with_settings(  # noqa: E731
        stabilize={"size": config.crop_size}, dataset={"size": config.crop_size}, fit={"size": config.fit_size},
        train={"steps": config.base_steps, "fit_steps": config.fit_steps})

    steps = [
        Step(f"{preset}: synth", layout.shot_file, lambda: synth(
            SynthConfig(preset=preset, size=config.size, frames=config.frames, seed=config.seed,
                        first_frame=config.first_frame, fps=config.fps), shot_dir)),
        Step(f"{preset}: track import", track_path, lambda: write_track(track_path, load_head_track(
            shot().head_track, intrinsics=shot().camera, rotation_order=shot().rotation_order),
            source=str(shot().head_track))),
        Step(f"{preset}: stabilize", layout.stabilize / MANIFEST, lambda: stabilize(shot(), track=track_path)),
        Step(f"{preset}: plate review clip", layout.plate_clip, lambda: make_review_clip(
            shot().plate, layout.plate_clip, burn_in=shot().name, first_frame=shot().first_frame,
            fps=shot().fps)),
        Step(f"{preset}: faceset, rules, fit set, coverage", layout.dataset.coverage / "coverage.json",
             lambda: dataset(shot())),
    ]
    # The base of each variant learns the identity pair once, on the first shot's material (the same actor and
    # dancer in every shot); each shot's fit stage starts from it and learns that shot's fit set.
    base_shot = ShotLayout(config.project_dir / config.presets[0])
    for variant in config.variants:
        base = base_shot.checkpoint(variant, "base")
        if layout == base_shot:
            steps.append(Step(f"{preset}: train {variant} base", base, functools.partial(
                lambda v: train_shot(shot(), model=v, stage="base"), variant)))
        steps.append(Step(f"{preset}: train {variant} fit", layout.checkpoint(variant, "fit"),
                          functools.partial(lambda v, b: train_shot(shot(), model=v, stage="fit", base=b),
                                            variant, base)))
        if convert:
            steps.append(Step(f"{preset}: convert {variant}", layout.review_variant(variant) / VARIANT_FILE,
                              functools.partial(lambda v: convert_shot(shot(), v), variant)))
    if convert:
        steps.append(Step(f"{preset}: eval", layout.eval() / "eval.json",
                          lambda: evaluate_converted(shot(), config.variants)))
    return steps


def run_shot(config: DemoConfig, preset: str, progress: ProgressCallback | None = None, *,
             convert: bool = True) -> ShotResult:
    """The engine's stages on one shot (with convert=False up to training); `progress` hears (fraction, step)
    after each (the site's job page)."""
    from pipeline.publish.stage import VARIANT_FILE
    from pipeline.shot import ShotLayout
    from pipeline.stabilize.stage import MANIFEST, read_stabilized

    steps = shot_steps(config, preset, convert=convert)
    for i, step in enumerate(steps, 1):
        _run_step(step)
        if progress is not None:
            progress(i / len(steps), step.name)
    layout = ShotLayout(config.project_dir / preset)
    manifest = read_stabilized(layout.stabilize / MANIFEST)
    flagged = sum(1 for record in manifest["frames"] if record["flag"])
    variants = tuple(layout.review_variant(v) / VARIANT_FILE for v in config.variants) if convert else ()
    return ShotResult(shot_dir=layout.root, track=layout.track, stabilized=layout.stabilize / MANIFEST,
                      cropped_frames=len(manifest["frames"]) - flagged, flagged_frames=flagged, variants=variants)


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
              f" ({result.flagged_frames} frames without a crop); variants ready to publish: "
              + ", ".join(p.parent.name for p in result.variants))
    return 0
