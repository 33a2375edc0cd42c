"""The explicit registry of swap models (timm style): `@register_model(ModelInfo(...))`, `create_model`,
`list_models`, `model_info`.

A model is registered with the facts the rest of the engine needs without building it (`ModelInfo`: how much of
the dancer's performance it follows by default, what conversion feeds it, whom it learns, which of the actor's
material its base stage learns), and a factory `fn(*, size, **kw) -> SwapModel`. Names are registered by
importing `pipeline.models`; nothing is discovered by scanning folders, and nothing here imports torch, so the
command line's --help and the review site can list the models cheaply.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pipeline.errors import InputError

if TYPE_CHECKING:
    from pipeline.models.swap import SwapModel

ModelFactory = Callable[..., "SwapModel"]
MODEL_INPUTS = ("plate", "cg")
BASE_MATERIALS = ("kept", "all")


@dataclass(frozen=True)
class ModelInfo:
    """What a model is, for the stages that train, convert and describe it."""

    name: str
    summary: str                      # one line, for --help and the site
    latent_dim: int                   # bottleneck width, unless training sets one
    default_performance: float        # 0: only the actor's expressions (snaps to her fit set) .. 1: the raw latent
    input: str = "plate"              # what conversion feeds it by default: the plate, or the CG passes
    learns: tuple[str, ...] = ("actor", "dancer")  # the identities it learns, in the order training draws them
    base_material: str = "kept"       # of the actor's faceset, what its base stage learns: after the rules or all

    def __post_init__(self) -> None:
        if self.input not in MODEL_INPUTS or self.base_material not in BASE_MATERIALS:
            raise ValueError(f"model {self.name!r}: input must be one of {MODEL_INPUTS}, base_material of "
                             f"{BASE_MATERIALS}")
        if not 0.0 <= self.default_performance <= 1.0:
            raise ValueError(f"model {self.name!r}: default_performance must be within 0..1")

    @property
    def snaps(self) -> bool:
        """Whether it takes the actor's latents from the shot's fit set by default (and so records, per converted
        frame, which actor frame it took)."""
        return self.default_performance < 1.0

    @property
    def learns_cg_pairs(self) -> bool:
        """Whether it learns CG pass -> actor pairs (a model fed the CG passes)."""
        return self.input == "cg"


_MODELS: dict[str, tuple[ModelInfo, ModelFactory]] = {}


def register_model(info: ModelInfo) -> Callable[[ModelFactory], ModelFactory]:
    """Register a factory `fn(info, *, size, **kw) -> SwapModel` under `info.name`."""
    def wrap(fn: ModelFactory) -> ModelFactory:
        if info.name in _MODELS:
            raise ValueError(f"model {info.name!r} is registered twice")
        _MODELS[info.name] = (info, fn)
        return fn
    return wrap


def list_models() -> list[str]:
    """The registered model names, in the order they were registered (rigid, loose, cg)."""
    return list(_MODELS)


def model_info(name: str) -> ModelInfo:
    """The registered facts of model `name`; unknown names are an InputError listing the known ones."""
    if name not in _MODELS:
        raise InputError(f"unknown model {name!r}; known models: {', '.join(list_models())}")
    return _MODELS[name][0]


def create_model(name: str, *, size: int, **kw: Any) -> SwapModel:
    """Build the model `name` for `size`² crops; unknown names are an InputError listing the known ones."""
    info = model_info(name)
    model = _MODELS[name][1](info, size=size, **kw)
    model.spec = {"name": name, "size": size, **kw}
    return model
