"""`facereplace run SHOT`: the shot runner. Any range of the engine's stages on one shot folder, in their order,
each skipped when what it writes is already there, so a killed or repeated run picks up where it stopped. The
command line, the review site's engine job and `facereplace demo` all run a shot through `run_shot`.

    synth      a synthetic shot made in the folder (only when a preset is given and the folder has no shot.toml)
    track      the shot's head track imported into work/track.json
    stabilize  pose-consistent head crops of every plate frame (work/stabilize/)
    review     the plate's review clip (review/plate.mp4), published with the shot
    dataset    facesets, rules, fit set, coverage (dataset/)
    train      each model's base, then its fit stage (train/MODEL/base, train/MODEL/fit)
    convert    each [[variants]] table of those models (convert/NAME/, review/variants/NAME/)
    eval       the converted variants scored against a synthetic shot's truth (and without it, side by side), or
               on real footage without truth, each one's table attached to what publish sends (eval/)

Each stage is its package's shot wrapper (`pipeline/STAGE/shot.py`, `run_shot`); every path is the shot's
`ShotLayout`. Settings are the shot's own tables, with `RunConfig.settings` laid over them (a synthetic run's
small crops and short training: `SyntheticBudget`).
"""
from __future__ import annotations

import argparse
import dataclasses
import logging
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.errors import InputError
from pipeline.models.registry import list_models
from pipeline.progress import ProgressCallback
from pipeline.shot import ShotLayout

if TYPE_CHECKING:
    from pipeline.shot import Shot
    from pipeline.synth.stage import SynthConfig

logger = logging.getLogger(__name__)

STAGES = ("synth", "track", "stabilize", "review", "dataset", "train", "convert", "eval")


@dataclasses.dataclass(frozen=True)
class SyntheticBudget:
    """How big a synthetic shot is made and how briefly its models train, so the whole engine runs on it in minutes
    on a CPU: the demo's shots and a preset run from the review site (a real shot keeps its own settings)."""

    size: int = 128  # plate size in pixels (square)
    frames: int = 48  # plate frames
    first_frame: int = 1001
    fps: str = "24000/1001"
    seed: int = 7
    crop_size: int = 64  # stabilized crop side, for the facesets and the models (64 trains fast on a CPU)
    fit_size: int = 120  # actor crops in the fit set (the bow's head-down poses have ~135 nearby)
    base_steps: int = 1200  # training steps of each model's base stage
    fit_steps: int = 200  # and of its fit stage

    @classmethod
    def quick(cls, **changes: Any) -> SyntheticBudget:
        """Tiny sizes and a few steps: the same code in seconds (the tests, a quick run from the site)."""
        return cls(**{"size": 64, "frames": 24, "fit_size": 60, "base_steps": 6, "fit_steps": 3, **changes})

    def synth(self, preset: str) -> SynthConfig:
        from pipeline.synth.stage import SynthConfig

        return SynthConfig(preset=preset, size=self.size, frames=self.frames, seed=self.seed,
                           first_frame=self.first_frame, fps=self.fps)

    @property
    def settings(self) -> dict[str, dict[str, Any]]:
        """The shot tables' settings this budget changes."""
        return {"stabilize": {"size": self.crop_size}, "dataset": {"size": self.crop_size},
                "fit": {"size": self.fit_size}, "train": {"steps": self.base_steps, "fit_steps": self.fit_steps}}


@dataclasses.dataclass(frozen=True)
class RunConfig:
    """Which stages run on a shot, for which models, and what is laid over its settings."""

    first: str = STAGES[0]
    last: str = STAGES[-1]
    models: tuple[str, ...] = ()  # trained, and whose variants convert; default: the [[variants]]' models, else all
    synth: SynthConfig | None = None  # the synthetic shot to make when the folder has no shot.toml
    settings: Mapping[str, Mapping[str, Any]] = dataclasses.field(default_factory=dict)  # Shot.with_settings
    base_from: Path | None = None  # another shot whose base checkpoints the fit stages start from (default: this)
    redo: bool = False  # run every stage of the range even when its output is there (training starts over)

    def __post_init__(self) -> None:
        for stage in (self.first, self.last):
            if stage not in STAGES:
                raise InputError(f"run: no stage {stage!r}; the stages are, in order: {', '.join(STAGES)}")
        if STAGES.index(self.first) > STAGES.index(self.last):
            raise InputError(f"run: stage {self.first} comes after {self.last}; the order is {' > '.join(STAGES)}")
        unknown = [m for m in self.models if m not in list_models()]
        if unknown:
            raise InputError(f"run: no model {', '.join(map(repr, unknown))}; known models: {', '.join(list_models())}")

    @classmethod
    def synthetic(cls, preset: str, budget: SyntheticBudget, **fields: Any) -> RunConfig:
        """A run that makes the preset's synthetic shot (when the folder has none) and runs it at `budget`."""
        return cls(synth=budget.synth(preset), settings=budget.settings, **fields)

    def runs(self, stage: str) -> bool:
        return STAGES.index(self.first) <= STAGES.index(stage) <= STAGES.index(self.last)


