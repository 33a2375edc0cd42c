"""The registered swap models: rigid, loose and cg.

- rigid: a narrow bottleneck and, at conversion, the nearest actor latent of the fit set (performance 0), so
  it never strays from what the actor did.
- loose: a wide bottleneck and the raw latent (performance 1): it generalises over in-betweens and takes more
  of the dancer's performance.
- cg: learns a CG render (any lighting pass) -> the actor; its input is a CG head animated to the actor's
  performance, so the raw latent is used (performance 1). One decoder, the actor's.
"""
from __future__ import annotations

from typing import Any

from pipeline.models.registry import register_model
from pipeline.models.swap import SwapModel

RIGID_LATENT, LOOSE_LATENT, CG_LATENT = 32, 256, 256


@register_model("rigid")
def rigid(*, size: int, latent_dim: int = RIGID_LATENT, performance: float = 0.0, **kw: Any) -> SwapModel:
    return SwapModel(name="rigid", size=size, latent_dim=latent_dim, default_performance=performance, **kw)


@register_model("loose")
def loose(*, size: int, latent_dim: int = LOOSE_LATENT, performance: float = 1.0, **kw: Any) -> SwapModel:
    return SwapModel(name="loose", size=size, latent_dim=latent_dim, default_performance=performance, **kw)


@register_model("cg")
def cg(*, size: int, latent_dim: int = CG_LATENT, performance: float = 1.0, **kw: Any) -> SwapModel:
    kw.setdefault("identities", ("actor",))
    return SwapModel(name="cg", size=size, latent_dim=latent_dim, default_performance=performance, **kw)
