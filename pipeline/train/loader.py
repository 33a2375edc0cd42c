"""The crop store training draws its batches from: every crop of a `Crops` in one tensor, so a batch is one
`index_select` and one copy, with no Python per crop on the hot path.

The crops are kept as 8-bit when they are (a faceset's PNGs), which is exact: a batch reads as uint8 / 255 in
float32, the same numbers `Crops.take` gives, so the store changes nothing that is learnt. Where the crops are
not 8-bit (16-bit PNGs, float arrays) they are kept as float32. On CUDA the store lives on the GPU when it takes
under `DEVICE_SHARE` of the free memory, else in pinned host memory, from which a batch is gathered into a
pinned buffer and copied without blocking.
"""
from __future__ import annotations

import logging

import numpy as np
import torch

from pipeline.train.data import Crops

log = logging.getLogger(__name__)

DEVICE_SHARE = 0.25   # of the GPU's free memory a store may take; larger stores stay pinned in host memory
_CHUNK = 256          # crops read at a time while filling a store


class CropStore:
    """`crops` (N images of (S, S[, 3])) as one (N, C, S, S) tensor; `take(index)` -> float32 (k, C, S, S) in 0..1 on
    `device`, in `memory_format`."""

    def __init__(self, crops: Crops, device: torch.device, *,
                 memory_format: torch.memory_format = torch.contiguous_format):
        self.device, self.memory_format = device, memory_format
        self.data = _stack(crops)
        if device.type == "cuda":
            free, _ = torch.cuda.mem_get_info(device)
            if self.data.nbytes < DEVICE_SHARE * free:
                self.data = self.data.to(device)
            else:
                log.info("crop store of %.1f GiB stays in pinned host memory", self.data.nbytes / 2 ** 30)
                self.data = self.data.pin_memory()
        self.eight_bit = self.data.dtype == torch.uint8

    def __len__(self) -> int:
        return len(self.data)

    def take(self, index: torch.Tensor | np.ndarray) -> torch.Tensor:
        index = torch.as_tensor(np.asarray(index) if not isinstance(index, torch.Tensor) else index, dtype=torch.long)
        if self.data.is_pinned():
            batch = torch.empty((len(index), *self.data.shape[1:]), dtype=self.data.dtype, pin_memory=True)
            torch.index_select(self.data, 0, index, out=batch)
        else:
            batch = self.data.index_select(0, index.to(self.data.device))
        batch = batch.to(self.device, non_blocking=True)
        batch = batch.float().div_(255.0) if self.eight_bit else batch.float()
        return batch.contiguous(memory_format=self.memory_format)


def _stack(crops: Crops) -> torch.Tensor:
    """All of `crops` as (N, C, S, S): uint8 when every value is a multiple of 1/255, else float32."""
    parts = [crops.take(np.arange(i, min(i + _CHUNK, len(crops)))) for i in range(0, len(crops), _CHUNK)]
    array = np.concatenate(parts) if parts else np.zeros((0, 1, 1), np.float32)
    array = array[:, None] if array.ndim == 3 else array.transpose(0, 3, 1, 2)
    scaled = array * np.float32(255.0)
    levels = np.rint(scaled)
    if np.all(np.abs(scaled - levels) < 1e-3) and levels.min(initial=0) >= 0 and levels.max(initial=0) <= 255:
        return torch.from_numpy(np.ascontiguousarray(levels.astype(np.uint8)))
    return torch.from_numpy(np.ascontiguousarray(array, np.float32))