@dataclasses.dataclass(frozen=True)
class Step:
    """One unit of a stage (the train stage has one per model and training stage): done when its output is there."""

    stage: str
    name: str
    output: Path  # what it writes last (shown in the log)
    done: Callable[[], bool]
    make: Callable[[ProgressCallback], object]


@dataclasses.dataclass(frozen=True)
class RunResult:
    layout: ShotLayout
    models: tuple[str, ...]
    ran: tuple[str, ...]  # names of the steps run
    reused: tuple[str, ...]  # names of the steps whose output was already there


def plan(root: Path, config: RunConfig = RunConfig()) -> list[Step]:
    """The steps of `config`'s stages on the shot folder `root`, in order (nothing is run or written)."""
    layout = ShotLayout(Path(root))
    made = config.synth is not None and not layout.shot_file.is_file()
    if not layout.shot_file.is_file() and not (made and config.runs("synth")):
        how = "give a synthetic preset to make one" if config.synth is None else "run from the synth stage"
        raise InputError(f"{layout.shot_file}: no such file; put the shot's folder there, or {how}")
    models = config.models or _default_models(layout, made)
    return [step for stage in STAGES if config.runs(stage) for step in _STEPS[stage](layout, config, models)]


def run_shot(root: Path, config: RunConfig = RunConfig(), *, progress: ProgressCallback | None = None) -> RunResult:
    """Run `config`'s stages on the shot folder `root`; `progress` hears (fraction, message) all along (the site's
    job page), each step reporting its own progress within its share."""
    steps = plan(root, config)
    ran, reused = [], []
    shown = 0.0  # never back: a stage with several parts (the dataset's two facesets) restarts its own bar
    for i, step in enumerate(steps):
        def within(fraction: float, message: str, i: int = i, step: Step = step) -> None:
            nonlocal shown
            shown = max(shown, (i + min(1.0, fraction)) / len(steps))
            if progress is not None:
                progress(shown, f"{step.name}: {message}")

        if step.done() and not config.redo:
            logger.info("%s: reusing %s", step.name, step.output)
            reused.append(step.name)
        else:
            started = time.monotonic()
            step.make(within)
            logger.info("%s: done in %.1f s -> %s", step.name, time.monotonic() - started, step.output)
            ran.append(step.name)
        within(1.0, "done")
    layout = ShotLayout(Path(root))
    return RunResult(layout=layout, models=config.models or _default_models(layout, False), ran=tuple(ran),
                     reused=tuple(reused))


def _default_models(layout: ShotLayout, made: bool) -> tuple[str, ...]:
    """The models of the shot's [[variants]] tables (every registered one for a shot not made yet, or none)."""
    if made:
        return tuple(list_models())
    used = {variant.model for variant in _shot(layout, {}).config.variants}
    return tuple(m for m in list_models() if m in used) or tuple(list_models())


def _shot(layout: ShotLayout, settings: Mapping[str, Mapping[str, Any]]) -> Shot:
    from pipeline.shot import load_shot

    return load_shot(layout.shot_file).with_settings(**settings)


def _label(layout: ShotLayout) -> str:
    return layout.root.name


# --- the steps of each stage ------------------------------------------------------------------------------------
# Each takes the layout, the run's config and its models, and returns the stage's steps; a step reads the shot
# when it runs (the synth step writes it first).

