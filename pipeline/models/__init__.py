"""Swap models: a registry (`create_model`, `list_models`, `model_info`, `register_model`) and the model family.

The registry and the models' facts load without torch (the command line's --help, the review site); the
network classes (`SwapModel`, `LatentBank`, `SwapOutput`, pipeline.models.swap) are loaded on first use.
"""
from __future__ import annotations

import importlib
from typing import Any

from pipeline.models import builtin as _builtin  # noqa: F401  (registers rigid, loose, cg)
from pipeline.models.registry import ModelInfo, create_model, list_models, model_info, register_model

_NETWORK = ("LatentBank", "SwapModel", "SwapOutput")
__all__ = ["ModelInfo", "create_model", "list_models", "model_info", "register_model", *_NETWORK]


def __getattr__(name: str) -> Any:
    if name not in _NETWORK:
        raise AttributeError(f"module 'pipeline.models' has no attribute {name!r}")
    return getattr(importlib.import_module("pipeline.models.swap"), name)
