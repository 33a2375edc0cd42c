"""What training reads: a `TrainingSet` (crops, masks and poses per identity, CG/actor pairs) and its loader.

The dataset stage writes one folder per faceset (one identity): its format and its one reader and writer are in
`pipeline.dataset.faceset`. `load_faceset` reads a folder with it, the images loaded lazily, and `training_set`
puts the roles of a training run together (`{"dancer": ..., "actor": ...}`). Tests and other code may also build
a `TrainingSet` from arrays directly. Crops with source "cg" are never used as photographs of the identity: they
form the cg model's pairs. A fit set is a faceset too (its image paths may point into the full faceset's folder).
"""
from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import cv2
import numpy as np

from pipeline.dataset.faceset import CG_SOURCE, DEFAULT_RADIUS, FACESET, read_faceset
from pipeline.errors import InputError

log = logging.getLogger(__name__)


class Crops(Protocol):
    """N images of one size, loaded on demand: `take(index)` -> (k, H, W, 3) or (k, H, W), float32 in 0..1."""

    def __len__(self) -> int: ...

    def take(self, index: np.ndarray) -> np.ndarray: ...


class ArrayCrops:
    """Crops held in memory as an array (N, H, W[, 3]), uint8 or float in 0..1."""

    def __init__(self, array: np.ndarray):
        self.array = array

    def __len__(self) -> int:
        return len(self.array)

    def take(self, index: np.ndarray) -> np.ndarray:
        batch = self.array[index]
        return batch.astype(np.float32) / 255.0 if batch.dtype == np.uint8 else batch.astype(np.float32, copy=False)


class PngCrops:
    """Crops read from PNG files when first asked for, then kept in memory (as 8 or 16 bit) up to `cache_bytes`."""

    def __init__(self, paths: Sequence[Path], *, size: int, grey: bool, cache_bytes: int = 2 << 30):
        self.paths, self.size, self.grey = list(paths), size, grey
        self._cache: dict[int, np.ndarray] = {}
        self._cache_left = cache_bytes

    def __len__(self) -> int:
        return len(self.paths)

    def _read(self, i: int) -> np.ndarray:
        if i in self._cache:
            return self._cache[i]
        path = self.paths[i]
        image = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE if self.grey else cv2.IMREAD_UNCHANGED)
        if image is None:
            raise InputError(f"{path}: cannot read this image; rebuild the faceset or remove the crop from "
                             "its manifest")
        if not self.grey:
            if image.ndim == 2:
                image = cv2.cvtColor(image, cv2.COLOR_GRAY2RGB)
            image = cv2.cvtColor(image[..., :3], cv2.COLOR_BGR2RGB)
        if image.shape[:2] != (self.size, self.size):
            raise InputError(f"{path}: crop is {image.shape[1]}x{image.shape[0]}, the faceset says "
                             f"{self.size}x{self.size}; rebuild the faceset")
        if self._cache_left >= image.nbytes:
            self._cache[i] = image
            self._cache_left -= image.nbytes
        return image

    def take(self, index: np.ndarray) -> np.ndarray:
        images = [self._read(int(i)) for i in np.asarray(index).reshape(-1)]
        return np.stack([im.astype(np.float32) / (65535.0 if im.dtype == np.uint16 else 255.0) for im in images])


class FullMasks:
    """Masks of a faceset without masks: the whole crop is the head."""

    def __init__(self, n: int, size: int):
        self.n, self.size = n, size

    def __len__(self) -> int:
        return self.n

    def take(self, index: np.ndarray) -> np.ndarray:
        return np.ones((len(np.asarray(index).reshape(-1)), self.size, self.size), np.float32)


@dataclass
class IdentityCrops:
    """One identity's material: crops, masks, poses (N, 3: yaw, pitch, roll in degrees) and crop ids; `origins`
    says where each crop was cut (source name, clip frame), None for a crop that does not say."""
    crops: Crops
    masks: Crops
    poses: np.ndarray
    ids: list[str]
    origins: list[tuple[str, int] | None] | None = None

    def __post_init__(self) -> None:
        self.poses = np.asarray(self.poses, np.float32).reshape(-1, 3)
        n = len(self.ids)
        if self.origins is None:
            self.origins = [None] * n
        if len(self.origins) != n:
            raise InputError(f"identity material is inconsistent: {len(self.origins)} origins for {n} crops")
        if not (len(self.crops) == len(self.masks) == len(self.poses) == n):
            raise InputError(f"identity material is inconsistent: {len(self.crops)} crops, {len(self.masks)} masks, "
                             f"{len(self.poses)} poses, {n} ids")

    def __len__(self) -> int:
        return len(self.ids)