def _synth(layout: ShotLayout, config: RunConfig, models: tuple[str, ...]) -> list[Step]:
    from pipeline.synth.shot import run_shot as synth

    if config.synth is None:
        return []
    return [Step("synth", f"{_label(layout)}: synth", layout.shot_file, layout.shot_file.is_file,
                 lambda progress: synth(layout.root, config.synth, progress=progress))]


def _track(layout: ShotLayout, config: RunConfig, models: tuple[str, ...]) -> list[Step]:
    from pipeline.track.shot import run_shot as track

    from pipeline.track.shot import unsolved

    def done() -> bool:  # imported, and no head track the shot names is still to solve (a shot from footage)
        return layout.track.is_file() and not unsolved(_shot(layout, config.settings))

    return [Step("track", f"{_label(layout)}: track import", layout.track, done,
                 lambda progress: track(_shot(layout, config.settings), progress=progress))]


def _stabilize(layout: ShotLayout, config: RunConfig, models: tuple[str, ...]) -> list[Step]:
    from pipeline.stabilize.shot import run_shot as stabilize
    from pipeline.stabilize.stage import MANIFEST

    output = layout.stabilize / MANIFEST
    return [Step("stabilize", f"{_label(layout)}: stabilize", output, output.is_file,
                 lambda progress: stabilize(_shot(layout, config.settings), track=layout.track, progress=progress))]


def _review(layout: ShotLayout, config: RunConfig, models: tuple[str, ...]) -> list[Step]:
    def plate_clip(progress: ProgressCallback) -> object:
        from pipeline.media.review import make_review_clip

        shot = _shot(layout, config.settings)
        return make_review_clip(shot.plate, layout.plate_clip, burn_in=shot.name, first_frame=shot.first_frame,
                                fps=shot.fps, colour=shot.display_transform(), audio=shot.audio,
                                progress=progress)

    return [Step("review", f"{_label(layout)}: plate review clip", layout.plate_clip, layout.plate_clip.is_file,
                 plate_clip)]


def _dataset(layout: ShotLayout, config: RunConfig, models: tuple[str, ...]) -> list[Step]:
    from pipeline.dataset.coverage import MANIFEST
    from pipeline.dataset.shot import run_shot as dataset

    output = layout.dataset.coverage / MANIFEST
    return [Step("dataset", f"{_label(layout)}: faceset, rules, fit set, coverage", output, output.is_file,
                 lambda progress: dataset(_shot(layout, config.settings), progress=progress))]


def _train(layout: ShotLayout, config: RunConfig, models: tuple[str, ...]) -> list[Step]:
    """Each model's base stage (unless another shot's is used, as the demo's shots share the first one's: the
    same actor and dancer in every shot), then its fit stage, which starts from that base."""
    base_shot = ShotLayout(Path(config.base_from)) if config.base_from is not None else layout
    steps = []
    trains_base = base_shot.root.resolve() == layout.root.resolve()
    for model in models:
        stages = [("base", None)] if trains_base else []
        for stage, base in [*stages, ("fit", base_shot.checkpoint(model, "base"))]:
            steps.append(Step("train", f"{_label(layout)}: train {model} {stage}", layout.checkpoint(model, stage),
                              _trained(layout.train(model, stage)), _training(layout, config, model, stage, base)))
    return steps


def _trained(folder: Path) -> Callable[[], bool]:
    """Whether the training stage in `folder` is complete (an interrupted one continues where it stopped)."""
    def done() -> bool:
        from pipeline.train.checkpoint import CHECKPOINT_FILE, read_checkpoint_info

        return (folder / CHECKPOINT_FILE).is_file() and bool(read_checkpoint_info(folder).get("complete"))

    return done


def _training(layout: ShotLayout, config: RunConfig, model: str, stage: str,
              base: Path | None) -> Callable[[ProgressCallback], object]:
    def train(progress: ProgressCallback) -> object:
        import shutil

        from pipeline.train.shot import run_shot

        if config.redo:
            shutil.rmtree(layout.train(model, stage), ignore_errors=True)
        return run_shot(_shot(layout, config.settings), model=model, stage=stage, base=base, resume=True,
                        progress=progress)

    return train


