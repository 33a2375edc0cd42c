"""The explicit registry of swap models (timm style): `@register_model("rigid")`, `create_model`, `list_models`.

A model factory takes the crop size and keyword settings and returns a `SwapModel`. Names are registered by
importing `pipeline.models`; nothing is discovered by scanning folders.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pipeline.errors import InputError

if TYPE_CHECKING:
    from pipeline.models.swap import SwapModel

ModelFactory = Callable[..., "SwapModel"]
_MODELS: dict[str, ModelFactory] = {}


def register_model(name: str) -> Callable[[ModelFactory], ModelFactory]:
    """Register a factory `fn(*, size, **kw) -> SwapModel` under `name`."""
    def wrap(fn: ModelFactory) -> ModelFactory:
        if name in _MODELS:
            raise ValueError(f"model {name!r} is registered twice")
        _MODELS[name] = fn
        return fn
    return wrap


def list_models() -> list[str]:
    """The registered model names, sorted."""
    return sorted(_MODELS)


def create_model(name: str, *, size: int, **kw: Any) -> SwapModel:
    """Build the model `name` for `size`² crops; unknown names are an InputError listing the known ones."""
    if name not in _MODELS:
        raise InputError(f"unknown model {name!r}; known models: {', '.join(list_models())}")
    model = _MODELS[name](size=size, **kw)
    model.spec = {"name": name, "size": size, **kw}
    return model
