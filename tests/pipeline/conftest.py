"""Synthetic shots shared by the engine's tests: made once per session, small but with everything in them.

`synth_shot_factory(preset, **options)` returns the folder of a shot made by `facereplace synth` (cached
per arguments for the session); `pirouette_shot` is the default one: two full turns with a moving camera,
the actor's walkthrough and rig, CG passes and ground truth, at 128x128 over 48 frames.
"""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

SMALL = {"size": 128, "frames": 48}


@pytest.fixture(scope="session")
def synth_shot_factory(tmp_path_factory) -> Callable[..., Path]:
    from pipeline.synth.stage import SynthConfig, run

    made: dict[tuple, Path] = {}

    def make(preset: str = "pirouette", **options) -> Path:
        config = SynthConfig(preset=preset, **{**SMALL, **options})
        key = tuple(sorted(vars(config).items()))
        if key not in made:
            made[key] = run(config, tmp_path_factory.mktemp(f"synth-{preset}") / "shot")
        return made[key]

    return make


@pytest.fixture(scope="session")
def pirouette_shot(synth_shot_factory) -> Path:
    return synth_shot_factory("pirouette")
