"""[dataset] and [fit] in shot.toml: how the facesets are cut and pruned, and how a shot's fit set is picked."""
from __future__ import annotations

import dataclasses
from typing import Any

from pipeline.stabilize.crop import check_size


FACE_READINGS = ("face_mesh", "regions")


@dataclasses.dataclass(frozen=True)
class TagRange:
    """User performance tags for frames first..last of one source ([[dataset.tags]])."""

    source: str  # a [[sources]] name
    first: int  # first frame of the range (the source's frame numbers)
    last: int  # last frame, included
    tags: list[str] = dataclasses.field(default_factory=list)  # tags the range's crops get


@dataclasses.dataclass(frozen=True)
class DatasetConfig:
    """[dataset] in shot.toml."""

    size: int = 256  # crop side in pixels
    radius: float = 0.16  # scene units around the skull centre spanning half the crop (as stabilize)
    duplicate_pose_deg: float = 1.0  # a crop this close in pose to the last one kept ...
    duplicate_difference: float = 0.01  # ... and this close in image (mean grey difference, 0..1) is dropped
    landmarks: bool = True  # refine the mouth and eye regions with the MediaPipe face mesh
    # how mouth, teeth and eyes are read where the face mesh finds the face: "face_mesh" from its refined lips and
    # eyelids (real faces); "regions" from the pose's mouth and eye regions, as where it finds none (the
    # procedural heads of synthetic shots, which the mesh, trained on real faces, misreads)
    face_reading: str = "face_mesh"
    cg_passes: list[str] = dataclasses.field(default_factory=lambda: ["beauty"])  # CG passes kept as crops
    tags: list[TagRange] = dataclasses.field(default_factory=list)  # [[dataset.tags]]: tags on frame ranges
    # crops to drop, e.g. [{drop = "mouth_open > 0.5", name = "no open mouth"}] (pipeline.dataset.rules)
    rules: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    coverage_deg: float = 15.0  # plate frames farther than this from every training pose are predicted to fail
    mask_mesh: str = ""  # OBJ of the head (head-local, metres) the masks are cut from, relative to the shot; "" = proxy
    mask_softness: float = 1.0  # Gaussian softness of the masks' edge, crop pixels
    # fit the mask's proxy to the face seen (size, jaw) and join it with MediaPipe's selfie segmentation of the crop,
    # so hair and a dropped jaw are in the mask and the background is not (pipeline.dataset.masks); false: the
    # proxy's outline alone (the synthetic shots, whose CG heads the proxy matches)
    mask_person: bool = True

    def __post_init__(self) -> None:
        check_size(self.size)
        if self.face_reading not in FACE_READINGS:
            raise ValueError(f"face_reading {self.face_reading!r} is not one of {', '.join(FACE_READINGS)}")
        if not (self.radius > 0 and self.duplicate_pose_deg >= 0 and self.duplicate_difference >= 0
                and self.coverage_deg > 0 and self.mask_softness >= 0):
            raise ValueError("radius and coverage_deg must be positive, the duplicate thresholds and mask_softness "
                             "0 or more")


@dataclasses.dataclass(frozen=True)
class FitConfig:
    """[fit] in shot.toml."""

    size: int = 200  # crops in the fit set
    neighbours: int = 24  # nearest crops considered per plate frame
    max_distance_deg: float = 25.0  # farther crops are not candidates
    bin_deg: float = 15.0  # plate pose bins sharing the budget equally
    prefer_walkthrough_deg: float = 10.0  # other material ranks as if this much farther than the walkthrough
    light_weight_deg: float = 0.0  # degrees of pose a full difference in lighting is worth (0: pose only)

    def __post_init__(self) -> None:
        if self.size < 1 or self.neighbours < 1:
            raise ValueError("size and neighbours must be at least 1")
        if not (self.max_distance_deg > 0 and self.bin_deg > 0 and self.prefer_walkthrough_deg >= 0
                and self.light_weight_deg >= 0):
            raise ValueError("max_distance_deg and bin_deg must be positive, the weights 0 or more")
