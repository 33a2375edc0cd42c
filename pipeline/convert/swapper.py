"""What conversion runs on each batch of crops: a trained swap model behind a small numpy interface.

A `Swapper` takes crops (B, S, S, 3) in 0..1 and returns the swapped colour (B, S, S, 3) and mask (B, S, S);
`record` says how it was made (model, checkpoint, faceset hash, performance) for the variant's manifest.
"""
from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from pipeline.errors import InputError

log = logging.getLogger(__name__)


class Swapper(Protocol):
    """`source_identity` names the plate's person when the swapper can also `reconstruct` crops as that person
    (None when it cannot); only the reconstruction colour match asks for it."""

    size: int
    record: dict[str, Any]
    source_identity: str | None

    def __call__(self, crops: np.ndarray) -> tuple[np.ndarray, np.ndarray]: ...

    def reconstruct(self, crops: np.ndarray) -> np.ndarray: ...


class TrainedSwapper:
    """A trained checkpoint converting crops into the actor (batched, no gradients, CUDA when present)."""

    def __init__(self, checkpoint: str | os.PathLike, *, performance: float | None = None, device: str = "auto"):
        from pipeline.train.checkpoint import load_trained
        from pipeline.train.trainer import pick_device

        self.device = pick_device(device)
        self.trained = load_trained(checkpoint, device=self.device)
        self.size = self.trained.model.size
        self.performance = performance
        self.target = "actor"
        # the person in the plate, whose own decoder rebuilds the crop (the reconstruction colour match's reference)
        self.source_identity = "dancer" if "dancer" in self.trained.model.identities else None
        self.record = {"model": self.trained.model.name, "checkpoint": os.fspath(Path(checkpoint).resolve()),
                       "stage": self.trained.stage, "step": self.trained.step,
                       "faceset_hash": self.trained.manifest_hash, "model_spec": self.trained.model.spec,
                       "performance": self.trained.model.default_performance if performance is None else performance,
                       "facesets": self._facesets(checkpoint), "device": str(self.device)}
        log.info("convert: %s model %s at step %d on %s", self.trained.variant, checkpoint, self.trained.step,
                 self.device)

    @staticmethod
    def _facesets(checkpoint: str | os.PathLike) -> dict[str, str]:
        """The faceset folders the model was trained on, by role (from the checkpoint's JSON summary)."""
        from pipeline.train.checkpoint import read_checkpoint_info

        folder = Path(checkpoint) if Path(checkpoint).is_dir() else Path(checkpoint).parent
        try:
            return dict(read_checkpoint_info(folder).get("facesets") or {})
        except InputError:
            return {}

    def __call__(self, crops: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        import torch

        with torch.no_grad():
            x = torch.from_numpy(np.ascontiguousarray(crops[..., :3].transpose(0, 3, 1, 2), np.float32))
            out = self.trained.model.swap(x.to(self.device), to=self.target, bank=self.trained.bank,
                                          performance=self.performance)
            rgb = out.rgb.float().permute(0, 2, 3, 1).cpu().numpy()
            mask = out.mask.float()[:, 0].cpu().numpy()
        return rgb, mask

    def reconstruct(self, crops: np.ndarray) -> np.ndarray:
        """The crops rebuilt as the plate's own person (B, S, S, 3): what the model makes of the plate's light."""
        import torch

        if self.source_identity is None:
            raise InputError(f"model {self.trained.model.name!r} has no decoder for the plate's person, so it cannot "
                             "rebuild the plate for the reconstruction colour match; use colour_match = \"none\"")
        with torch.no_grad():
            x = torch.from_numpy(np.ascontiguousarray(crops[..., :3].transpose(0, 3, 1, 2), np.float32))
            rgb, _ = self.trained.model(x.to(self.device), self.source_identity)
        return rgb.float().permute(0, 2, 3, 1).cpu().numpy()
