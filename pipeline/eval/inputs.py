"""What eval can score, each a small adapter yielding per plate frame an output image or None (no output).

Two kinds of output:
  plate space  full frames, compared with the truth as rendered (a converted variant's comp, any sequence)
  crop space   head crops with the plate -> crop transform that cut them; the truth is cut the same way
               (a model's crops of the plate or of the CG passes, a stabilize manifest's crops)

An adapter has a `name`, a `record` (plain data saying what it is) and `outputs(truth)`, an iterator of
(frame, Output | None) in plate frame order.
"""
from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from pipeline.errors import InputError
from pipeline.eval.truth import ShotTruth, display
from pipeline.shot import frame_path


@dataclass(frozen=True)
class Output:
    image: np.ndarray                     # (H, W, 3) display-encoded 0..1
    transform: np.ndarray | None = None   # plate -> crop (3x3) for a crop; None for a plate-space frame


class EvalInput(Protocol):
    name: str
    record: dict[str, Any]

    def outputs(self, truth: ShotTruth) -> Iterator[tuple[int, Output | None]]: ...


@dataclass
class PlateSequence:
    """Plate-space frames from a printf pattern; frames whose file is missing (or not in `frames`) have none."""

    name: str
    pattern: Path
    frames: frozenset[int] | None = None
    record: dict[str, Any] = field(default_factory=dict)
    # frames whose output shows its swap only in part, dissolving from or to the plate (a converted variant's
    # [convert] coverage_fade about the frames left as the plate): the identity measures leave them out
    dissolving: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        self.record = {"input": "plate", "pattern": os.fspath(self.pattern), **self.record}

    def outputs(self, truth: ShotTruth) -> Iterator[tuple[int, Output | None]]:
        from pipeline.media.image import read_image

        for frame in truth.frames:
            path = frame_path(self.pattern, frame)
            if (self.frames is not None and frame not in self.frames) or not path.is_file():
                yield frame, None
                continue
            yield frame, Output(display(read_image(path)[..., :3], linear=path.suffix.lower() == ".exr"))


def converted_variant(folder: str | os.PathLike) -> PlateSequence:
    """A converted variant (`facereplace convert`): its comp frames where the model swapped the head (frames
    left as the plate have no output)."""
    from pipeline.convert.converted import read_converted

    data = read_converted(folder)
    return PlateSequence(name=data.name, pattern=data.folder / data["comp"],
                         frames=frozenset(r.frame for r in data.frames if r.swapped),
                         dissolving=frozenset(f for f, w in data.swap_weights.items() if 0.0 < w < 1.0),
                         record={"source": "converted", "folder": os.fspath(data.folder),
                                 "model": data.record.get("model"), "checkpoint": data.record.get("checkpoint"),
                                 "performance": data.record.get("performance")})


@dataclass
class StabilizedCrops:
    """The crops of a stabilize manifest, as they are (the plate's crops score the 'no swap' baseline; a clip
    stabilized with the plate's track scores in crop space)."""

    name: str
    manifest: Path
    record: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.record = {"input": "crops", "stabilize": os.fspath(self.manifest), **self.record}

    def outputs(self, truth: ShotTruth) -> Iterator[tuple[int, Output | None]]:
        from pipeline.media.image import read_image
        from pipeline.stabilize.stage import read_stabilized

        by_frame = {int(r["frame"]): r for r in read_stabilized(self.manifest)["frames"]}
        for frame in truth.frames:
            r = by_frame.get(frame)
            if r is None or r["crop"] is None:
                yield frame, None
                continue
            path = Path(r["crop"])
            yield frame, Output(display(read_image(path)[..., :3], linear=path.suffix.lower() == ".exr"),
                                r["transform"])


@dataclass
class ModelCrops:
    """A model's output on each frame's head crop, without putting it back into the plate.

    Crops are framed from the tracked 3D pose at the model's size (as conversion cuts them), or by the
    transforms of a stabilize manifest (e.g. the 2D landmark baseline, whose unframeable frames then have no
    output). `source` gives the model's input per frame in plate space: the plate, or a CG pass."""

    name: str
    swapper: Any  # pipeline.convert.Swapper: size, record, __call__(crops) -> (rgb, mask)
    stabilize: Path | None = None
    source: Callable[[ShotTruth, int], np.ndarray] | None = None
    batch_size: int = 8
    record: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.record = {"input": "crops", "stabilize": os.fspath(self.stabilize) if self.stabilize else "pose",
                       "model": self.swapper.record.get("model"), "checkpoint": self.swapper.record.get("checkpoint"),
                       "performance": self.swapper.record.get("performance"), **self.record}

    def _transforms(self, truth: ShotTruth) -> dict[int, np.ndarray | None]:
        from pipeline.stabilize.crop import UnframeableError, crop_transform

        size = int(self.swapper.size)
        if self.stabilize is None:
            out: dict[int, np.ndarray | None] = {}
            for frame in truth.frames:
                try:
                    out[frame] = crop_transform(truth.poses[frame], truth.intrinsics[frame], size=size,
                                                radius=truth.stabilize.radius,
                                                skull_centre=truth.stabilize.skull_centre)
                except UnframeableError:
                    out[frame] = None
            return out
        from pipeline.stabilize.stage import read_stabilized

        data = read_stabilized(self.stabilize)
        k = size / float(data["config"]["size"])
        # the manifest's crop pixels rescaled to the model's size (pixel centres stay centres)
        rescale = np.array([[k, 0.0, 0.5 * k - 0.5], [0.0, k, 0.5 * k - 0.5], [0.0, 0.0, 1.0]])
        by_frame = {int(r["frame"]): r["transform"] for r in data["frames"]}
        return {f: None if by_frame.get(f) is None else rescale @ by_frame[f] for f in truth.frames}

    def outputs(self, truth: ShotTruth) -> Iterator[tuple[int, Output | None]]:
        from pipeline.stabilize.crop import stabilize_frame

        size = int(self.swapper.size)
        transforms = self._transforms(truth)
        frames = list(truth.frames)
        for start in range(0, len(frames), self.batch_size):
            batch = frames[start:start + self.batch_size]
            framed = [f for f in batch if transforms[f] is not None]
            results: dict[int, np.ndarray] = {}
            if framed:
                crops = []
                for f in framed:
                    image = self.source(truth, f) if self.source else truth.plate_raw(f)[..., :3]
                    shape = image.shape[:2]
                    # crop pixels partly off the plate are rescaled by how much plate they hold, as in conversion
                    inside = stabilize_frame(np.ones(shape, np.float32), transforms[f], size)[..., None]
                    crops.append(stabilize_frame(image, transforms[f], size) / np.maximum(inside, 1e-3))
                rgb, _ = self.swapper(np.stack(crops).astype(np.float32), framed)
                results = dict(zip(framed, np.clip(rgb, 0.0, 1.0)))
            for f in batch:
                yield f, Output(results[f], transforms[f]) if f in results else None


def cg_pass_source(layer: str) -> Callable[[ShotTruth, int], np.ndarray]:
    """The model input of a CG variant: one lighting pass of the shot's CG render, per frame, display-encoded
    as the faceset's CG crops the model learnt from."""
    def read(truth: ShotTruth, frame: int) -> np.ndarray:
        from pipeline.cg.passes import pass_display_rgb, read_passes

        if truth.shot.cg_passes is None:
            raise InputError(f"{truth.shot.root}: a CG variant needs the shot's [cg] passes")
        return pass_display_rgb(read_passes(frame_path(truth.shot.cg_passes, frame), (layer,))[layer])

    return read
