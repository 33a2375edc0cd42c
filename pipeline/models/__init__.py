"""Swap models: a registry (`create_model`, `list_models`, `register_model`) and the model family."""
from __future__ import annotations

from pipeline.models import variants as _variants  # noqa: F401  (registers rigid, loose, cg)
from pipeline.models.registry import create_model, list_models, register_model
from pipeline.models.swap import LatentBank, SwapModel, SwapOutput

__all__ = ["LatentBank", "SwapModel", "SwapOutput", "create_model", "list_models", "register_model"]
