"""`facereplace demo`: the main job on a small synthetic project, end to end as far as the engine goes.

One sequence, synthetic shots made from the synth presets; each shot goes through the shot runner
(pipeline.run) at a small budget (`SyntheticBudget`). Every step writes its output atomically and is skipped
when that output is already there, so a second run reuses what is done (delete a shot's folder to redo it).
`--quick` runs the same code at tiny sizes (the tests).
"""
from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from pipeline.models.registry import list_models
from pipeline.run import RunConfig, SyntheticBudget

PRESETS = ("pirouette", "fouette", "bow")
# Where the site looks for a shot's engine folder (FACEREPLACE_ENGINE_ROOT/project/sequence/shot, by default
# var/engine): the demo publishes to project "demo", sequence "SQ010", so an approved demo edit renders with
# the real comp from these converted variants.
DEFAULT_PROJECT = Path("var") / "engine" / "demo" / "SQ010"


@dataclasses.dataclass(frozen=True)
class DemoConfig:
    project_dir: Path = DEFAULT_PROJECT
    presets: tuple[str, ...] = PRESETS  # the shots, one per synth preset
    models: tuple[str, ...] = tuple(list_models())
    budget: SyntheticBudget = SyntheticBudget()

    @classmethod
    def quick(cls, project_dir: Path, presets: tuple[str, ...] = ("pirouette",)) -> DemoConfig:
        return cls(project_dir=project_dir, presets=presets, budget=SyntheticBudget.quick())

    def run_config(self, preset: str) -> RunConfig:
        """One shot's run: made from its preset, and (the same actor and dancer in every shot) its models' fit
        stages starting from the base stages trained once, on the first shot."""
        return RunConfig.synthetic(preset, self.budget, models=self.models,
                                   base_from=self.project_dir / self.presets[0])


@dataclasses.dataclass(frozen=True)
class ShotResult:
    shot_dir: Path
    track: Path
    stabilized: Path
    cropped_frames: int
    flagged_frames: int
    variants: tuple[Path, ...]  # review/variants/NAME/variant.json, ready to publish


def run_shot(config: DemoConfig, preset: str) -> ShotResult:
    """The engine on one shot of the demo project."""
    from pipeline.publish.variant import VARIANT_FILE
    from pipeline.run import run_shot as run_engine
    from pipeline.stabilize.stage import MANIFEST, read_stabilized

    layout = run_engine(config.project_dir / preset, config.run_config(preset)).layout
    manifest = read_stabilized(layout.stabilize / MANIFEST)
    flagged = sum(1 for record in manifest["frames"] if record["flag"])
    return ShotResult(shot_dir=layout.root, track=layout.track, stabilized=layout.stabilize / MANIFEST,
                      cropped_frames=len(manifest["frames"]) - flagged, flagged_frames=flagged,
                      variants=tuple(layout.review_variant(m) / VARIANT_FILE for m in config.models))


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
