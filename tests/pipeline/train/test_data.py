"""Faceset folders as the faceset stage writes them, read into a TrainingSet; bad folders are named."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from pipeline.errors import InputError
from pipeline.dataset.faceset import read_faceset, write_crops
from pipeline.train import load_faceset, training_set
from tests.pipeline.train.faces import face_set, random_poses


def _write(folder: Path, identity: str, n: int, *, cg: bool = False, masks: bool = True) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(5)
    mouths, poses = rng.uniform(0, 1, n), random_poses(n, rng)
    crops, mask = face_set(identity, mouths, poses)
    ids = [f"walk_{i:04d}" for i in range(n)]
    extra = [{"source": "walkthrough", "frame": 1001 + i, "descriptors": {"mouth_open": float(mouths[i])}}
             for i in range(n)]
    if cg:
        flat, _ = face_set(identity, mouths, poses, flat=True)
        crops, poses = np.concatenate([crops, flat]), np.concatenate([poses, poses])
        mask = np.concatenate([mask, mask])
        ids += [f"cg_key_{i:04d}" for i in range(n)]
        extra += [{"source": "cg", "pass": "key", "pair_of": f"walk_{i:04d}"} for i in range(n)]
    write_crops(folder, identity=identity, crops=crops, poses=poses, masks=mask if masks else None, ids=ids,
                extra=extra)
    return crops, mask, poses


def test_faceset_round_trip_with_cg_pairs(tmp_path: Path) -> None:
    crops, masks, poses = _write(tmp_path / "actor", "actor", 6, cg=True)
    fs = load_faceset(tmp_path / "actor")
    assert (fs.identity, fs.size, len(fs.material)) == ("actor", 64, 6)
    assert np.abs(fs.material.crops.take(np.arange(6)) - crops[:6]).max() <= 0.5 / 255 + 1e-6
    assert np.abs(fs.material.masks.take(np.array([2])) - masks[2:3]).max() <= 0.5 / 255 + 1e-6
    assert np.allclose(fs.material.poses, poses[:6])
    pairs = fs.cg_pairs
    assert pairs is not None and len(pairs) == 6 and pairs.passes == ["key"] * 6
    assert np.abs(pairs.cg.take(np.array([3])) - crops[9:10]).max() <= 0.5 / 255 + 1e-6
    assert np.array_equal(pairs.actor.take(np.array([3])), fs.material.crops.take(np.array([3])))


def test_training_set_joins_roles_and_hashes_the_manifests(tmp_path: Path) -> None:
    _write(tmp_path / "actor", "actor", 4)
    _write(tmp_path / "dancer", "dancer", 3, masks=False)
    data = training_set({"actor": tmp_path / "actor", "dancer": tmp_path / "dancer"})
    assert {r: len(m) for r, m in data.identities.items()} == {"actor": 4, "dancer": 3}
    assert data.identities["dancer"].masks.take(np.array([0, 1])).min() == 1.0  # no masks: the whole crop
    before = data.manifest_hash
    manifest = tmp_path / "dancer" / "faceset.json"
    doc = json.loads(manifest.read_text())
    doc["crops"] = doc["crops"][:2]
    manifest.write_text(json.dumps(doc))
    assert training_set({"actor": tmp_path / "actor", "dancer": tmp_path / "dancer"}).manifest_hash != before


def test_bad_facesets_are_named(tmp_path: Path) -> None:
    _write(tmp_path / "fs", "actor", 3, cg=True)
    manifest = tmp_path / "fs" / "faceset.json"
    good = json.loads(manifest.read_text())

    def fails(doc: dict, match: str) -> None:
        manifest.write_text(json.dumps(doc))
        with pytest.raises(InputError, match=match):
            load_faceset(tmp_path / "fs")

    fails({**good, "kind": "stabilized_crops"}, "expected a faceset")
    fails({**good, "crops": [{**good["crops"][0], "image": "images/gone.png"}]}, "gone.png, which does not exist")
    fails({**good, "crops": [{**c, "yaw": "left"} for c in good["crops"]]}, "numeric yaw")
    fails({**good, "crops": good["crops"] + good["crops"][:1]}, "appears twice")
    fails({**good, "crops": [*good["crops"][:3], {**good["crops"][3], "pair_of": "nobody"}]}, "'nobody'")
    manifest.write_text(json.dumps(good))
    (tmp_path / "fs" / "images" / "walk_0001.png").write_bytes(b"not a png")
    with pytest.raises(InputError, match="walk_0001.png: cannot read"):
        load_faceset(tmp_path / "fs").material.crops.take(np.array([1]))
    _write(tmp_path / "small", "dancer", 2)
    doc = json.loads((tmp_path / "small" / "faceset.json").read_text())
    (tmp_path / "small" / "faceset.json").write_text(json.dumps({**doc, "size": 128}))
    with pytest.raises(InputError, match="different crop sizes"):
        training_set({"actor": tmp_path / "fs", "dancer": tmp_path / "small"})


def test_a_version_1_faceset_reads_through_the_upgrade(tmp_path: Path) -> None:
    """Version 1 facesets from before masks (and training's old writer's, without radius or sources) still load:
    their crops are all head, their framing the default."""
    _write(tmp_path / "fs", "dancer", 3, masks=False)
    manifest = tmp_path / "fs" / "faceset.json"
    doc = json.loads(manifest.read_text())
    old = {k: v for k, v in doc.items() if k not in ("radius", "sources")}
    old.update(schema_version=1, crops=[{k: v for k, v in c.items() if k != "mask"} for c in doc["crops"]])
    manifest.write_text(json.dumps(old))
    data = read_faceset(tmp_path / "fs")
    assert data["schema_version"] == 2 and (data["radius"], data["sources"]) == (0.16, {})
    assert [c["mask"] for c in data["crops"]] == [None] * 3
    fs = load_faceset(tmp_path / "fs")
    assert fs.radius == 0.16 and fs.material.masks.take(np.array([0, 2])).min() == 1.0
