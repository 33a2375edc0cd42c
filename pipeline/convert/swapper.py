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
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from pipeline.convert.converted import ActorFrame
from pipeline.errors import InputError

if TYPE_CHECKING:
    import torch

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
               poses: np.ndarray | None = None, snap_to: Sequence[int | None] | None = None,
               mouths: np.ndarray | None = None) -> Swapped:
    """`swapper` on a batch, with the actor frames it snapped to when it can say (a `swap` method, as
    `TrainedSwapper` has), else None. `poses` (B, 3) yaw, pitch, roll of each crop keep a snapping model within
    its snap limit, `mouths` (B, 2) the plate's mouth (PlateMouths) within its mouth tolerance; `snap_to`, the
    actor latent chosen per crop over its neighbouring frames (None: its own)."""
    swap = getattr(swapper, "swap", None)
    if swap is not None:
        extra = {k: v for k, v in (("snap_to", snap_to), ("mouths", mouths)) if v is not None}
        return swap(crops, frames, poses=poses, **extra)
    rgb, mask = swapper(crops, frames)
    return Swapped(rgb=rgb, mask=mask, actor_frames=None)


def crop_device(swapper: Swapper) -> torch.device | None:
    """The GPU a swapper runs on, where conversion cuts its crops too; None on the CPU (OpenCV's warp there)."""
    device = getattr(swapper, "device", None)
    return device if device is not None and getattr(device, "type", None) == "cuda" else None


def crop_sources(sources: Sequence[tuple[np.ndarray, np.ndarray]], size: int, device: torch.device) -> np.ndarray:
    """The `size`² crops (N, S, S, 3) of (image (H, W, 3), plate -> crop transform) pairs, cut in one batch on
    `device` (pipeline.convert.batched.crop_batch: what the per-frame OpenCV warp gives, to interpolation
    rounding)."""
    import torch

    from pipeline.convert.batched import crop_batch

    images = torch.from_numpy(np.stack([np.asarray(im[..., :3], np.float32) for im, _ in sources]))
    transforms = torch.from_numpy(np.stack([np.asarray(t, np.float64) for _, t in sources])).float()
    crops = crop_batch(images.to(device).permute(0, 3, 1, 2), transforms.to(device), size)
    return crops.permute(0, 2, 3, 1).cpu().numpy()


