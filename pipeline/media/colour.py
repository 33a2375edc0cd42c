"""Colour management: the engine's scene-linear frames shown through an OpenColorIO display and view.

The config is the show's (shot.toml `[colour] config`, else the `OCIO` environment variable every DCC reads),
else OCIO's built-in ACES config (`ocio://default`). With the built-in config the engine's linear means
"Linear Rec.709 (sRGB)" (the engine decodes sRGB-encoded plates to linear with Rec.709 primaries) and the view
is "Un-tone-mapped" on "sRGB - Display": the review clip of a linear EXR then looks exactly like its
display-encoded plate beside it in the player, as the clips did before OCIO. A show config's unset choices
fall to that config's own: the `scene_linear` role, its default display and that display's default view.

What was used (config, colour space, display, view) is recorded with every review clip, named in the comp's
EXR headers and in its Nuke script, so the review, the comp and the artist's Nuke see the same picture.
"""
from __future__ import annotations

import functools
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.errors import InputError

log = logging.getLogger(__name__)

BUILTIN_CONFIG = "ocio://default"
# The built-in config's names for what the engine writes and for the view that shows it as plain sRGB.
BUILTIN_CHOICES = {"colour_space": "Linear Rec.709 (sRGB)", "display": "sRGB - Display", "view": "Un-tone-mapped"}
CONFIG_ENV = "OCIO"


@dataclass(frozen=True)
class ColourConfig:
    """[colour] in shot.toml."""

    # An OCIO config file (relative to the shot folder) or a built-in URI such as ocio://studio-config-latest;
    # empty: the OCIO environment variable, else OCIO's built-in ACES config (ocio://default).
    config: str = ""
    colour_space: str = ""              # what the engine's linear EXRs hold; empty: the config's scene_linear role
    display: str = ""                   # the review clips' display; empty: the config's default display
    view: str = ""                      # the view on that display; empty: the display's default view


@dataclass(frozen=True)
class DisplayTransform:
    """One resolved OCIO display/view conversion, from scene-linear float to 8-bit display code values."""

    config: str          # the file or URI the config came from
    config_name: str     # the config's own name (e.g. cg-config-v5.0.0_aces-v2.1_ocio-v2.6)
    colour_space: str
    display: str
    view: str
    _processor: Any = field(repr=False, compare=False)
    # uint8 by half-float bits when the channels are separable: 65536, or 65536x3 when their curves differ
    _half_table: np.ndarray | None = field(repr=False, compare=False)

    def record(self) -> dict[str, str]:
        """JSON-ready: what a review clip records and the site shows in the player."""
        return {"config": self.config, "config_name": self.config_name, "colour_space": self.colour_space,
                "display": self.display, "view": self.view}

    def to_display8(self, linear: np.ndarray) -> np.ndarray:
        """HxWxC scene-linear (alpha dropped, grey expanded) to HxWx3 uint8 display code values."""
        rgb = np.asarray(linear)
        if rgb.ndim == 2:
            rgb = rgb[..., None]
        rgb = np.repeat(rgb[..., :1], 3, axis=-1) if rgb.shape[-1] < 3 else rgb[..., :3]
        if self._half_table is not None:
            # Per channel curves: one table lookup on the half-float bits, as fast as a plain sRGB encode.
            bits = np.asarray(rgb, np.float16).view(np.uint16)
            if self._half_table.ndim == 1:  # the same curve on every channel (e.g. the default view)
                return self._half_table[bits]
            return np.stack([self._half_table[bits[..., c], c] for c in range(3)], axis=-1)
        pixels = np.ascontiguousarray(rgb, dtype=np.float32)
        self._processor.applyRGB(pixels)
        return _code_values(pixels)


def _code_values(display: np.ndarray) -> np.ndarray:
    return np.round(np.clip(np.nan_to_num(display, nan=0.0), 0.0, 1.0) * 255.0).astype(np.uint8)


def config_source(settings: ColourConfig, *, root: str | os.PathLike | None = None) -> str:
    """Where the config comes from: the setting (a relative file resolved against `root`), `OCIO`, the built-in."""
    chosen = settings.config or os.environ.get(CONFIG_ENV, "") or BUILTIN_CONFIG
    if chosen.startswith("ocio://") or root is None or Path(chosen).is_absolute():
        return chosen
    return str(Path(root) / chosen)


def display_transform(settings: ColourConfig | None = None, *,
                      root: str | os.PathLike | None = None) -> DisplayTransform:
    """The display transform of `settings` (defaults when None); a missing config or an unknown name is an
    InputError that says which names the config has."""
    settings = settings or ColourConfig()
    return _build(config_source(settings, root=root), settings.colour_space, settings.display, settings.view)


@functools.lru_cache(maxsize=8)
def _build(source: str, colour_space: str, display: str, view: str) -> DisplayTransform:
    import PyOpenColorIO as ocio

    if not source.startswith("ocio://") and not Path(source).is_file():
        raise InputError(f"{source}: no such OCIO config file; set [colour] config in shot.toml or the {CONFIG_ENV} "
                         "environment variable to an existing .ocio file, or leave both unset for the built-in config")
    try:
        config = ocio.Config.CreateFromFile(source)
        config.validate()
    except ocio.Exception as exc:
        raise InputError(f"{source}: not a usable OCIO config ({exc})") from None
    builtin = source == BUILTIN_CONFIG
    colour_space = colour_space or (BUILTIN_CHOICES["colour_space"] if builtin
                                    else config.getRoleColorSpace(ocio.ROLE_SCENE_LINEAR) or "")
    display = display or (BUILTIN_CHOICES["display"] if builtin else config.getDefaultDisplay())
    view = view or (BUILTIN_CHOICES["view"] if builtin else config.getDefaultView(display))
    names = [cs.getName() for cs in config.getColorSpaces()]
    if config.getColorSpace(colour_space) is None:
        raise InputError(f"{source}: no colour space {colour_space!r}; set [colour] colour_space to one of "
                         f"{', '.join(names)}")
    if display not in config.getDisplays():
        raise InputError(f"{source}: no display {display!r}; set [colour] display to one of "
                         f"{', '.join(config.getDisplays())}")
    if view not in config.getViews(display):
        raise InputError(f"{source}: display {display!r} has no view {view!r}; set [colour] view to one of "
                         f"{', '.join(config.getViews(display))}")
    processor = config.getProcessor(ocio.DisplayViewTransform(src=colour_space, display=display, view=view))
    processor = processor.getOptimizedProcessor(ocio.OPTIMIZATION_DEFAULT)
    cpu = processor.getDefaultCPUProcessor()
    table = None if processor.hasChannelCrosstalk() else _half_table(cpu)
    log.info("colour: %s (%s), %s -> %s / %s", source, config.getName(), colour_space, display, view)
    return DisplayTransform(config=source, config_name=config.getName(), colour_space=colour_space, display=display,
                            view=view, _processor=cpu, _half_table=table)


def _half_table(cpu: Any) -> np.ndarray:
    halves = np.arange(65536, dtype=np.uint16).view(np.float16).astype(np.float32)
    grey = np.repeat(np.nan_to_num(halves, nan=0.0, posinf=65504.0, neginf=-65504.0)[:, None], 3, axis=1)
    pixels = np.ascontiguousarray(grey[None])
    cpu.applyRGB(pixels)
    table = _code_values(pixels[0])
    return table[:, 0].copy() if (table == table[:, :1]).all() else table
