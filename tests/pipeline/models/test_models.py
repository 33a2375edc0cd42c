"""The model registry and the swap family: every registered model runs at 64², swaps honour `performance`."""
from __future__ import annotations

import pytest
import torch

from pipeline.errors import InputError
from pipeline.models import LatentBank, create_model, list_models, model_info


def test_registry_lists_the_three_models() -> None:
    assert list_models() == ["rigid", "loose", "cg"]
    with pytest.raises(InputError, match="known models: rigid, loose, cg"):
        create_model("wide", size=64)


@pytest.mark.parametrize("name", list_models())
def test_each_models_registered_facts_are_the_model_it_builds(name: str) -> None:
    """The facts the stages read without building a model (training's roles, conversion's input and whether
    it snaps to the actor's fit set) say what the built model does."""
    info, model = model_info(name), create_model(name, size=64, width=8)
    assert info.name == model.name == name and model.latent_dim == info.latent_dim
    assert model.default_performance == info.default_performance and info.snaps == (name == "rigid")
    assert set(model.identities) == set(info.learns) and info.learns_cg_pairs == (info.input == "cg")
    assert (info.input, info.base_material) == {"rigid": ("plate", "kept"), "loose": ("plate", "all"),
                                                "cg": ("cg", "kept")}[name]


@pytest.mark.parametrize("name", list_models())
def test_forward_at_64(name: str) -> None:
    torch.manual_seed(0)
    model = create_model(name, size=64, width=8)
    x = torch.rand(2, 3, 64, 64)
    for identity in model.identities:
        with torch.no_grad():
            rgb, mask = model(x, identity)
        assert rgb.shape == (2, 3, 64, 64) and mask.shape == (2, 1, 64, 64)
        assert 0 <= float(rgb.min()) and float(rgb.max()) <= 1 and 0 <= float(mask.min()) and float(mask.max()) <= 1
    assert model.spec == {"name": name, "size": 64, "width": 8}
    assert "actor" in model.identities


def test_rigid_has_the_narrow_bottleneck_and_snaps_by_default() -> None:
    rigid, loose = create_model("rigid", size=64), create_model("loose", size=64)
    assert rigid.latent_dim < loose.latent_dim
    assert (rigid.default_performance, loose.default_performance) == (0.0, 1.0)
    assert create_model("cg", size=64).identities == ("actor",)


@pytest.mark.parametrize("size", [128, 256, 512])
def test_larger_crops(size: int) -> None:
    model = create_model("loose", size=size, width=4, max_width=16, latent_dim=8)
    rgb, mask = model(torch.rand(1, 3, size, size), "actor")
    assert rgb.shape == (1, 3, size, size) and mask.shape == (1, 1, size, size)


@pytest.mark.parametrize("size", [32, 96, 1024])
def test_unsupported_sizes_are_named(size: int) -> None:
    with pytest.raises(InputError, match=f"crop size {size}"):
        create_model("rigid", size=size)


def test_latent_bank_finds_the_nearest_actor_latent() -> None:
    bank = LatentBank(torch.tensor([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]]), ["a", "b", "c"])
    latents, index = bank.nearest(torch.tensor([[9.0, 1.0], [1.0, 8.0], [-1.0, -1.0]]))
    assert index.tolist() == [1, 2, 0]
    assert torch.equal(latents[0], torch.tensor([10.0, 0.0]))
    again = LatentBank.from_state_dict(bank.state_dict())
    assert again.ids == ["a", "b", "c"] and torch.equal(again.latents, bank.latents)


def test_snapping_can_be_limited_per_crop_to_some_of_the_bank() -> None:
    bank = LatentBank(torch.tensor([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]]), ["a", "b", "c"],
                      [("walk", 1001), ("walk", 1002), None])
    z = torch.tensor([[9.0, 1.0], [9.0, 1.0], [9.0, 1.0]])
    allowed = torch.tensor([[True, True, True], [True, False, True], [False, False, False]])
    _, index = bank.nearest(z, allowed)
    # the nearest allowed one; a row that allows none takes the nearest of all rather than nothing
    assert index.tolist() == [1, 0, 1]
    with pytest.raises(ValueError, match="expected"):
        bank.nearest(z, allowed[:, :2])
    again = LatentBank.from_state_dict(bank.state_dict())
    assert again.origins == [("walk", 1001), ("walk", 1002), None]
    # a bank saved before origins existed loads with none
    assert LatentBank.from_state_dict({"latents": bank.latents, "ids": bank.ids}).origins == [None] * 3


def test_performance_blends_snapped_and_raw_latents() -> None:
    torch.manual_seed(0)
    model = create_model("rigid", size=64, width=8).eval()
    x = torch.rand(3, 3, 64, 64)
    fit = torch.rand(5, 3, 64, 64)
    bank = LatentBank.from_crops(model, [fit[:2], fit[2:]], [f"f{i}" for i in range(5)])
    with torch.no_grad():
        z = model.encode(x)
        snapped, index = bank.nearest(z)
        rigid = model.swap(x, bank=bank)
        assert rigid.performance == 0.0 and torch.equal(rigid.nearest, index)
        assert torch.allclose(rigid.rgb, model.decode(snapped, "actor")[0])
        loose = model.swap(x, bank=bank, performance=1.0)
        assert loose.nearest is None and torch.allclose(loose.rgb, model(x, "actor")[0])
        half = model.swap(x, bank=bank, performance=0.5)
        assert torch.allclose(half.rgb, model.decode((snapped + z) / 2, "actor")[0], atol=1e-6)
        # snapping lands on the fit set: a fit crop swaps to its own decoded latent
        own = model.swap(fit[:1], bank=bank)
        assert own.nearest.tolist() == [0]
    with pytest.raises(InputError, match="latent bank"):
        model.swap(x)
    with pytest.raises(InputError, match="outside"):
        model.swap(x, bank=bank, performance=1.5)
    with pytest.raises(InputError, match="no decoder for 'dancer'"):
        create_model("cg", size=64, width=8)(x, "dancer")