def _convert(layout: ShotLayout, config: RunConfig, models: tuple[str, ...]) -> list[Step]:
    """One step per model: every [[variants]] table that converts it."""
    return [Step("convert", f"{_label(layout)}: convert {model}", layout.review_variants,
                 _converted(layout, config, model), _conversion(layout, config, model)) for model in models]


def _variants_of(shot: Shot, model: str) -> list[str]:
    names = [v.name for v in shot.config.variants if v.model == model]
    if not names:
        raise InputError(f"{shot.root}: no [[variants]] table converts model {model!r}; add one (name = "
                         f"\"{model}\", model = \"{model}\") or leave the model out of the run")
    return names


def _converted(layout: ShotLayout, config: RunConfig, model: str) -> Callable[[], bool]:
    def done() -> bool:
        from pipeline.convert.converted import MANIFEST
        from pipeline.publish.variant import VARIANT_FILE

        if not layout.shot_file.is_file():
            return False
        shot = _shot(layout, config.settings)
        return all((layout.convert(name) / MANIFEST).is_file() and (
            not shot.config.convert.review_clip or (layout.review_variant(name) / VARIANT_FILE).is_file())
            for name in _variants_of(shot, model))

    return done


def _conversion(layout: ShotLayout, config: RunConfig, model: str) -> Callable[[ProgressCallback], object]:
    def convert(progress: ProgressCallback) -> object:
        from pipeline.convert.shot import run_shot

        shot = _shot(layout, config.settings)
        names = _variants_of(shot, model)
        for i, name in enumerate(names):
            run_shot(shot, name, progress=lambda f, message, i=i: progress((i + f) / len(names), message))
        return names

    return convert


def _eval(layout: ShotLayout, config: RunConfig, models: tuple[str, ...]) -> list[Step]:
    from pipeline.eval.stage import MANIFEST

    def evaluate(progress: ProgressCallback) -> object:
        from pipeline.eval.shot import evaluate_converted

        shot = _shot(layout, config.settings)
        variants = [v.name for v in shot.config.variants if v.model in models]
        return evaluate_converted(shot, variants, progress=progress)

    output = layout.eval() / MANIFEST
    return [Step("eval", f"{_label(layout)}: eval", output, output.is_file, evaluate)]


_STEPS: dict[str, Callable[[ShotLayout, RunConfig, tuple[str, ...]], list[Step]]] = {
    "synth": _synth, "track": _track, "stabilize": _stabilize, "review": _review, "dataset": _dataset,
    "train": _train, "convert": _convert, "eval": _eval}


# --- the verb ---------------------------------------------------------------------------------------------------

def register(subparsers: argparse._SubParsersAction) -> None:
    from pipeline.cli import add_verb

    parser = add_verb(subparsers, "run", help="run any range of the engine's stages on a shot, in order",
                      description=__doc__)
    parser.add_argument("shot", type=Path, help="the shot folder (with its shot.toml, or empty with --preset)")
    parser.add_argument("--from", dest="first", default=STAGES[0], choices=STAGES, help="first stage (default synth)")
    parser.add_argument("--to", dest="last", default=STAGES[-1], choices=STAGES, help="last stage (default eval)")
    parser.add_argument("--models", type=lambda text: tuple(m.strip() for m in text.split(",") if m.strip()),
                        default=(), metavar="M1,M2",
                        help=f"the models to train and convert, some of {','.join(list_models())} (default: those "
                             "the shot's [[variants]] use)")
    parser.add_argument("--preset", help="make this synthetic shot when the folder has no shot.toml (facereplace "
                                         "synth's presets), at the demo's small budget")
    parser.add_argument("--quick", action="store_true", help="with --preset: tiny sizes, a few training steps")
    parser.add_argument("--redo", action="store_true", help="run each stage even when its output is there")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    import json

    from pipeline.progress import percent_bar

    fields = {"first": args.first, "last": args.last, "models": args.models, "redo": args.redo}
    if args.preset:
        budget = SyntheticBudget.quick() if args.quick else SyntheticBudget()
        config = RunConfig.synthetic(args.preset, budget, **fields)
    else:
        config = RunConfig(**fields)
    with percent_bar(f"run {args.shot.name}") as report:
        result = run_shot(args.shot, config, progress=report)
    print(json.dumps({"shot": str(result.layout.root), "models": list(result.models), "ran": list(result.ran),
                      "reused": list(result.reused)}))
    return 0
