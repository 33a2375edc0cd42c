"""Loading a head track from whichever form it arrives in: head_track JSON, or .chan + camera intrinsics
(optionally a world-space head with the world-space camera .chan)."""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.artifacts import write_manifest
from pipeline.errors import InputError
from pipeline.geometry import Intrinsics
from pipeline.track.chan import read_chan
from pipeline.track.headtrack import HeadTrack, from_chan, read_track

if TYPE_CHECKING:
    from pipeline.shot import Shot

INTRINSICS_KIND = "camera_intrinsics"
INTRINSICS_VERSION = 1


def read_intrinsics(path: str | os.PathLike) -> Intrinsics:
    """Camera intrinsics JSON: {width, height, focal_mm, film_back_mm: [w, h], principal_point: [u, v] | null},
    at the top level or under "intrinsics" (a camera_intrinsics manifest)."""
    return read_camera(path)[0]


def read_camera(path: str | os.PathLike) -> tuple[Intrinsics, str]:
    """`read_intrinsics`, and where the camera's focal length came from (its "lens": given, metadata or estimated;
    "given" where the file says none, as a matchmove's camera or one written by hand)."""
    from pipeline.track.headtrack import LENSES

    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: no such camera intrinsics file")
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{p}: not valid JSON ({exc})") from None
    if isinstance(data, dict) and isinstance(data.get("intrinsics"), dict):
        data = data["intrinsics"]
    if not isinstance(data, dict):
        raise InputError(f"{p}: expected a JSON object with the camera intrinsics")
    lens = data.get("lens", "given")
    if lens not in LENSES:
        raise InputError(f"{p}: unknown lens {lens!r}; use one of {', '.join(LENSES)} (or leave it out)")
    return Intrinsics.from_dict(data, where=str(p)), lens


def write_intrinsics(path: str | os.PathLike, intrinsics: Intrinsics, *, lens: str = "given") -> Path:
    """Write intrinsics as a camera_intrinsics manifest (fields at the top level, readable by read_camera), with
    where its focal length came from."""
    return write_manifest(path, kind=INTRINSICS_KIND, version=INTRINSICS_VERSION,
                          data={**intrinsics.to_dict(), "lens": lens})


def load_head_track(path: str | os.PathLike, *, intrinsics: str | os.PathLike | Intrinsics | None = None,
                    camera: str | os.PathLike | None = None, rotation_order: str = "ZXY") -> HeadTrack:
    """A HeadTrack from `path`: a head_track JSON as written by `facereplace track`, or a .chan (which needs
    `intrinsics`; with `camera`, a world-space camera .chan, the head .chan is in world space too)."""
    p = Path(path)
    if p.suffix.lower() == ".json":
        return read_track(p)
    if p.suffix.lower() != ".chan":
        raise InputError(f"{p}: a head track is a .chan or a head_track .json file")
    if intrinsics is None:
        raise InputError(f"{p}: a .chan holds no lens; give the plate camera's intrinsics JSON (--intrinsics)")
    intr = intrinsics if isinstance(intrinsics, Intrinsics) else read_intrinsics(intrinsics)
    head = read_chan(p, rotation_order=rotation_order, kind="object")
    cam = read_chan(camera, rotation_order=rotation_order, kind="camera") if camera is not None else None
    return from_chan(head, intr, camera=cam, where=str(p))


def load_source_track(shot: Shot, name: str, track: str | os.PathLike, camera: str) -> HeadTrack:
    """A source's head track, read with its camera's lens (the plate camera's where the shot names no other for
    it); an InputError naming the source where the track cannot be used."""
    try:
        return load_head_track(track, intrinsics=shot.cameras.get(camera, shot.camera),
                               rotation_order=shot.rotation_order)
    except InputError as exc:
        raise InputError(f"source {name}: its head track cannot be used ({exc}); track the source first "
                         "(`facereplace track solve`) or import a .chan") from None