@dataclass
class CgPairs:
    """The cg model's pairs: a CG pass crop and the actor crop in the same pose, with the actor's mask."""
    cg: Crops
    actor: Crops
    masks: Crops
    poses: np.ndarray
    passes: list[str]
    ids: list[str]

    def __post_init__(self) -> None:
        self.poses = np.asarray(self.poses, np.float32).reshape(-1, 3)
        n = len(self.ids)
        if not (len(self.cg) == len(self.actor) == len(self.masks) == len(self.poses) == len(self.passes) == n):
            raise InputError("cg pairs are inconsistent: every pair needs a CG crop, an actor crop, a mask, "
                             "a pose and a pass name")

    def __len__(self) -> int:
        return len(self.ids)


@dataclass
class TrainingSet:
    """Everything one training stage reads: material per role ("dancer", "actor"), optional CG pairs.

    `manifest_hash` identifies the facesets it came from; checkpoints keep it so a resumed or converted model
    can tell when its training material has changed.
    """
    size: int
    identities: dict[str, IdentityCrops]
    cg_pairs: CgPairs | None = None
    manifest_hash: str = ""
    sources: dict[str, str] = field(default_factory=dict)
    radius: float = DEFAULT_RADIUS  # metres around the skull centre spanning half a crop (where the mouth lies)

    def __post_init__(self) -> None:
        for role, material in self.identities.items():
            if len(material) == 0:
                where = self.sources.get(role, role)
                raise InputError(f"{where}: the {role} material has no crops; add crops to the faceset")
        if self.cg_pairs is not None and len(self.cg_pairs) == 0:
            raise InputError("the cg pairs are empty: render CG passes in the actor's poses (faceset source 'cg')")


@dataclass(frozen=True)
class Faceset:
    """A faceset folder as read: identity, crop size, photographic material and CG pairs, manifest hash."""
    path: Path
    identity: str
    size: int
    material: IdentityCrops
    cg_pairs: CgPairs | None
    manifest_hash: str
    radius: float = DEFAULT_RADIUS


def _resolve(folder: Path, manifest: Path, entry: dict[str, Any], key: str, n: int) -> Path:
    rel = entry.get(key)
    if not isinstance(rel, str) or not rel:
        raise InputError(f"{manifest}: crop {n} has no {key!r} path; every crop needs an image")
    path = (folder / rel).resolve()
    if not path.is_file():
        raise InputError(f"{manifest}: crop {entry.get('id', n)!r} lists {rel}, which does not exist; "
                         "rebuild the faceset or remove the crop")
    return path


def _pose(manifest: Path, entry: dict[str, Any], n: int) -> list[float]:
    try:
        return [float(entry[k]) for k in ("yaw", "pitch", "roll")]
    except (KeyError, TypeError, ValueError):
        raise InputError(f"{manifest}: crop {entry.get('id', n)!r} needs numeric yaw, pitch and roll") from None


def _origin(entry: dict[str, Any]) -> tuple[str, int] | None:
    """(source name, clip frame) of a crop entry, when it says."""
    name, frame = entry.get("source_name"), entry.get("frame")
    if isinstance(name, str) and isinstance(frame, int) and not isinstance(frame, bool):
        return name, frame
    return None


