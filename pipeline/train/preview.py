"""Preview grids written during training: one row per kind (input, reconstruction, swap, truth), one column
per crop, a label at the left of each row, so a person sees at a glance whether the swap is learning."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import torch

from pipeline.atomic import atomic_write_bytes
from pipeline.errors import MediaError

_LABEL_WIDTH = 120  # at 64² crops; labels grow with the crop so they stay readable


def write_grid(path: Path, rows: list[tuple[str, torch.Tensor]]) -> Path:
    """Write labelled rows of images (each (B, 3, H, W) in 0..1) as one PNG, atomically."""
    strips = []
    for label, images in rows:
        tiles = (images.detach().float().clamp(0, 1).cpu().numpy().transpose(0, 2, 3, 1) * 255).round()
        strip = np.concatenate(list(tiles.astype(np.uint8)), axis=1)
        scale = max(1.0, strip.shape[0] / 128)
        side = np.zeros((strip.shape[0], int(_LABEL_WIDTH * scale), 3), np.uint8)
        cv2.putText(side, label, (4, strip.shape[0] // 2 + 4), cv2.FONT_HERSHEY_SIMPLEX, 0.4 * scale,
                    (255, 255, 255), max(1, round(scale)), cv2.LINE_AA)
        strips.append(np.concatenate([side, strip], axis=1))
    width = max(s.shape[1] for s in strips)
    grid = np.concatenate([np.pad(s, ((0, 0), (0, width - s.shape[1]), (0, 0))) for s in strips], axis=0)
    ok, data = cv2.imencode(".png", cv2.cvtColor(grid, cv2.COLOR_RGB2BGR))
    if not ok:
        raise MediaError(f"{path}: cannot encode the preview as PNG")
    return atomic_write_bytes(path, data.tobytes())
