"""What conversion runs on each batch of crops: a trained swap model behind a small numpy interface.

A `Swapper` takes crops (B, S, S, 3) in 0..1, and the plate frame of each, and returns the swapped colour
(B, S, S, 3) and mask (B, S, S); `record` says how it was made (model, checkpoint, faceset hash, performance,
performance sync) for the variant's manifest. A swapper that snaps to the actor's fit-set latents also says,
per crop, which actor frame it took (`swap_batch`): what a supervisor checks when a rigid frame shows the
wrong expression.
"""
from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from pipeline.convert.converted import ActorFrame
from pipeline.errors import InputError

if TYPE_CHECKING:
    from pipeline.shot import SourceSync

log = logging.getLogger(__name__)


class Swapper(Protocol):
    """`source_identity` names the plate's person when the swapper can also `reconstruct` crops as that person
    (None when it cannot); only the reconstruction colour match asks for it."""

    size: int
    record: dict[str, Any]
    source_identity: str | None

    def __call__(self, crops: np.ndarray, frames: Sequence[int] | None = None) -> tuple[np.ndarray, np.ndarray]: ...

    def reconstruct(self, crops: np.ndarray) -> np.ndarray: ...


@dataclasses.dataclass(frozen=True)
class Swapped:
    """One batch through a swapper: colour (B, S, S, 3), mask (B, S, S) and, for a model that snapped, the actor
    frame of each crop (None for a swapper that does not snap: loose, cg, performance 1)."""

    rgb: np.ndarray
    mask: np.ndarray
    actor_frames: list[ActorFrame] | None


def swap_batch(swapper: Swapper, crops: np.ndarray, frames: Sequence[int] | None = None,
               poses: np.ndarray | None = None) -> Swapped:
    """`swapper` on a batch, with the actor frames it snapped to when it can say (a `swap` method, as
    `TrainedSwapper` has), else None. `poses` (B, 3) yaw, pitch, roll of each crop keep a snapping model within
    its snap limit."""
    swap = getattr(swapper, "swap", None)
    if swap is not None:
        return swap(crops, frames, poses=poses)
    rgb, mask = swapper(crops, frames)
    return Swapped(rgb=rgb, mask=mask, actor_frames=None)