class TrainedSwapper:
    """A trained checkpoint converting crops into the actor (batched, no gradients, CUDA when present).

    `syncs` are the shot's synced sources by name: with them, a snapping model takes each plate frame's actor
    latent from the walkthrough frames within `sync_window` plate frames of it (pipeline.convert.sync)."""

    def __init__(self, checkpoint: str | os.PathLike, *, performance: float | None = None, device: str = "auto",
                 syncs: Mapping[str, SourceSync] | None = None, sync_window: float = 0.0):
        import torch

        from pipeline.convert.sync import PerformanceSync
        from pipeline.train.checkpoint import load_trained
        from pipeline.train.stage import pick_device

        self.device = pick_device(device)
        self.trained = load_trained(checkpoint, device=self.device)
        if self.device.type == "cuda":
            self.trained.model.to(memory_format=torch.channels_last)
        self.size = self.trained.model.size
        self.performance = performance
        self.target = "actor"
        used = self.trained.model.default_performance if performance is None else performance
        bank = self.trained.bank
        self.sync = (PerformanceSync.of(bank.origins, syncs or {}, sync_window)
                     if bank is not None and used < 1.0 else None)
        self.bank_poses: np.ndarray | None = None  # (N, 3) pose of each bank latent (NaN: unknown), see limit_snaps
        self.snap_limit_deg = 180.0
        self.bank_mouths: np.ndarray | None = None  # (N, 2) mouth per bank latent (NaN: unknown), see match_mouths
        self.mouth_tolerance, self.mouth_reach_deg = math.inf, 0.0
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

    def match_mouths(self, mouths_by_id: Mapping[str, Sequence[float | None]], tolerance: float, *,
                     reach_deg: float = 0.0) -> None:
        """Snap a crop to an actor latent whose mouth (by bank id: mouth_open and mouth_inside of
        pipeline.dataset.descriptors, the larger difference counts) is within `tolerance` of the plate's
        (pipeline.convert.snaps.PlateMouths), within the snap limit (`limit_snaps`); where none there is, to one up to
        `reach_deg` past the limit; where none is either, to those within the limit whose mouths are nearest
        (within `tolerance` of the nearest). On the real talking clip the latent nearest the plate's calm talk was
        the actor's scream on 97 of 139 frames: the actor frames within the limit were two screams (his frontal
        camera 28-29° below the plate's level face), his calm ones 30-32° below. A latent or a crop whose mouth is
        not known is not held back."""
        bank = self.trained.bank
        if bank is None:
            return
        self.bank_mouths = np.array([[np.nan if v is None else float(v) for v in mouths_by_id.get(i, (None, None))]
                                     for i in bank.ids], np.float64).reshape(-1, 2)
        self.mouth_tolerance, self.mouth_reach_deg = float(tolerance), float(reach_deg)

    @property
    def matches_mouths(self) -> bool:
        """Whether the snaps are held to the plate's mouth (`match_mouths`, some latent's mouth known): conversion
        then measures it."""
        return (self.snaps and self.bank_mouths is not None and bool(np.isfinite(self.bank_mouths).any())
                and math.isfinite(self.mouth_tolerance))

    def __call__(self, crops: np.ndarray, frames: Sequence[int] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Swap `crops`; `frames` (one plate frame per crop) lets a synced model take the actor's moment."""
        out = self.swap(crops, frames)
        return out.rgb, out.mask

    @property
    def snaps(self) -> bool:
        """Whether the model snaps to the actor's fit-set latents (rigid, or any performance below 1)."""
        used = self.trained.model.default_performance if self.performance is None else self.performance
        return self.trained.bank is not None and used < 1.0

    def swap(self, crops: np.ndarray, frames: Sequence[int] | None = None, poses: np.ndarray | None = None,
             snap_to: Sequence[int | None] | None = None, mouths: np.ndarray | None = None) -> Swapped:
        """Swap `crops` as `__call__` does, and say which actor frame each crop snapped to (if it snapped)."""
        rgb, mask, actor_frames = self.swap_tensor(self._tensor(crops), frames, poses, snap_to, mouths)
        return Swapped(rgb=rgb.float().permute(0, 2, 3, 1).cpu().numpy(), mask=mask.float()[:, 0].cpu().numpy(),
                       actor_frames=actor_frames)

    def _tensor(self, crops: np.ndarray) -> torch.Tensor:
        import torch

        x = torch.from_numpy(np.ascontiguousarray(crops[..., :3].transpose(0, 3, 1, 2), np.float32)).to(self.device)
        return x.contiguous(memory_format=torch.channels_last) if self.device.type == "cuda" else x

    def _allowed(self, frames: Sequence[int] | None, poses: np.ndarray | None, mouths: np.ndarray | None = None,
                 *, poses_only: bool = False) -> tuple[np.ndarray | None, np.ndarray | None]:
        """(synced, allowed), (B, N) bool each or None: the bank latents of each crop's synced moment, and those it
        may snap to (the synced ones within the snap limit; where none is, any within it whose mouth matches the
        crop's, `match_mouths`). `poses_only`: every latent whose pose the crop may take, the mouth aside (within
        the limit, and the reach past it where no latent within has the crop's mouth)."""
        from pipeline.convert.qc import pose_angles

        synced = allowed = None
        if self.sync is not None and frames is not None:
            synced = allowed = self.sync.allowed(frames)
        angles = None  # (B, N) degrees from each crop's pose to each latent's (inf: the latent's is unknown)
        if self.bank_poses is not None and poses is not None:
            with np.errstate(invalid="ignore"):
                angles = pose_angles(poses, np.nan_to_num(self.bank_poses))
            angles = np.where(np.isfinite(self.bank_poses).all(axis=1)[None, :], angles, np.inf)
        posed = None if angles is None else angles <= self.snap_limit_deg
        near = posed
        if self.matches_mouths and mouths is not None:
            near = self._mouth_match(np.asarray(mouths, np.float64), angles, poses_only=poses_only)
        if near is not None:
            moment = None if synced is None else synced if posed is None else synced & posed
            allowed = near if moment is None else np.where(moment.any(1, keepdims=True), moment, near)
        return synced, allowed

    def _mouth_match(self, mouths: np.ndarray, angles: np.ndarray | None, *, poses_only: bool = False
                     ) -> np.ndarray:
        """(B, N) bool: the latents each crop of plate mouth `mouths` (B, 2) may snap to (`match_mouths`), from their
        pose `angles` (B, N) to it (None: no pose limit); `poses_only`: those whose pose it may take."""
        shape = (len(mouths), len(self.bank_mouths))
        within = np.ones(shape, bool) if angles is None else angles <= self.snap_limit_deg
        reach = within if angles is None else angles <= self.snap_limit_deg + self.mouth_reach_deg
        apart = np.abs(mouths[:, None, :] - self.bank_mouths[None, :, :])
        gap = np.fmax(apart[..., 0], apart[..., 1])  # NaN where neither measure is known on both
        with np.errstate(invalid="ignore"):
            matching = ~(gap > self.mouth_tolerance)  # a mouth not known (NaN) holds nothing back
            best = np.where(within & np.isfinite(gap), gap, np.inf).min(axis=1, keepdims=True)
            nearest = within & ~(gap > best + self.mouth_tolerance)
        first, second = within & matching, reach & matching
        if poses_only:
            return np.where(first.any(1, keepdims=True) | ~second.any(1, keepdims=True), within, reach)
        return np.where(first.any(1, keepdims=True), first, np.where(second.any(1, keepdims=True), second, nearest))

    def snap_distances(self, crops: np.ndarray, frames: Sequence[int], poses: np.ndarray | None = None,
                       mouths: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """For crops (B, S, S, 3) of plate `frames`: (B, N) latent distance to each actor latent of the bank
        (infinite where the crop may not snap to it: beyond the pose limit, or the reach past it where the mouth
        match reaches that far, `match_mouths`) and (B,) whether the crop has a synced moment to snap to (its
        choice is then that moment's, not one made over neighbouring frames). Which mouths match is
        `mouth_matches`: chosen over neighbouring frames, their majority decides (pipeline.convert.snaps)."""
        import torch

        synced, allowed = self._allowed(frames, poses, mouths, poses_only=True)
        with torch.no_grad(), torch.autocast(self.device.type, dtype=torch.bfloat16,
                                             enabled=self.device.type == "cuda"):
            z = self.trained.model.encode(self._tensor(crops))
            distance = self.trained.bank.distances(z.float(), None if allowed is None else torch.from_numpy(allowed))
        has_moment = np.zeros(len(crops), bool) if synced is None else (synced & allowed).any(axis=1)
        return distance.double().cpu().numpy(), has_moment

    def mouth_matches(self, frames: Sequence[int], poses: np.ndarray | None, mouths: np.ndarray | None
                      ) -> np.ndarray | None:
        """(B, N) bool: the latents each crop may snap to with its mouth (`match_mouths`), None where the model does
        not match mouths or the crops' are not given."""
        if not self.matches_mouths or mouths is None:
            return None
        return self._allowed(frames, poses, mouths)[1]

    def swap_tensor(self, x: torch.Tensor, frames: Sequence[int] | None = None, poses: np.ndarray | None = None,
                    snap_to: Sequence[int | None] | None = None, mouths: np.ndarray | None = None
                    ) -> tuple[torch.Tensor, torch.Tensor, list[ActorFrame] | None]:
        """The swap of crops (B, 3, S, S) already on the model's device: colour (B, 3, S, S), mask (B, 1, S, S),
        both left there (conversion batched on the GPU, pipeline.convert.batched), and the actor frames. `poses`
        (B, 3), the crops' head poses, keep a snapping model within `limit_snaps`' limit; `snap_to` names, per
        crop, the bank latent chosen for it over its neighbouring frames (pipeline.convert.snaps), None where the
        crop takes its own nearest; `mouths` (B, 2), the plate's mouth per crop, keep it to `match_mouths`."""
        import torch

        if frames is not None and len(frames) != len(x):
            raise ValueError(f"{len(frames)} frames for {len(x)} crops")
        synced, allowed = self._allowed(frames, poses, mouths)
        on_gpu = self.device.type == "cuda"  # bf16 and channels-last there, as training ran; float32 on the CPU
        if on_gpu:
            x = x.contiguous(memory_format=torch.channels_last)
        chosen = None if snap_to is None else torch.tensor([-1 if i is None else int(i) for i in snap_to])
        with torch.no_grad(), torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=on_gpu):
            out = self.trained.model.swap(x, to=self.target, bank=self.trained.bank, performance=self.performance,
                                          allowed=None if allowed is None else torch.from_numpy(allowed),
                                          snap_to=chosen)
        actor_frames = None
        if out.nearest is not None:
            bank = self.trained.bank
            actor_frames = []
            taken = out.nearest.cpu().tolist()
            past = self._past_limit(poses, taken)
            for item, index in enumerate(taken):
                origin = bank.origins[index]
                snapped_from = ("fit_set" if synced is None else "sync_window" if (synced[item] & allowed[item]).any()
                                else "fallback")
                actor_frames.append(ActorFrame(bank_id=bank.ids[index], source=None if origin is None else origin[0],
                                               clip_frame=None if origin is None else origin[1],
                                               snapped_from=snapped_from, past_limit_deg=past[item]))
        return out.rgb, out.mask, actor_frames

    def _past_limit(self, poses: np.ndarray | None, taken: list[int]) -> list[float | None]:
        """Per crop, the degrees past the snap limit the pose of the latent it took lies (`match_mouths` reaches
        that far for the plate's mouth), None within the limit or where a pose is not known."""
        from pipeline.convert.qc import pose_angles

        if self.bank_poses is None or poses is None:
            return [None] * len(taken)
        out: list[float | None] = []
        for pose, index in zip(np.asarray(poses, np.float64).reshape(-1, 3), taken):
            latent = self.bank_poses[index]
            angle = float(pose_angles(pose, latent)[0, 0]) if np.isfinite(latent).all() else 0.0
            out.append(round(angle - self.snap_limit_deg, 2) if angle > self.snap_limit_deg else None)
        return out

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
