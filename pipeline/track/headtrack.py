"""HeadTrack: the camera-relative head pose of every plate frame, how it was obtained, and how sure we are.

Versioned JSON (kind "head_track"). Schema changelog:
  1: frames with rotation_deg (ZXY Euler of the camera-relative rotation, continuous across turns),
     translation (skull centre in camera space, scene units), confidence in [0, 1], status measured|filled,
     intrinsics (one for the clip, or one per frame when they change, e.g. a zoom).
  2: lens: "given" (the shot's camera), "metadata" (read from the plate's own metadata: EXR camera attributes,
     EXIF, a video's focal-length tag) or "estimated" (the built-in tracker estimated the focal length from the
     face, no lens being known); jumps: frames where the tracker had to jump to a face it
     could not tie to the one it was following (another person, or the same one reappearing far away).
     Version 1 files read as lens "given" (the importer always had a camera) with no jumps.
"""
from __future__ import annotations

import dataclasses
import logging
import os
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.artifacts import read_manifest, write_manifest
from pipeline.errors import InputError
from pipeline.geometry import (Intrinsics, compose, euler_to_matrix, in_front, invert_rigid, matrix_to_euler,
                               project, rotation_from_yaw_pitch_roll, unwrap_euler, view_yaw_pitch_roll,
                               yaw_pitch_roll)
from pipeline.track.chan import ChanTrack
from pipeline.track.interpolate import fill_angles, fill_linear

logger = logging.getLogger(__name__)

KIND = "head_track"
SCHEMA_VERSION = 2
LENSES = ("given", "metadata", "estimated")


def _v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    return {**data, "lens": "given", "jumps": []}


UPGRADES = {1: _v1_to_v2}
STATUSES = ("measured", "filled")
# Confidence given to frames filled because the source track had no value there.
FILLED_CONFIDENCE = 0.3


