"""The production presets' networks: each builds at its crop size and trains one step, the residual network's
upsampler starts without a checkerboard, loose gets the wider bottleneck while rigid stays narrow."""
from __future__ import annotations

import pytest
import torch

from pipeline.errors import InputError
from pipeline.models import create_model
from pipeline.models.discriminator import PatchDiscriminator, discriminator_loss, generator_loss
from pipeline.models.swap import icnr_
from pipeline.train.config import PRESETS, TrainConfig
from pipeline.train.losses import face_loss


@pytest.mark.parametrize("preset", [p for p in PRESETS if p != "cpu-demo"])
def test_gpu_preset_network_builds_and_trains_one_step_at_its_size(preset: str) -> None:
    """Forward and backward of the preset's network at its own crop size, batch 1 (width cut down so the CPU
    test takes seconds; the layers, levels and losses are the preset's)."""
    p = PRESETS[preset]
    torch.manual_seed(0)
    model = create_model("loose", size=p.crop_size, width=4, max_width=32, network=p.network).to(
        memory_format=torch.channels_last)
    x = torch.rand(1, 3, p.crop_size, p.crop_size).contiguous(memory_format=torch.channels_last)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        rgb, mask = model(x, "actor")
    assert rgb.shape == (1, 3, p.crop_size, p.crop_size) and mask.shape == (1, 1, p.crop_size, p.crop_size)
    loss = face_loss(rgb, mask, x, torch.ones_like(mask), l1=1, ssim_weight=1, mask_weight=0.5,
                     multiscale=p.multiscale)
    disc = PatchDiscriminator(width=4)
    loss = loss + p.adversarial * generator_loss(disc(rgb.float()))
    loss.backward()
    used = [*model.features.parameters(), *model.bottleneck.parameters(), *model.decoders["actor"].parameters()]
    grads = [q.grad for q in used]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)
    assert sum(float(g.abs().sum()) for g in grads) > 0


def test_residual_network_has_more_depth_than_plain_at_the_same_widths() -> None:
    plain = create_model("loose", size=64, width=8)
    residual = create_model("loose", size=64, width=8, network="residual")
    count = lambda m: sum(isinstance(x, torch.nn.Conv2d) for x in m.modules())  # noqa: E731
    assert count(residual) > 2 * count(plain)
    assert residual.spec["network"] == "residual" and "network" not in plain.spec
    with pytest.raises(InputError, match="network 'deep'"):
        create_model("loose", size=64, network="deep")


def test_icnr_upsampler_starts_as_nearest_neighbour_resizing() -> None:
    """No checkerboard at the start: after the pixel shuffle every 2x2 block holds one value."""
    torch.manual_seed(0)
    conv = icnr_(torch.nn.Conv2d(8, 4 * 4, 3, padding=1))
    y = torch.nn.functional.pixel_shuffle(conv(torch.rand(1, 8, 6, 6)), 2)
    blocks = y.unfold(2, 2, 2).unfold(3, 2, 2).reshape(1, 4, 6, 6, 4)
    assert torch.allclose(blocks, blocks[..., :1].expand_as(blocks), atol=1e-6)
    plain = torch.nn.functional.pixel_shuffle(torch.nn.Conv2d(8, 16, 3, padding=1)(torch.rand(1, 8, 6, 6)), 2)
    plain_blocks = plain.unfold(2, 2, 2).unfold(3, 2, 2).reshape(1, 4, 6, 6, 4)
    assert not torch.allclose(plain_blocks, plain_blocks[..., :1].expand_as(plain_blocks), atol=1e-3)


def test_discriminator_hinge_losses_reward_telling_real_from_made() -> None:
    sure = discriminator_loss(torch.full((2, 1, 4, 4), 2.0), torch.full((2, 1, 4, 4), -2.0))
    fooled = discriminator_loss(torch.full((2, 1, 4, 4), -1.0), torch.full((2, 1, 4, 4), 1.0))
    assert float(sure) == 0.0 and float(fooled) == 4.0
    assert float(generator_loss(torch.full((1, 1, 2, 2), 3.0))) == -3.0
    assert PatchDiscriminator(width=4)(torch.rand(2, 3, 64, 64)).shape == (2, 1, 6, 6)


def test_preset_settings_are_the_tables_else_the_presets() -> None:
    demo, gpu = TrainConfig(), TrainConfig(preset="gpu-256")
    assert (demo.batch, demo.network_width, demo.loss_weight("adversarial"), demo.loss_weight("multiscale")) == \
        (8, 32, 0.0, 0.0)  # what training did before presets
    assert (gpu.batch, gpu.loss_weight("adversarial") > 0, gpu.loss_weight("multiscale") > 0) == (16, True, True)
    assert TrainConfig(preset="gpu-256", batch_size=4, width=8).batch == 4
    with pytest.raises(ValueError, match="preset must be one of cpu-demo, gpu-256, gpu-512"):
        TrainConfig(preset="gpu-1024")
    with pytest.raises(ValueError, match="precision"):
        TrainConfig(precision="fp8")