class TrainedSwapper:
    """A trained checkpoint converting crops into the actor (batched, no gradients, CUDA when present).

    `syncs` are the shot's synced sources by name: with them, a snapping model takes each plate frame's actor
    latent from the walkthrough frames within `sync_window` plate frames of it (pipeline.convert.sync)."""

    def __init__(self, checkpoint: str | os.PathLike, *, performance: float | None = None, device: str = "auto",
                 syncs: Mapping[str, SourceSync] | None = None, sync_window: float = 0.0):
        from pipeline.convert.sync import PerformanceSync
        from pipeline.train.checkpoint import load_trained
        from pipeline.train.stage import pick_device

        self.device = pick_device(device)
        self.trained = load_trained(checkpoint, device=self.device)
        self.size = self.trained.model.size
        self.performance = performance
        self.target = "actor"
        used = self.trained.model.default_performance if performance is None else performance
        bank = self.trained.bank
        self.sync = (PerformanceSync.of(bank.origins, syncs or {}, sync_window)
                     if bank is not None and used < 1.0 else None)
        self.bank_poses: np.ndarray | None = None  # (N, 3) pose of each bank latent (NaN: unknown), see limit_snaps
        self.snap_limit_deg = 180.0
        # the person in the plate, whose own decoder rebuilds the crop (the reconstruction colour match's reference)
        self.source_identity = "dancer" if "dancer" in self.trained.model.identities else None
        self.record = {"model": self.trained.model.name, "checkpoint": os.fspath(Path(checkpoint).resolve()),
                       "stage": self.trained.stage, "step": self.trained.step,
                       "faceset_hash": self.trained.manifest_hash, "model_spec": self.trained.model.spec,
                       "performance": used,
                       "performance_sync": None if self.sync is None else {
                           "window_frames": self.sync.window, "synced_latents": self.sync.synced,
                           "latents": len(bank), "sources": sorted({o[0] for o in bank.origins
                                                                    if o is not None and o[0] in (syncs or {})})},
                       "facesets": self._facesets(checkpoint), "device": str(self.device)}
        log.info("convert: %s model %s at step %d on %s", self.trained.model.name, checkpoint, self.trained.step,
                 self.device)

    @staticmethod
    def _facesets(checkpoint: str | os.PathLike) -> dict[str, str]:
        """The faceset folders the model was trained on, by role (from the checkpoint's JSON summary)."""
        from pipeline.train.checkpoint import read_checkpoint_info

        folder = Path(checkpoint) if Path(checkpoint).is_dir() else Path(checkpoint).parent
        try:
            return dict(read_checkpoint_info(folder).get("facesets") or {})
        except InputError:
            return {}

    def limit_snaps(self, poses_by_id: Mapping[str, Sequence[float]], limit_deg: float) -> None:
        """Never snap a crop to an actor latent whose pose (by bank id: the faceset crop it was encoded from) lies
        farther than `limit_deg` from the crop's: the actor's frontal face on a profile is what coverage forbids.
        Where no latent is that near, the model snaps as before (and the frame is uncovered anyway)."""
        bank = self.trained.bank
        if bank is None:
            return
        self.bank_poses = np.array([poses_by_id.get(i, (np.nan,) * 3) for i in bank.ids], np.float64).reshape(-1, 3)
        self.snap_limit_deg = float(limit_deg)

    def __call__(self, crops: np.ndarray, frames: Sequence[int] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Swap `crops`; `frames` (one plate frame per crop) lets a synced model take the actor's moment."""
        out = self.swap(crops, frames)
        return out.rgb, out.mask

    def swap(self, crops: np.ndarray, frames: Sequence[int] | None = None,
             poses: np.ndarray | None = None) -> Swapped:
        """Swap `crops` as `__call__` does, and say which actor frame each crop snapped to (if it snapped)."""
        import torch

        from pipeline.convert.qc import pose_angles

        if frames is not None and len(frames) != len(crops):
            raise ValueError(f"{len(frames)} frames for {len(crops)} crops")
        synced = allowed = None
        if self.sync is not None and frames is not None:
            synced = allowed = self.sync.allowed(frames)
        if self.bank_poses is not None and poses is not None:
            with np.errstate(invalid="ignore"):
                near = pose_angles(poses, np.nan_to_num(self.bank_poses)) <= self.snap_limit_deg
            near &= np.isfinite(self.bank_poses).all(axis=1)[None, :]
            # the synced latents within the limit; where none is, the nearest in pose within it
            allowed = near if synced is None else np.where((synced & near).any(1, keepdims=True), synced & near, near)
        with torch.no_grad():
            x = torch.from_numpy(np.ascontiguousarray(crops[..., :3].transpose(0, 3, 1, 2), np.float32))
            out = self.trained.model.swap(x.to(self.device), to=self.target, bank=self.trained.bank,
                                          performance=self.performance,
                                          allowed=None if allowed is None else torch.from_numpy(allowed))
            rgb = out.rgb.float().permute(0, 2, 3, 1).cpu().numpy()
            mask = out.mask.float()[:, 0].cpu().numpy()
        actor_frames = None
        if out.nearest is not None:
            bank = self.trained.bank
            actor_frames = []
            for item, index in enumerate(out.nearest.cpu().tolist()):
                origin = bank.origins[index]
                snapped_from = ("fit_set" if synced is None else "sync_window" if (synced[item] & allowed[item]).any()
                                else "fallback")
                actor_frames.append(ActorFrame(bank_id=bank.ids[index], source=None if origin is None else origin[0],
                                               clip_frame=None if origin is None else origin[1],
                                               snapped_from=snapped_from))
        return Swapped(rgb=rgb, mask=mask, actor_frames=actor_frames)

    def reconstruct(self, crops: np.ndarray) -> np.ndarray:
        """The crops rebuilt as the plate's own person (B, S, S, 3): what the model makes of the plate's light."""
        import torch

        if self.source_identity is None:
            raise InputError(f"model {self.trained.model.name!r} has no decoder for the plate's person, so it cannot "
                             "rebuild the plate for the reconstruction colour match; use colour_match = \"none\"")
        with torch.no_grad():
            x = torch.from_numpy(np.ascontiguousarray(crops[..., :3].transpose(0, 3, 1, 2), np.float32))
            rgb, _ = self.trained.model(x.to(self.device), self.source_identity)
        return rgb.float().permute(0, 2, 3, 1).cpu().numpy()