@dataclasses.dataclass
class HeadTrack:
    """Per frame: rotation (head-local -> camera), translation (skull centre in camera space), intrinsics,
    confidence and status. Arrays are aligned with `frames` (sorted, unique plate frame numbers)."""

    frames: np.ndarray  # (N,) int
    rotation: np.ndarray  # (N, 3, 3)
    translation: np.ndarray  # (N, 3)
    intrinsics: tuple[Intrinsics, ...]  # N
    confidence: np.ndarray  # (N,) in [0, 1]
    status: np.ndarray  # (N,) str, "measured" | "filled"
    lens: str = "given"  # "given" | "metadata" | "estimated": where the intrinsics' focal length came from
    jumps: tuple[int, ...] = ()  # frames where the tracker jumped to a face it could not tie to the one it followed

    def __post_init__(self) -> None:
        self.frames = np.asarray(self.frames, dtype=np.int64)
        n = len(self.frames)
        self.rotation = np.asarray(self.rotation, dtype=np.float64).reshape(n, 3, 3)
        self.translation = np.asarray(self.translation, dtype=np.float64).reshape(n, 3)
        self.confidence = np.asarray(self.confidence, dtype=np.float64).reshape(n)
        self.status = np.asarray(self.status, dtype=object).reshape(n)
        if len(self.intrinsics) != n:
            raise InputError(f"head track: {len(self.intrinsics)} intrinsics for {n} frames")
        if n and np.any(np.diff(self.frames) <= 0):
            raise InputError("head track: frames must be increasing and unique")
        for name in ("rotation", "translation", "confidence"):
            values = getattr(self, name).reshape(n, -1)
            bad = ~np.all(np.isfinite(values), axis=1)
            if np.any(bad):
                raise InputError(f"head track: NaN or infinite {name} at frame(s) {_frame_list(self.frames[bad])}")
        unknown = set(self.status) - set(STATUSES)
        if unknown:
            raise InputError(f"head track: unknown status {sorted(map(str, unknown))}; use measured or filled")
        if self.lens not in LENSES:
            raise InputError(f"head track: unknown lens {self.lens!r}; use one of {', '.join(LENSES)}")
        self.jumps = tuple(sorted(int(f) for f in self.jumps))

    def __len__(self) -> int:
        return len(self.frames)

    def index(self, frame: int) -> int:
        i = int(np.searchsorted(self.frames, frame))
        if i >= len(self.frames) or self.frames[i] != frame:
            raise InputError(f"head track has no frame {frame} (it covers {self.frames[0]}..{self.frames[-1]})")
        return i

    def yaw_pitch_roll(self) -> np.ndarray:
        """(N, 3) yaw, pitch, roll in degrees, continuous across full turns (yaw 0..720 for two spins)."""
        ypr = yaw_pitch_roll(self.rotation)
        return unwrap_euler(ypr[:, [1, 0, 2]], "ZXY")[:, [1, 0, 2]] if len(ypr) else ypr

    def view_yaw_pitch_roll(self) -> np.ndarray:
        """(N, 3) yaw, pitch, roll in degrees relative to the line of sight to the head (as the camera sees it,
        pipeline.geometry.view_yaw_pitch_roll), continuous like `yaw_pitch_roll`: what fit selection, coverage,
        descriptors and QC compare."""
        ypr = view_yaw_pitch_roll(self.rotation, self.translation)
        return unwrap_euler(ypr[:, [1, 0, 2]], "ZXY")[:, [1, 0, 2]] if len(ypr) else ypr

    def transforms(self) -> np.ndarray:
        """(N, 4, 4) head-local -> camera transforms."""
        return compose(self.rotation, self.translation)

    def frame_flags(self, *, head_radius: float = 0.12) -> dict[int, str]:
        """Frames where the head cannot be framed: 'behind_camera' or 'out_of_frame' (the whole head sphere
        of `head_radius` outside the image). Such frames are flagged by the stages, never a crash."""
        flags: dict[int, str] = {}
        for frame, t, cam in zip(self.frames, self.translation, self.intrinsics):
            if not in_front(t, near=head_radius * 0.5):
                flags[int(frame)] = "behind_camera"
                continue
            u, v = project(t, cam)
            r = cam.focal_px * head_radius / -t[2]
            if u + r < 0 or v + r < 0 or u - r > cam.width - 1 or v - r > cam.height - 1:
                flags[int(frame)] = "out_of_frame"
        return flags

    def subset(self, mask: np.ndarray) -> HeadTrack:
        idx = np.flatnonzero(mask)
        kept = set(self.frames[idx].tolist())
        return HeadTrack(self.frames[idx], self.rotation[idx], self.translation[idx],
                         tuple(self.intrinsics[i] for i in idx), self.confidence[idx], self.status[idx],
                         lens=self.lens, jumps=tuple(f for f in self.jumps if f in kept))


def _frame_list(frames: Any, limit: int = 12) -> str:
    """Frames as compact ranges: 1001-1010, 1020 (first `limit` runs)."""
    f = sorted(int(x) for x in frames)
    runs: list[str] = []
    start = prev = None
    for x in f + [None]:
        if x is not None and prev is not None and x == prev + 1:
            prev = x
            continue
        if start is not None:
            runs.append(str(start) if start == prev else f"{start}-{prev}")
        start = prev = x
    more = f" and {len(runs) - limit} more runs" if len(runs) > limit else ""
    return ", ".join(runs[:limit]) + more


def missing_frames(track: HeadTrack, frames: range | np.ndarray) -> np.ndarray:
    """Plate frames the track has no pose for."""
    wanted = np.asarray(list(frames), dtype=np.int64)
    return wanted[~np.isin(wanted, track.frames)]


