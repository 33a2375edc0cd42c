"""Training of the swap models: the data interface (`TrainingSet`, faceset folders) and the stage `run`.

Names are loaded on first use, so that importing `pipeline.train.cli` (every `facereplace --help`) does not
import torch.
"""
from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "pipeline.train.checkpoint": ("TrainedModel", "load_checkpoint", "load_trained", "read_checkpoint_info"),
    "pipeline.train.config": ("AugmentConfig", "LossConfig", "TrainConfig"),
    "pipeline.train.data": ("ArrayCrops", "CgPairs", "Faceset", "IdentityCrops", "PngCrops", "TrainingSet",
                            "load_faceset", "training_set"),
    "pipeline.train.stage": ("TrainInputs", "TrainResult", "run"),
    "pipeline.train.shot": ("run_shot", "shot_facesets"),
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}
__all__ = sorted(_MODULE_OF)


def __getattr__(name: str) -> Any:
    if name not in _MODULE_OF:
        raise AttributeError(f"module 'pipeline.train' has no attribute {name!r}")
    return getattr(importlib.import_module(_MODULE_OF[name]), name)
