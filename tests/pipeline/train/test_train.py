"""Training behaviour a user relies on: it learns, it resumes exactly, it is reproducible, rigid keeps the
actor's performance while loose follows the dancer, and its checkpoints say how the model was made."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from pipeline.config import config_to_dict
from pipeline.errors import InputError
from pipeline.train import (ArrayCrops, AugmentConfig, CgPairs, TrainConfig, TrainInputs, TrainingSet,
                            load_checkpoint, load_trained, read_checkpoint_info, run)
from pipeline.train.stage import DIVERGE_WINDOW, DivergenceWatch, TrainingStage
from tests.pipeline.train.conftest import BEHAVIOUR, Trained, identity
from tests.pipeline.train.faces import face_set, mouth_open, random_poses

SHORT = TrainConfig(steps=12, checkpoint_every=4, preview_every=0, width=8, batch_size=4)


def test_a_test_sized_run_lowers_the_loss(trained: dict[str, Trained]) -> None:
    for model, result in trained.items():
        losses = result.base.losses
        assert len(losses) == 300
        assert np.mean(losses[-20:]) < 0.5 * np.mean(losses[:20]), model


def test_resume_continues_exactly_like_an_uninterrupted_run(base_set: TrainingSet, tmp_path: Path) -> None:
    whole = run(SHORT, TrainInputs(data=base_set, model="loose", out_dir=tmp_path / "whole"))
    interrupted = TrainConfig(**{**SHORT.__dict__, "steps": 8})
    first = run(interrupted, TrainInputs(data=base_set, model="loose", out_dir=tmp_path / "resumed"))
    resumed = run(SHORT, TrainInputs(data=base_set, model="loose", out_dir=tmp_path / "resumed", resume=True))
    assert first.losses == whole.losses[:8]
    assert resumed.losses == whole.losses  # the curve, bit for bit, including steps 9..12
    a = load_checkpoint(whole.checkpoint)["model_state"]
    b = load_checkpoint(resumed.checkpoint)["model_state"]
    assert all(torch.equal(a[k], b[k]) for k in a)


def _first_stop(curve: np.ndarray) -> int | None:
    """The step at which the divergence rule stops a stage with this loss curve (its last step if it would end
    climbed back), or None."""
    watch = DivergenceWatch()
    for n in range(DIVERGE_WINDOW, len(curve) + 1):
        watch.add(float(np.mean(curve[n - DIVERGE_WINDOW:n])), n)
        if watch.diverged:
            return n
    return len(curve) if watch.climbed else None


def test_the_divergence_rule_stops_a_loss_that_climbs_back_not_one_that_spikes() -> None:
    steps = np.arange(1000)
    falling = 2.0 + 6.0 * np.exp(-steps / 80.0)  # 8 -> 2, as the real turn's rigid base at 5e-4
    assert _first_stop(falling) is None
    noisy = falling * np.random.default_rng(0).uniform(0.5, 1.5, len(steps))  # step-to-step noise averages out
    assert _first_stop(noisy) is None
    # the real talking clip's loose fit at 5e-4: a spike to 2.2 times, 31 steps over twice, then lower than before
    spike = falling * (1.0 + 2.0 * np.exp(-(((steps - 680) / 25.0) ** 2)))
    assert _first_stop(spike) is None
    # falls to 4.5 by step 150, then climbs to 16 and stays (the real turn's rigid base at 1.5e-3)
    climbing = np.where(steps < 150, 4.5 + 3.5 * np.exp(-steps / 30.0),
                        4.5 + 11.5 * np.clip((steps - 150) / 100, 0, 1))
    stop = _first_stop(climbing)
    assert stop is not None and 200 < stop < 350
    # a stage that ends before the climb has lasted DIVERGE_STEPS still does not end with those weights
    assert _first_stop(climbing[:260]) == 260
    # a resumed stage's watch stands where the uninterrupted one stood
    stepped = DivergenceWatch()
    for n in range(DIVERGE_WINDOW, 241):
        stepped.add(float(np.mean(climbing[n - DIVERGE_WINDOW:n])), n)
    resumed = DivergenceWatch.over(list(climbing[:240]))
    assert (resumed.lowest, resumed.now, resumed.above) == pytest.approx((stepped.lowest, stepped.now, stepped.above))
    assert resumed.climbed and resumed.lowest < 4.6


def test_a_stage_whose_loss_climbs_back_stops_and_says_to_lower_the_learning_rate(
        base_set: TrainingSet, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = TrainingStage._loss

    def climbing(self: TrainingStage, examples: list) -> torch.Tensor:  # from step 120 the loss reads 5 times over
        total = real(self, examples)
        return total * 5.0 if self.step_done >= 120 else total

    monkeypatch.setattr(TrainingStage, "_loss", climbing)
    # two crops a step: what is checked is the watch over the loss, not what the model learns
    config = TrainConfig(steps=300, checkpoint_every=50, preview_every=0, **{**BEHAVIOUR, "batch_size": 2})
    with pytest.raises(InputError, match=r"loose base diverged at step 2\d\d: its loss fell to .* lower \[train\] "
                                         r"learning_rate \(now 0.001\)") as whole:
        run(config, TrainInputs(data=base_set, model="loose", out_dir=tmp_path / "whole"))
    assert f"remove {tmp_path / 'whole'}" in str(whole.value)
    assert not read_checkpoint_info(tmp_path / "whole")["complete"]  # the runner will not convert from it
    # a stage that ends while climbed back does not write its final checkpoint either
    with pytest.raises(InputError, match="loose base diverged at step 150"):
        run(TrainConfig(**{**config.__dict__, "steps": 150}),
            TrainInputs(data=base_set, model="loose", out_dir=tmp_path / "short"))
    assert not read_checkpoint_info(tmp_path / "short")["complete"]
    # a resumed stage remembers how low its loss got: it stops where the uninterrupted one did
    run(TrainConfig(**{**config.__dict__, "steps": 100}),
        TrainInputs(data=base_set, model="loose", out_dir=tmp_path / "resumed"))
    with pytest.raises(InputError, match="diverged") as resumed:
        run(config, TrainInputs(data=base_set, model="loose", out_dir=tmp_path / "resumed", resume=True))
    assert str(resumed.value).split(":")[0] == str(whole.value).split(":")[0]


def test_same_seed_same_run_other_seed_other_run(base_set: TrainingSet, tmp_path: Path) -> None:
    config = TrainConfig(**{**SHORT.__dict__, "steps": 5})
    one = run(config, TrainInputs(data=base_set, model="rigid", out_dir=tmp_path / "one"))
    two = run(config, TrainInputs(data=base_set, model="rigid", out_dir=tmp_path / "two"))
    other = run(TrainConfig(**{**config.__dict__, "seed": 7}),
                TrainInputs(data=base_set, model="rigid", out_dir=tmp_path / "other"))
    assert one.losses == two.losses
    assert one.losses != other.losses


def test_rigid_keeps_the_actors_closed_mouth_loose_follows_the_dancer(trained: dict[str, Trained]) -> None:
    rng = np.random.default_rng(3)
    opening = np.linspace(0, 1, 24)
    crops, _ = face_set("dancer", opening, random_poses(24, rng))
    dancer = mouth_open(crops)
    x = torch.from_numpy(crops).permute(0, 3, 1, 2)
    out = {}
    for name, result in trained.items():
        model = load_trained(result.fit.checkpoint)
        swap = model.model.swap(x, bank=model.bank)
        assert swap.performance == (0.0 if name == "rigid" else 1.0)
        out[name] = mouth_open(swap.rgb.permute(0, 2, 3, 1).numpy())
    # How far the output mouth opens per unit of the dancer's opening (1: follows, 0: ignores the dancer).
    slope = {v: np.polyfit(dancer, m, 1)[0] for v, m in out.items()}
    corr = {v: float(np.corrcoef(dancer, m)[0, 1]) for v, m in out.items()}
    closed, _ = face_set("actor", np.full(24, 0.15), random_poses(24, rng))
    open_half = opening > 0.5
    detail = f"slope {slope}, correlation {corr}, rigid {out['rigid'].round(3)}, loose {out['loose'].round(3)}"
    assert slope["loose"] > 0.3, detail
    assert slope["rigid"] < 0.3 * slope["loose"], detail
    # on the frames the dancer opens wide, rigid stays as closed as the actor's walkthrough, loose opens
    assert out["rigid"][open_half].max() < mouth_open(closed).mean(), detail
    assert out["loose"][open_half].mean() > 2 * out["rigid"][open_half].mean(), detail


def test_checkpoint_holds_config_faceset_hash_metrics_and_bank(trained: dict[str, Trained],
                                                               fit_set: TrainingSet) -> None:
    result = trained["rigid"]
    state = load_checkpoint(result.fit.checkpoint)
    assert state["config"] == config_to_dict(result.config)
    assert state["manifest_hash"] == fit_set.manifest_hash
    assert (state["model"]["name"], state["stage"], state["step"], state["complete"]) == ("rigid", "fit", 40, True)
    assert state["init_from"] == str(result.base.checkpoint)
    assert state["metrics"]["losses"] == result.fit.losses
    assert state["latent_bank"]["ids"] == fit_set.identities["actor"].ids
    info = read_checkpoint_info(result.fit.checkpoint.parent)
    assert info["metrics"]["loss"] == result.fit.losses[-1] and info["model"]["name"] == "rigid"
    assert info["default_performance"] == 0.0
    previews = trained["rigid"].base.previews
    assert [p.name for p in previews] == ["step_0000100.png", "step_0000200.png", "step_0000300.png"]
    grid = cv2.imread(str(previews[-1]))
    assert grid.shape[0] == 6 * 64  # per role: input, -> actor, -> dancer
    assert grid.shape[1] >= 6 * 64


def test_a_version_1_checkpoint_loads_through_the_upgrade(trained: dict[str, Trained], tmp_path: Path) -> None:
    """Checkpoints trained before version 2 named their model "variant" too; they still convert and resume."""
    import json
    import shutil

    folder = tmp_path / "old"
    shutil.copytree(trained["rigid"].fit.checkpoint.parent, folder)
    state = torch.load(folder / "checkpoint.pt", weights_only=True)
    torch.save({**state, "schema_version": 1, "variant": "rigid"}, folder / "checkpoint.pt")
    info = json.loads((folder / "checkpoint.json").read_text())
    (folder / "checkpoint.json").write_text(json.dumps({**info, "schema_version": 1, "variant": "rigid"}))
    assert "variant" not in load_checkpoint(folder) and load_checkpoint(folder)["schema_version"] == 2
    assert read_checkpoint_info(folder)["model"]["name"] == "rigid" and "variant" not in read_checkpoint_info(folder)
    loaded = load_trained(folder)
    assert loaded.model.name == "rigid" and loaded.bank is not None


def test_cg_learns_cg_pass_to_actor(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    mouths, poses = rng.uniform(0, 1, 32), random_poses(32, rng)
    actor, masks = face_set("actor", mouths, poses)
    cg, _ = face_set("actor", mouths, poses, flat=True)
    data = TrainingSet(size=64, manifest_hash="cg", identities={"actor": identity("actor", mouths, rng)},
                       cg_pairs=CgPairs(cg=ArrayCrops(cg), actor=ArrayCrops(actor), masks=ArrayCrops(masks),
                                        poses=poses, passes=["key"] * 32, ids=[f"cg{i}" for i in range(32)]))
    # with the plate-matching augmentation on, as a user trains
    config = TrainConfig(steps=150, checkpoint_every=150, preview_every=150,
                         **{**BEHAVIOUR, "augment": AugmentConfig()})
    result = run(config, TrainInputs(data=data, model="cg", out_dir=tmp_path / "cg"))
    assert np.mean(result.losses[-10:]) < 0.6 * np.mean(result.losses[:10])
    model = load_trained(result.checkpoint)
    out = model.model.swap(torch.from_numpy(cg).permute(0, 3, 1, 2)).rgb.permute(0, 2, 3, 1).numpy()
    # the CG pass came out as the actor: on the head, nearer the actor's photo than the grey render it came from
    head = np.repeat(masks[..., None] > 0.5, 3, -1)
    assert np.abs(out - actor)[head].mean() < 0.5 * np.abs(cg - actor)[head].mean()
    assert cv2.imread(str(result.previews[0])).shape[0] == 5 * 64  # actor input/recon, cg pass/out/truth


def test_refuses_to_overwrite_or_resume_into_changed_material(base_set: TrainingSet, fit_set: TrainingSet,
                                                              tmp_path: Path) -> None:
    config = TrainConfig(**{**SHORT.__dict__, "steps": 2})
    run(config, TrainInputs(data=base_set, model="loose", out_dir=tmp_path))
    with pytest.raises(InputError, match="--resume"):
        run(config, TrainInputs(data=base_set, model="loose", out_dir=tmp_path))
    with pytest.raises(InputError, match="facesets changed"):
        run(config, TrainInputs(data=fit_set, model="loose", out_dir=tmp_path, resume=True))
    with pytest.raises(InputError, match="learning_rate"):
        run(TrainConfig(**{**config.__dict__, "learning_rate": 0.1}),
            TrainInputs(data=base_set, model="loose", out_dir=tmp_path, resume=True))
    with pytest.raises(InputError, match="loose base"):
        run(config, TrainInputs(data=base_set, model="rigid", out_dir=tmp_path, resume=True))


def test_bad_stage_inputs_are_named(base_set: TrainingSet, tmp_path: Path) -> None:
    with pytest.raises(InputError, match="base checkpoint"):
        run(SHORT, TrainInputs(data=base_set, model="rigid", out_dir=tmp_path, stage="fit"))
    with pytest.raises(InputError, match="no CG crops"):
        run(SHORT, TrainInputs(data=base_set, model="cg", out_dir=tmp_path))
    only_actor = TrainingSet(size=64, identities={"actor": base_set.identities["actor"]})
    with pytest.raises(InputError, match="no dancer material"):
        run(SHORT, TrainInputs(data=only_actor, model="loose", out_dir=tmp_path))
    assert not list(tmp_path.iterdir())