def conform(track: HeadTrack, frames: range | np.ndarray, *, fill: bool = False,
            where: str = "head track") -> HeadTrack:
    """The track on exactly the plate's `frames`.

    Missing frames (gaps, or a track shorter than the plate) are an InputError listing them unless `fill`:
    then rotations are interpolated on the unwrapped angles (continuing a turn, not the short way round),
    translations linearly, ends held; those frames are marked filled with a low confidence.
    Frames outside the plate are dropped.
    """
    wanted = np.asarray(list(frames), dtype=np.int64)
    missing = missing_frames(track, wanted)
    inside = track.subset(np.isin(track.frames, wanted))
    if len(missing) == 0:
        return inside
    if not fill:
        raise InputError(f"{where}: no pose for {len(missing)} of the plate's {len(wanted)} frames "
                         f"({_frame_list(missing)}); fix the track, or ask to fill them "
                         "(--fill-missing) by interpolation")
    if len(inside) == 0:
        raise InputError(f"{where}: no frame of the track lies in the plate's range {wanted[0]}..{wanted[-1]}")
    logger.warning("%s: filling %d missing frames: %s", where, len(missing), _frame_list(missing))
    known = np.isin(wanted, inside.frames)
    n = len(wanted)
    ypr = np.full((n, 3), np.nan)
    ypr[known] = inside.yaw_pitch_roll()
    ypr = fill_angles(wanted, ypr, known, extrapolate=False)
    translation = np.full((n, 3), np.nan)
    translation[known] = inside.translation
    translation = fill_linear(wanted, translation, known)
    rotation = rotation_from_yaw_pitch_roll(ypr)
    nearest = np.searchsorted(inside.frames, wanted).clip(0, len(inside) - 1)
    intr = tuple(inside.intrinsics[i] for i in nearest)
    confidence = np.full(n, FILLED_CONFIDENCE)
    confidence[known] = inside.confidence
    status = np.where(known, "measured", "filled").astype(object)
    status[known] = inside.status
    return HeadTrack(wanted, rotation, translation, intr, confidence, status, lens=track.lens,
                     jumps=tuple(f for f in track.jumps if f in set(wanted.tolist())))


def from_chan(head: ChanTrack, intrinsics: Intrinsics, *, camera: ChanTrack | None = None,
              where: str = "head track") -> HeadTrack:
    """A HeadTrack from a head .chan, camera-relative already or, with `camera`, both in world space.

    With a camera track, the camera-relative pose is inv(camera) · head on every frame both cover, and the
    camera's vfov column (if any) sets each frame's focal length on `intrinsics` (size and film back kept).
    """
    frames = head.frames
    transforms = head.matrices()
    intr = [intrinsics] * len(frames)
    if camera is not None:
        absent = frames[~np.isin(frames, camera.frames)]
        if len(absent):
            raise InputError(f"{where}: the camera track has no frame(s) {_frame_list(absent)} of the head track; "
                             "export the camera over the whole head track")
        idx = np.searchsorted(camera.frames, frames)
        cam_world = camera.matrices()[idx]
        transforms = invert_rigid(cam_world) @ transforms
        if camera.vfov_deg is not None:
            intr = [intrinsics.with_vfov(float(v)) for v in camera.vfov_deg[idx]]
    n = len(frames)
    return HeadTrack(frames, transforms[:, :3, :3], transforms[:, :3, 3], tuple(intr), np.ones(n),
                     np.full(n, "measured", dtype=object))


def to_chan(track: HeadTrack, *, camera: ChanTrack | None = None, rotation_order: str = "ZXY") -> ChanTrack:
    """The head as an object .chan: camera-relative, or in world space when the camera track is given."""
    transforms = track.transforms()
    if camera is not None:
        absent = track.frames[~np.isin(track.frames, camera.frames)]
        if len(absent):
            raise InputError(f"camera track has no frame(s) {_frame_list(absent)} of the head track")
        idx = np.searchsorted(camera.frames, track.frames)
        transforms = camera.matrices()[idx] @ transforms
    return ChanTrack.from_matrices(track.frames, transforms, rotation_order=rotation_order)


def camera_chan(track: HeadTrack, *, rotation_order: str = "ZXY") -> ChanTrack:
    """The camera the camera-relative head track is expressed in: at the origin, with each frame's vfov."""
    n = len(track)
    return ChanTrack(frames=track.frames.copy(), translation=np.zeros((n, 3)), rotation_deg=np.zeros((n, 3)),
                     rotation_order=rotation_order, vfov_deg=np.array([c.vfov_deg for c in track.intrinsics]))


