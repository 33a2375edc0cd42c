"""Benchmark of whose performance each variant carries, end to end on a shot.

The demo's steps (pipeline.demo.run_shot) on the 256² synthetic close-up, rigid and loose trained base then fit,
converted and scored by `facereplace eval` against the synthetic truth: the correlation of each result's
mouth-open with the actor's walkthrough line (retimed to the plate) and with the dancer's performance.

Two budgets. "short" (1000 + 500 steps, 6 min) was an end-to-end test in `make test` until that had to stay
under 12 minutes; its assertions are goals here, and the model-level tests keep the behaviour in `make test`
(tests/pipeline/train: rigid keeps the actor's closed mouth, loose follows the dancer's; tests/pipeline/convert:
a rigid swapper takes each plate frame's latent from that moment of the synced walkthrough and says so). At
that budget the loose result's two correlations sit close enough that float rounding orders them differently
on different machines, so "loose follows the dancer more than the actor's line" is asked only of "long"
(3000 + 1000 steps, 23 min), where the figures say how far apart the variants are:
- per variant, its correlation with the performance it should follow, beside its correlation with the other
  one (goal: rigid follows the actor's line more than the dancer, loose the dancer more than the actor's line);
- the issue's own measure: rigid's correlation with the actor's line beside loose's (goal: higher).
"""
from __future__ import annotations

import json
import logging
import tempfile
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

PRESET = "closeup"
SEEDS = (7,)  # the demo's seed, whose two performances are independent (their truths correlate 0.02)
SHOT = {"size": 256, "frames": 48, "crop_size": 64, "fit_size": 60}
BUDGETS = {"short": {"base_steps": 1000, "fit_steps": 500}, "long": {"base_steps": 3000, "fit_steps": 1000}}
FOLLOWS = {"rigid": ("actor", "dancer"), "loose": ("dancer", "actor")}  # variant: (should follow, should not)
PERFORMER = {"actor": "the actor's line", "dancer": "the dancer"}


def _published(project: Path, seed: int, steps: dict[str, int]) -> dict[str, dict[str, Any]]:
    """Each variant's published record (variants/NAME/variant.json), by name."""
    from pipeline.demo import DemoConfig, run_shot
    from pipeline.run import SyntheticBudget

    config = DemoConfig(project_dir=project, presets=(PRESET,), models=tuple(FOLLOWS),
                        budget=SyntheticBudget(seed=seed, **SHOT, **steps))
    result = run_shot(config, PRESET)
    return {path.parent.name: json.loads(path.read_text()) for path in result.variants}


def _corr(row: dict[str, Any], performer: str) -> float:
    value = row[f"mouth_corr_{performer}"]
    return float("nan") if value is None else value  # None: the output's mouth never moved


def _short_goals(report, label: str, published: dict[str, dict[str, Any]]) -> None:
    """What tests/test_demo_performance.py asserted, each a goal."""
    rows = {name: record["metrics"]["eval"]["all"] for name, record in published.items()}
    rigid, loose = rows["rigid"], rows["loose"]
    for name, row in rows.items():
        report.add(f"{label}: {name}, share of the {row['frames']} plate frames with an output", row["share"] * 100,
                   "%", goal="100")
        report.add(f"{label}: {name}, frames with a mouth to read (a close-up: nearly every frame)",
                   row["mouth_frames"], "frames", goal=">= 40")
    report.add(f"{label}: rigid's correlation with the actor's line", _corr(rigid, "actor"), "r", goal=">= 0.4")
    report.add(f"{label}: rigid's correlation with the actor's line minus loose's", _corr(rigid, "actor")
               - _corr(loose, "actor"), "r", goal="> 0.1")
    report.add(f"{label}: rigid's correlation with the actor's line minus with the dancer", _corr(rigid, "actor")
               - _corr(rigid, "dancer"), "r", goal="> 0.3")
    report.add(f"{label}: loose's correlation with the dancer", _corr(loose, "dancer"), "r", goal=">= 0.25")
    report.add(f"{label}: loose's correlation with the dancer minus rigid's", _corr(loose, "dancer")
               - _corr(rigid, "dancer"), "r", goal="> 0.1")
    report.add(f"{label}: rigid's plate frames whose expression came from the synced walkthrough",
               published["rigid"]["performance"]["sync"]["synced_frames"], "frames", goal=">= 36")


def _long_goals(report, label: str, published: dict[str, dict[str, Any]]) -> None:
    rows = {name: record["metrics"]["eval"]["all"] for name, record in published.items()}
    for variant, (follows, other) in FOLLOWS.items():
        row = rows[variant]
        report.add(f"{label}: {variant}'s mouth-open, correlation with {PERFORMER[follows]} "
                   f"({row['mouth_frames']} frames with a mouth to read)", _corr(row, follows), "r",
                   baseline=f"{variant}'s with {PERFORMER[other]}", baseline_value=_corr(row, other))
        report.add(f"{label}: {variant}, with {PERFORMER[follows]} minus with {PERFORMER[other]} "
                   f"(goal: above 0)", _corr(row, follows) - _corr(row, other), "r", goal="> 0")
    report.add(f"{label}: rigid's correlation with the actor's line minus loose's (the issue's measure, "
               f"goal: above 0)", _corr(rows["rigid"], "actor") - _corr(rows["loose"], "actor"), "r", goal="> 0")


GOALS = {"short": _short_goals, "long": _long_goals}


def run(report) -> None:
    for budget, steps in BUDGETS.items():
        report.add(f"{budget} budget: training steps per variant (base {steps['base_steps']} + fit "
                   f"{steps['fit_steps']}), {SHOT['crop_size']}² crops, {SHOT['size']}² close-up of "
                   f"{SHOT['frames']} frames", steps["base_steps"] + steps["fit_steps"], "steps")
        for seed in SEEDS:
            with tempfile.TemporaryDirectory(prefix="bench-performance-") as tmp:
                published = _published(Path(tmp), seed, steps)
            GOALS[budget](report, f"{budget}, seed {seed}", published)