def load_faceset(folder: str | os.PathLike) -> Faceset:
    """Read a faceset folder (its `faceset.json`); images are loaded lazily when training asks for them."""
    data = read_faceset(folder)
    folder = Path(data["folder"])
    manifest = FACESET.path(folder)
    size, identity, entries = data.get("size"), data.get("identity"), data["crops"]
    if not isinstance(size, int) or size <= 0 or not isinstance(identity, str):
        raise InputError(f"{manifest}: a faceset needs 'identity' (text), 'size' (pixels) and 'crops' (a list)")
    photos: list[dict[str, Any]] = []
    cg: list[dict[str, Any]] = []
    seen: set[str] = set()
    for n, entry in enumerate(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            raise InputError(f"{manifest}: crop {n} needs an 'id' (text)")
        if entry["id"] in seen:
            raise InputError(f"{manifest}: crop id {entry['id']!r} appears twice; ids must be unique")
        seen.add(entry["id"])
        (cg if entry.get("source") == CG_SOURCE else photos).append(entry)
    images = [_resolve(folder, manifest, e, "image", n) for n, e in enumerate(photos)]
    mask_paths = [_resolve(folder, manifest, e, "mask", n) if e["mask"] is not None else None
                  for n, e in enumerate(photos)]
    if any(m is None for m in mask_paths) and any(m is not None for m in mask_paths):
        raise InputError(f"{manifest}: some crops have a mask and some do not; give every crop a mask or none")
    masks: Crops = (FullMasks(len(photos), size) if not photos or mask_paths[0] is None
                    else PngCrops([m for m in mask_paths if m is not None], size=size, grey=True))
    material = IdentityCrops(crops=PngCrops(images, size=size, grey=False), masks=masks,
                             poses=np.array([_pose(manifest, e, n) for n, e in enumerate(photos)], np.float32),
                             ids=[e["id"] for e in photos], origins=[_origin(e) for e in photos])
    pairs = _cg_pairs(folder, manifest, cg, material, size) if cg else None
    digest = hashlib.sha256(manifest.read_bytes()).hexdigest()
    radius = data["radius"]
    if isinstance(radius, bool) or not isinstance(radius, (int, float)) or not radius > 0:
        raise InputError(f"{manifest}: 'radius' must be a positive distance (metres), got {radius!r}")
    return Faceset(path=folder, identity=identity, size=size, material=material, cg_pairs=pairs, manifest_hash=digest,
                   radius=float(radius))


def _cg_pairs(folder: Path, manifest: Path, entries: list[dict[str, Any]], material: IdentityCrops,
              size: int) -> CgPairs:
    row = {crop_id: i for i, crop_id in enumerate(material.ids)}
    partner = []
    for n, e in enumerate(entries):
        if e.get("pair_of") not in row:
            raise InputError(f"{manifest}: CG crop {e['id']!r} pairs with {e.get('pair_of')!r}, which is not a "
                             "photographic crop of this faceset; set 'pair_of' to the id of the actor crop "
                             "in that pose")
        partner.append(row[e["pair_of"]])
    index = np.array(partner)
    return CgPairs(cg=PngCrops([_resolve(folder, manifest, e, "image", n) for n, e in enumerate(entries)],
                               size=size, grey=False),
                   actor=_Subset(material.crops, index), masks=_Subset(material.masks, index),
                   poses=material.poses[index], passes=[str(e.get("pass", "")) for e in entries],
                   ids=[e["id"] for e in entries])


class _Subset:
    """Rows `index` of other crops, without copying them."""

    def __init__(self, crops: Crops, index: np.ndarray):
        self.crops, self.index = crops, index

    def __len__(self) -> int:
        return len(self.index)

    def take(self, index: np.ndarray) -> np.ndarray:
        return self.crops.take(self.index[np.asarray(index)])


def training_set(facesets: Mapping[str, str | os.PathLike | Faceset]) -> TrainingSet:
    """Put facesets together by role, e.g. `{"dancer": "facesets/dancer", "actor": "shots/010/fit"}`.

    The actor's CG pairs, if any, become the training set's `cg_pairs`. All facesets must share one crop size.
    """
    loaded = {role: fs if isinstance(fs, Faceset) else load_faceset(fs) for role, fs in facesets.items()}
    sizes = {fs.size for fs in loaded.values()}
    if len(sizes) != 1:
        listing = ", ".join(f"{role} {fs.size}" for role, fs in sorted(loaded.items()))
        raise InputError(f"facesets have different crop sizes ({listing}); build them at one size")
    radii = {fs.radius for fs in loaded.values()}
    if len(radii) != 1:
        listing = ", ".join(f"{role} {fs.radius}" for role, fs in sorted(loaded.items()))
        raise InputError(f"facesets frame the head differently (radius {listing}); build them with one radius")
    pairs = loaded["actor"].cg_pairs if "actor" in loaded else None
    digest = hashlib.sha256("".join(f"{role}:{fs.manifest_hash};" for role, fs in sorted(loaded.items()))
                            .encode()).hexdigest()
    return TrainingSet(size=sizes.pop(), identities={role: fs.material for role, fs in loaded.items()},
                       cg_pairs=pairs, manifest_hash=digest,
                       sources={role: str(fs.path) for role, fs in loaded.items()}, radius=radii.pop())