def write_track(path: str | os.PathLike, track: HeadTrack, *, source: str = "") -> Path:
    """Write the track as versioned JSON, atomically."""
    angles = unwrap_euler(matrix_to_euler(track.rotation, "ZXY"), "ZXY") if len(track) else np.zeros((0, 3))
    shared = len(set(track.intrinsics)) <= 1
    frames = []
    for i, frame in enumerate(track.frames):
        record: dict[str, Any] = {"frame": int(frame), "rotation_deg": angles[i].tolist(),
                                  "translation": track.translation[i].tolist(),
                                  "confidence": float(track.confidence[i]), "status": str(track.status[i])}
        if not shared:
            record["intrinsics"] = track.intrinsics[i].to_dict()
        frames.append(record)
    data: dict[str, Any] = {"rotation_order": "ZXY", "source": source, "frames": frames, "lens": track.lens,
                            "jumps": list(track.jumps),
                            "intrinsics": track.intrinsics[0].to_dict() if shared and len(track) else None}
    return write_manifest(path, kind=KIND, version=SCHEMA_VERSION, data=data)


def read_track(path: str | os.PathLike) -> HeadTrack:
    """Read a head track JSON; malformed records are InputErrors naming the file and frame."""
    data = read_manifest(path, kind=KIND, versions=(*sorted(UPGRADES), SCHEMA_VERSION))
    for version in range(data["schema_version"], SCHEMA_VERSION):
        data = UPGRADES[version](data)
    order = data.get("rotation_order", "ZXY")
    records = data.get("frames")
    if not isinstance(records, list):
        raise InputError(f"{path}: 'frames' must be a list of per-frame records")
    shared = data.get("intrinsics")
    shared_intr = Intrinsics.from_dict(shared, where=f"{path}: intrinsics") if shared else None
    frames, angles, translations, intr, conf, status = [], [], [], [], [], []
    for n, rec in enumerate(records):
        where = f"{path}: frame record #{n} ({rec.get('frame', '?') if isinstance(rec, dict) else rec!r})"
        try:
            frames.append(int(rec["frame"]))
            angles.append([float(v) for v in rec["rotation_deg"]][:3])
            translations.append([float(v) for v in rec["translation"]][:3])
            conf.append(float(rec.get("confidence", 1.0)))
            status.append(str(rec.get("status", "measured")))
            if "intrinsics" in rec:
                intr.append(Intrinsics.from_dict(rec["intrinsics"], where=where))
            elif shared_intr is not None:
                intr.append(shared_intr)
            else:
                raise InputError(f"{where}: no intrinsics for this frame and none for the clip")
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"{where}: needs frame, rotation_deg [3], translation [3] ({exc!r})") from None
        if len(angles[-1]) != 3 or len(translations[-1]) != 3:
            raise InputError(f"{where}: rotation_deg and translation need 3 values each")
    frames_arr = np.asarray(frames, dtype=np.int64)
    order_idx = np.argsort(frames_arr, kind="stable")
    bad = ~np.all(np.isfinite(np.hstack([np.reshape(angles, (-1, 3)), np.reshape(translations, (-1, 3))])), axis=1)
    if np.any(bad):
        raise InputError(f"{path}: NaN or infinite pose at frame(s) {_frame_list(frames_arr[bad])}")
    rotation = euler_to_matrix(np.reshape(angles, (-1, 3)), order)
    try:
        return HeadTrack(frames_arr[order_idx], rotation[order_idx], np.reshape(translations, (-1, 3))[order_idx],
                         tuple(intr[i] for i in order_idx), np.asarray(conf)[order_idx],
                         np.asarray(status, dtype=object)[order_idx], lens=str(data.get("lens", "given")),
                         jumps=tuple(int(f) for f in data.get("jumps", [])))
    except InputError as exc:
        raise InputError(f"{path}: {exc}") from None
