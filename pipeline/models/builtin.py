"""The registered swap models: rigid, loose and cg (one network family, pipeline.models.swap, three natures).

- rigid: a narrow bottleneck and, at conversion, the nearest actor latent of the fit set (performance 0), so
  it never strays from what the actor did; its base stage learns only the actor's material the shot's dataset
  rules keep (no expression she was pruned of).
- loose: a wide bottleneck and the raw latent (performance 1): it generalises over in-betweens and takes more
  of the dancer's performance; its base stage learns everything the actor did, every in-between included.
- cg: learns a CG render (any lighting pass) -> the actor; its input is a CG head animated to the actor's
  performance, so the raw latent is used (performance 1). One decoder, the actor's.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pipeline.models.registry import ModelInfo, register_model

if TYPE_CHECKING:
    from pipeline.models.swap import SwapModel

RIGID = ModelInfo("rigid", "never strays from what the actor did: snaps to her fit set's expressions",
                  latent_dim=32, default_performance=0.0)
LOOSE = ModelInfo("loose", "follows more of the dancer's performance on the actor's face", latent_dim=256,
                  default_performance=1.0, base_material="all")
CG = ModelInfo("cg", "the actor's bald CG head, animated to her performance, rendered as her", latent_dim=256,
               default_performance=1.0, input="cg", learns=("actor",))


def _swap_model(info: ModelInfo, *, size: int, latent_dim: int | None = None, performance: float | None = None,
                **kw: Any) -> SwapModel:
    """The shared network family with this model's bottleneck, performance and decoders."""
    from pipeline.models.swap import SwapModel

    if len(info.learns) == 1:  # one decoder (cg: the actor's); a pair keeps the network's own decoder order
        kw.setdefault("identities", info.learns)
    return SwapModel(name=info.name, size=size, latent_dim=latent_dim or info.latent_dim,
                     default_performance=info.default_performance if performance is None else performance, **kw)


for _info in (RIGID, LOOSE, CG):
    register_model(_info)(_swap_model)
