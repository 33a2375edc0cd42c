"""Benchmark of whose performance each variant carries, at a budget long enough to separate them.

The demo's steps (pipeline.demo.run_shot) on the 256² synthetic close-up, rigid and loose trained base then fit,
converted and scored by `facereplace eval` against the synthetic truth: the correlation of each result's
mouth-open with the actor's walkthrough line (retimed to the plate) and with the dancer's performance.

tests/test_demo_performance.py asserts the same at the budget `make test` has room for (1000 + 500 steps), where
the loose result's two correlations sit close enough that float rounding orders them differently on different
machines. Here the budget is three times that, and the figures say how far apart the variants are:
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
BUDGET = {"size": 256, "frames": 48, "crop_size": 64, "fit_size": 60, "base_steps": 3000, "fit_steps": 1000}
FOLLOWS = {"rigid": ("actor", "dancer"), "loose": ("dancer", "actor")}  # variant: (should follow, should not)
PERFORMER = {"actor": "the actor's line", "dancer": "the dancer"}


def _scored(project: Path, seed: int) -> dict[str, dict[str, Any]]:
    """eval's whole-shot row per variant, as published (variants/NAME/variant.json)."""
    from pipeline.demo import DemoConfig, run_shot
    from pipeline.run import SyntheticBudget

    config = DemoConfig(project_dir=project, presets=(PRESET,), models=tuple(FOLLOWS),
                        budget=SyntheticBudget(seed=seed, **BUDGET))
    result = run_shot(config, PRESET)
    published = {path.parent.name: json.loads(path.read_text()) for path in result.variants}
    return {name: record["metrics"]["eval"]["all"] for name, record in published.items()}


def _corr(row: dict[str, Any], performer: str) -> float:
    value = row[f"mouth_corr_{performer}"]
    return float("nan") if value is None else value  # None: the output's mouth never moved


def run(report) -> None:
    report.add(f"budget: training steps per variant (base {BUDGET['base_steps']} + fit {BUDGET['fit_steps']}), "
               f"{BUDGET['crop_size']}² crops, {BUDGET['size']}² close-up of {BUDGET['frames']} frames",
               BUDGET["base_steps"] + BUDGET["fit_steps"], "steps")
    for seed in SEEDS:
        with tempfile.TemporaryDirectory(prefix="bench-performance-") as tmp:
            rows = _scored(Path(tmp), seed)
        for variant, (follows, other) in FOLLOWS.items():
            row = rows[variant]
            report.add(f"seed {seed}: {variant}'s mouth-open, correlation with {PERFORMER[follows]} "
                       f"({row['mouth_frames']} frames with a mouth to read)", _corr(row, follows), "r",
                       baseline=f"{variant}'s with {PERFORMER[other]}", baseline_value=_corr(row, other))
            report.add(f"seed {seed}: {variant}, with {PERFORMER[follows]} minus with {PERFORMER[other]} "
                       f"(goal: above 0)", _corr(row, follows) - _corr(row, other), "r", goal="> 0")
        report.add(f"seed {seed}: rigid's correlation with the actor's line minus loose's (the issue's measure, "
                   f"goal: above 0)", _corr(rows["rigid"], "actor") - _corr(rows["loose"], "actor"), "r",
                   goal="> 0")
