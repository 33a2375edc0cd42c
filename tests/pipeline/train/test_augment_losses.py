"""Augmentation looks like plate degradation and is reproducible; the SSIM we train with is the standard one."""
from __future__ import annotations

import numpy as np
import torch
from skimage.metrics import structural_similarity

from pipeline.train.augment import AugmentConfig, degrade, geometry_and_colour, motion_blur_kernels
from pipeline.train.losses import face_loss, mouth_weights, ssim
from tests.pipeline.train.faces import face_set, random_poses


def _batch(n: int = 4) -> tuple[torch.Tensor, torch.Tensor]:
    crops, masks = face_set("actor", np.linspace(0, 1, n), random_poses(n, np.random.default_rng(0)))
    return torch.from_numpy(crops).permute(0, 3, 1, 2), torch.from_numpy(masks)[:, None]


def test_ssim_matches_scikit_image() -> None:
    x, _ = _batch(2)
    y = (x + 0.05 * torch.randn(x.shape, generator=torch.Generator().manual_seed(0))).clamp(0, 1)
    ours = float(ssim(x, y))
    ref = np.mean([structural_similarity(a, b, channel_axis=2, gaussian_weights=True, sigma=1.5, data_range=1.0,
                                         use_sample_covariance=False)
                   for a, b in zip(x.permute(0, 2, 3, 1).numpy(), y.permute(0, 2, 3, 1).numpy())])
    assert abs(ours - ref) < 0.02
    assert float(ssim(x, x)) > 0.9999


def test_face_loss_counts_the_head_more_than_the_background() -> None:
    x, m = _batch(2)
    head_wrong = x + 0.2 * m
    background_wrong = x + 0.2 * (1 - m)
    kw = dict(l1=1.0, ssim_weight=1.0, mask_weight=0.5)
    assert float(face_loss(head_wrong, m, x, m, **kw)) > 3 * float(face_loss(background_wrong, m, x, m, **kw))
    assert float(face_loss(x, m, x, m, **kw)) < 1e-4


def test_motion_blur_kernels_are_lines_that_keep_brightness() -> None:
    k = motion_blur_kernels(torch.tensor([0.0, 6.0, 6.0]), torch.tensor([0.0, 0.0, np.pi / 2]), 7)
    assert torch.allclose(k.sum(dim=(1, 2)), torch.ones(3))
    assert k[0, 3, 3] == 1.0  # length 0: no blur
    assert (k[1, 3] > 0).all() and k[1, 2].sum() < 1e-6  # horizontal line
    assert (k[2, :, 3] > 0).all() and k[2, :, 2].sum() < 1e-6  # vertical line


def test_augmentation_is_reproducible_keeps_masks_aligned_and_degrades_the_input() -> None:
    x, m = _batch()
    cfg = AugmentConfig(blur_probability=1.0)
    a, am = geometry_and_colour(x, m, cfg, torch.Generator().manual_seed(3))
    b, bm = geometry_and_colour(x, m, cfg, torch.Generator().manual_seed(3))
    assert torch.equal(a, b) and torch.equal(am, bm)
    # the mask moves with the head: warping a copy of the mask as an image gives the same mask
    _, warped = geometry_and_colour(m.expand(-1, 3, -1, -1), m, AugmentConfig(colour=0.0),
                                    torch.Generator().manual_seed(9))
    same, _ = geometry_and_colour(m.expand(-1, 3, -1, -1), m, AugmentConfig(colour=0.0),
                                  torch.Generator().manual_seed(9))
    assert torch.allclose(same[:, :1], warped, atol=1e-6)
    assert not torch.equal(a, x)
    degraded = degrade(a, cfg, torch.Generator().manual_seed(4))
    sharpness = lambda t: float((t[..., 1:] - t[..., :-1]).abs().mean())  # noqa: E731
    blurred = degrade(a, AugmentConfig(blur_probability=1.0, noise=0.0), torch.Generator().manual_seed(4))
    assert sharpness(blurred) < sharpness(a)
    assert degraded.min() >= 0 and degraded.max() <= 1


def test_the_mouth_weights_sit_on_the_mouth_for_any_pose_and_vanish_behind_the_head() -> None:
    size = 64
    w = mouth_weights(np.array([[0.0, 0.0, 0.0], [60.0, 0.0, 0.0], [-60.0, 0.0, 0.0], [0.0, 20.0, 0.0],
                                [180.0, 0.0, 0.0]]), size, radius=0.16)[:, 0].numpy()
    assert w.shape == (5, size, size) and w.max() <= 1.0
    peaks = [np.unravel_index(np.argmax(m), m.shape) for m in w[:4]]  # (row, column)
    (r0, c0), (_, c_left), (_, c_right), (r_down, _) = peaks
    # frontal: centred, below the skull centre (the crop's middle) by the mouth's 7 cm at 0.16 m per half crop
    assert abs(c0 - 31.5) <= 1 and abs(r0 - (31.5 + 0.07 * 32 / 0.16)) <= 1.5
    assert c_left > c0 + 5 and c_right < c0 - 5  # turned: the mouth moves across, mirrored for the other side
    assert r_down > r0  # nodding down: lower
    assert w[4].max() == 0.0  # back of the head: no mouth to weigh
    # and the loss counts a wrong mouth more with the term than without it
    target = torch.full((1, 3, size, size), 0.6)
    wrong = target.clone()
    wrong[..., r0 - 2:r0 + 2, c0 - 4:c0 + 4] = 0.1
    mask = torch.ones(1, 1, size, size)
    plain = face_loss(wrong, mask, target, mask, l1=1.0, ssim_weight=0.0, mask_weight=0.0)
    weighted = face_loss(wrong, mask, target, mask, l1=1.0, ssim_weight=0.0, mask_weight=0.0,
                         mouth=torch.from_numpy(w[:1, None]), mouth_weight=1.0)
    assert weighted > plain * 5
