"""A synthetic shot big enough to see teeth (256 px), built into facesets once per session."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from pipeline.dataset.faceset import read_faceset
from pipeline.dataset.stage import build_faceset
from pipeline.shot import DatasetLayout, load_shot


@pytest.fixture(scope="session")
def dataset_shot(synth_shot_factory) -> Path:
    return synth_shot_factory("pirouette", size=256, frames=24, review_clip=False)


@pytest.fixture(scope="session")
def built(dataset_shot, tmp_path_factory) -> DatasetLayout:
    shot = load_shot(dataset_shot)
    paths = DatasetLayout(tmp_path_factory.mktemp("dataset") / "dataset")
    build_faceset(shot.config.dataset, shot, paths, identity="actor")
    build_faceset(shot.config.dataset, shot, paths, identity="dancer")
    return paths


@pytest.fixture(scope="session")
def truth_of(dataset_shot):
    """truth_of(entry) -> the synthetic truth record of a faceset crop (pose, mouth_open, teeth_visible...)."""
    cache: dict[str, dict[int, dict]] = {}

    def lookup(entry: dict) -> dict:
        name = "pose" if entry["source_name"] == "plate" else entry["source_name"]
        if name not in cache:
            frames = json.loads((dataset_shot / "truth" / f"{name}.json").read_text())["frames"]
            cache[name] = {f["frame"]: f for f in frames}
        return cache[name][entry["frame"]]

    return lookup


@pytest.fixture(scope="session")
def photographs(built) -> list[dict]:
    """Every photographic crop of both facesets (actor and dancer)."""
    return [e for identity in ("actor", "dancer") for e in read_faceset(built.faceset(identity))["crops"]
            if e["source"] != "cg"]


@pytest.fixture
def shot_variant(dataset_shot, tmp_path):
    """shot_variant(extra_toml) -> a shot.toml of the synthetic shot (its folders linked) with extra tables."""

    def make(extra: str) -> Path:
        folder = tmp_path / "variant"
        folder.mkdir(exist_ok=True)
        for item in dataset_shot.iterdir():
            if item.name != "shot.toml" and not (folder / item.name).exists():
                (folder / item.name).symlink_to(item)
        base = _without_tables((dataset_shot / "shot.toml").read_text(), set(re.findall(r"^\[(\w+)\]", extra, re.M)))
        (folder / "shot.toml").write_text(base + "\n" + extra + "\n")
        return folder / "shot.toml"

    return make


def _without_tables(text: str, names: set[str]) -> str:
    """The TOML `text` without its [name] tables in `names` (the test's own tables replace the shot's)."""
    out, skipping = [], False
    for line in text.splitlines():
        header = re.match(r"^\[\[?(\w+)\]\]?", line)
        if header:
            skipping = not line.startswith("[[") and header.group(1) in names
        if not skipping:
            out.append(line)
    return "\n".join(out)
