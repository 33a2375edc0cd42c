"""`stabilize` stage: plate + head track -> NxN head crops, their transforms and poses, as one manifest.

Manifest kind "stabilized_crops". Schema changelog:
  1: size, radius, skull_centre, plate; per frame: crop file (or null), transform (plate -> crop, 3x3),
     inverse, yaw_pitch_roll (continuous), rotation_deg (ZXY), translation, confidence, status
     (measured|filled), flag (null, "behind_camera", "out_of_frame", or "no_face" for the 2D baseline:
     no crop for that frame).
"""
from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.artifacts import read_manifest, write_manifest
from pipeline.atomic import atomic_dir
from pipeline.config import config_to_dict
from pipeline.progress import ProgressCallback, progress_bar
from pipeline.stabilize.config import StabilizeConfig
from pipeline.stabilize.crop import UnframeableError, crop_transform, similarity_transform, stabilize_frame
from pipeline.track.headtrack import HeadTrack, conform

logger = logging.getLogger(__name__)

KIND = "stabilized_crops"
SCHEMA_VERSION = 1
MANIFEST = "stabilize.json"
Framing = Callable[[int, np.ndarray], np.ndarray]  # (track index, plate image) -> 3x3, or UnframeableError


@dataclasses.dataclass(frozen=True)
class StabilizeInputs:
    plate: Path  # video, or image sequence pattern
    track: HeadTrack
    out_dir: Path
    first_frame: int = 1001  # of a video plate (a sequence keeps its own numbers)
    fps: str | None = None  # a sequence's frame rate when its files carry none (fps only labels, never retimes)


@dataclasses.dataclass(frozen=True)
class StabilizeOutputs:
    manifest: Path
    cropped: tuple[int, ...]  # frames with a crop
    flagged: dict[int, str]  # frame -> reason it has none


def run(config: StabilizeConfig, inputs: StabilizeInputs, *,
        progress: ProgressCallback | None = None) -> StabilizeOutputs:
    """Cut a crop for every plate frame from the head pose; write crops + manifest into `out_dir` whole."""
    from pipeline.media.clip import open_clip
    from pipeline.media.image import write_image

    with open_clip(inputs.plate, first_frame=inputs.first_frame, fps=inputs.fps) as clip:
        track = conform(inputs.track, clip.frame_range, fill=config.fill_missing, where=str(inputs.plate))
        ypr = track.yaw_pitch_roll()
        angles = ypr[:, [1, 0, 2]]
        extension = "exr" if clip.linear else "png"
        records: list[dict[str, Any]] = []
        flagged: dict[int, str] = {}
        out_dir = Path(inputs.out_dir)
        with atomic_dir(out_dir) as tmp, open_framing(config, track, linear=clip.linear) as framing, \
                progress_bar(len(track), "stabilize", callback=progress) as bar:
            (tmp / "crops").mkdir()
            for i, frame in enumerate(track.frames):
                frame = int(frame)
                record: dict[str, Any] = {
                    "frame": frame, "yaw_pitch_roll": ypr[i].tolist(), "rotation_deg": angles[i].tolist(),
                    "translation": track.translation[i].tolist(), "confidence": float(track.confidence[i]),
                    "status": str(track.status[i]), "crop": None, "transform": None, "inverse": None, "flag": None}
                image = clip.read(frame)
                try:
                    m = framing(i, image)
                except UnframeableError as exc:
                    record["flag"] = flagged[frame] = exc.reason
                    logger.warning("%s frame %d: no crop: %s", inputs.plate, frame, exc)
                else:
                    name = f"crops/crop.{frame:04d}.{extension}"
                    write_image(tmp / name, stabilize_frame(image, m, config.size))
                    record.update(crop=name, transform=m.tolist(), inverse=np.linalg.inv(m).tolist())
                records.append(record)
                bar.update(1, f"frame {frame}")
            write_manifest(tmp / MANIFEST, kind=KIND, version=SCHEMA_VERSION, data={
                "config": config_to_dict(config), "plate": os.fspath(Path(inputs.plate).resolve()),
                "width": clip.width, "height": clip.height, "frames": records})
    cropped = tuple(r["frame"] for r in records if r["flag"] is None)
    logger.info("stabilize: %d crops of %dx%d, %d frames flagged", len(cropped), config.size, config.size,
                len(flagged))
    return StabilizeOutputs(manifest=out_dir / MANIFEST, cropped=cropped, flagged=flagged)


@contextlib.contextmanager
def open_framing(config: StabilizeConfig, track: HeadTrack, *, linear: bool) -> Iterator[Framing]:
    """The plate -> crop matrix of each frame for `config.method`: stabilize, the facesets and conversion all
    frame through this, so a shot's [stabilize] method decides every crop of the shot (`linear`: images are
    scene-linear, not display-encoded)."""
    if config.method == "pose":
        poses = track.transforms()
        yield lambda i, image: crop_transform(poses[i], track.intrinsics[i], size=config.size, radius=config.radius,
                                              skull_centre=config.skull_centre)
        return
    from pipeline.track.solve import Landmarker, to_rgb8

    with Landmarker(mode="video") as landmarker:
        def landmarks2d(i: int, image: np.ndarray) -> np.ndarray:
            points = landmarker(to_rgb8(image, linear=linear))
            if points is None:
                raise UnframeableError("no_face", "no face found, so the 2D landmark baseline has no crop")
            return similarity_transform(points, size=config.size)

        yield landmarks2d


def read_stabilized(path: str | os.PathLike) -> dict[str, Any]:
    """Read a stabilize manifest (the file or its folder); transforms come back as 3x3 arrays."""
    p = Path(path)
    if p.is_dir():
        p = p / MANIFEST
    data = read_manifest(p, kind=KIND, versions=(SCHEMA_VERSION,))
    for record in data["frames"]:
        for key in ("transform", "inverse"):
            if record[key] is not None:
                record[key] = np.asarray(record[key], dtype=np.float64)
        if record["crop"] is not None:
            record["crop"] = p.parent / record["crop"]
    return data
