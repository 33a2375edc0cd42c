"""`dataset build`: a faceset of one identity from the shot's sources, added to incrementally.

Each source (rig, walkthroughs from several cameras, CG passes, the plate for the dancer) is cut into
pose-consistent crops from its head track (the stabilize stage's framing), given a head mask from the
pose and the head proxy (pipeline.dataset.masks), measured (descriptors) and thinned of near-duplicates (a tiny pose change and a tiny image difference from the last crop kept).
A source already in the faceset with the same signature (clip files, track, camera, settings) is kept
as it is, so adding a source never redoes the others. Nothing is visible until everything succeeded:
new crops go into fresh folders, the manifest is replaced last, and a failure removes what it wrote.
"""
from __future__ import annotations

import dataclasses
import glob
import hashlib
import json
import logging
import os
import re
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from pipeline.atomic import atomic_dir
from pipeline.config import config_to_dict
from pipeline.dataset.config import DatasetConfig
from pipeline.dataset.descriptors import (CropGeometry, crop_landmarks, face_direction, measure_crop, rebase_eyes,
                                          wrap_degrees)
from pipeline.dataset.faceset import CG_SOURCE, FACESET, read_faceset, write_faceset
from pipeline.dataset.masks import MASK_VERSION, PROXY, head_mask, proxy_vertices
from pipeline.errors import InputError, MediaError
from pipeline.geometry import project
from pipeline.progress import ProgressCallback, progress_bar
from pipeline.shot import IDENTITIES, Shot, frame_path
from pipeline.stabilize.crop import UnframeableError, crop_transform, stabilize_frame
from pipeline.stabilize.config import StabilizeConfig
from pipeline.stabilize.stage import open_framing

logger = logging.getLogger(__name__)

DESCRIPTOR_VERSION = 3  # bump when descriptors change meaning: every source's signature changes with it
# (2: mouth, teeth and eyes read from the refined face mesh where it finds the face; 3: mouth_open also from the
# mouth's dark inside)


@dataclasses.dataclass(frozen=True)
class BuildInputs:
    shot: Shot
    out_dir: Path
    identity: str = "actor"
    sources: tuple[str, ...] = ()  # only these (default: every source of the identity, plus CG for the actor)
    rebuild: bool = False  # redo the sources (all, or those named) even when unchanged


@dataclasses.dataclass(frozen=True)
class BuildOutputs:
    manifest: Path
    added: tuple[str, ...]  # sources (re)built this run
    kept: tuple[str, ...]  # sources reused as they were
    crops: int


@dataclasses.dataclass(frozen=True)
class _Job:
    """One source to cut: its clip, track, camera, kind, tags; CG jobs name the pass and track the plate."""

    name: str
    kind: str
    camera: str
    clip: Path
    track: Path
    tags: tuple[str, ...]
    cg_pass: str | None = None


def _jobs(shot: Shot, identity: str, config: DatasetConfig) -> list[_Job]:
    jobs = [_Job(s.name, s.kind, s.camera, s.clip, s.track, s.tags) for s in shot.sources_of(identity=identity)]
    if identity == "actor" and shot.cg_passes is not None:
        jobs += [_Job(f"cg_{p}", CG_SOURCE, "main", shot.cg_passes, shot.head_track, ("cg",), cg_pass=p)
                 for p in config.cg_passes]
    return jobs


def _files_of(pattern: Path) -> list[Path]:
    """The files of a clip: a sequence's frames (by its printf pattern), or the one video file."""
    if "%" not in pattern.name:
        return [pattern]
    head, _, tail = re.split(r"(%0?\d*d)", pattern.name, maxsplit=1)
    name = re.compile(re.escape(head) + r"\d+" + re.escape(tail) + "$")
    return sorted(Path(p) for p in glob.glob(glob.escape(str(pattern.parent)) + os.sep + "*") if name.match(Path(p).name))


def signature(job: _Job, shot: Shot, config: DatasetConfig) -> str:
    """What a source's crops depend on: its files (name, size, time), track bytes, camera, settings."""
    h = hashlib.sha256()
    for path in _files_of(job.clip):
        st = path.stat()
        h.update(f"{path.name}:{st.st_size}:{st.st_mtime_ns};".encode())
    mesh = _mask_mesh(shot, config)
    for path in (job.track, shot.cameras.get(job.camera, shot.camera), *([Path(mesh)] if mesh else [])):
        h.update(path.read_bytes())
    settings = {k: v for k, v in config_to_dict(config).items() if k not in ("rules", "coverage_deg")}
    method = shot.config.stabilize.method
    if method != "pose":  # (pose-framed facesets keep the signature they had before framing was a choice)
        settings["framing"] = method
    h.update(json.dumps([settings, job.tags, job.cg_pass, job.kind, DESCRIPTOR_VERSION, MASK_VERSION],
                        sort_keys=True).encode())
    return h.hexdigest()[:16]


def _mask_mesh(shot: Shot, config: DatasetConfig) -> str:
    """The absolute path of [dataset] mask_mesh ("" for the built-in proxy head); a missing file is named."""
    if not config.mask_mesh:
        return ""
    path = (shot.root / config.mask_mesh).resolve()
    if not path.is_file():
        raise InputError(f"{shot.root} [dataset] mask_mesh: {path} does not exist; give an OBJ of the head in "
                         "head-local coordinates (metres, skull centre at the origin) or remove the setting")
    return str(path)


def run(config: DatasetConfig, inputs: BuildInputs, *, progress: ProgressCallback | None = None) -> BuildOutputs:
    """Build or extend the faceset of `inputs.identity` in `inputs.out_dir`."""
    shot, out = inputs.shot, Path(inputs.out_dir)
    if inputs.identity not in IDENTITIES:
        raise InputError(f"dataset build: identity {inputs.identity!r} is not one of {', '.join(IDENTITIES)}")
    jobs = _jobs(shot, inputs.identity, config)
    known = {j.name for j in jobs}
    unknown = sorted(set(inputs.sources) - known)
    if unknown:
        raise InputError(f"dataset build: no {inputs.identity} source named {', '.join(unknown)} in {shot.root}; "
                         f"known: {', '.join(sorted(known)) or 'none'}")
    if not jobs:
        raise InputError(f"{shot.root}: the shot has no {inputs.identity} sources; add [[sources]] with "
                         f"identity = \"{inputs.identity}\"")
    previous = read_faceset(out) if FACESET.path(out).is_file() else None
    reframed = previous is not None and (previous.get("size"), previous.get("radius")) != (config.size, config.radius)
    if reframed and not (inputs.rebuild and not inputs.sources):
        raise InputError(f"{out}: this faceset has {previous.get('size')}px crops of radius {previous.get('radius')}, "
                         f"the [dataset] table asks for {config.size}px, radius {config.radius}; build into a new "
                         "folder or pass --rebuild (without --source) to redo every source")
    old_sources = previous["sources"] if previous and not reframed else {}
    wanted = [j for j in jobs if not inputs.sources or j.name in inputs.sources]
    signatures = {j.name: signature(j, shot, config) for j in wanted}
    todo = [j for j in wanted
            if inputs.rebuild or old_sources.get(j.name, {}).get("signature") != signatures[j.name]]
    kept_names = [n for n in old_sources if n not in {j.name for j in todo}]
    entries = [e for e in (previous["crops"] if previous else []) if e.get("source_name") in kept_names]
    sources = {n: old_sources[n] for n in kept_names}

    written: list[Path] = []
    try:
        readers = _Readers.open(config)
        try:
            total = sum(_frame_count(j, shot) for j in todo)
            with progress_bar(total, f"dataset build {inputs.identity}", callback=progress) as bar:
                for job in todo:
                    folder = f"images/{job.name}.{uuid.uuid4().hex[:8]}"
                    with atomic_dir(out / folder) as tmp:
                        new, info = _cut_source(job, shot, config, tmp, folder, readers, bar)
                    written.append(out / folder)
                    entries += new
                    sources[job.name] = {**info, "signature": signatures[job.name], "folder": folder}
        finally:
            readers.close()
        entries = _pair_cg(entries, shot)
        order = {name: i for i, name in enumerate(j.name for j in jobs)}
        entries.sort(key=lambda e: (order.get(e["source_name"], len(order)), e["frame"]))
        manifest = write_faceset(out, {"identity": inputs.identity, "size": config.size, "radius": config.radius,
                                       "shot": shot.name, "config": config_to_dict(config),
                                       "sources": dict(sorted(sources.items(), key=lambda kv: order.get(kv[0], 0))),
                                       "crops": entries})
    except BaseException:
        for folder in written:
            shutil.rmtree(folder, ignore_errors=True)
        raise
    _remove_unreferenced(out, sources)
    logger.info("dataset build: %s faceset %s: %d crops (%d sources added, %d kept)", inputs.identity, out,
                len(entries), len(todo), len(kept_names))
    return BuildOutputs(manifest=manifest, added=tuple(j.name for j in todo), kept=tuple(kept_names),
                        crops=len(entries))


@dataclasses.dataclass
class _Readers:
    """What reads the crops of real sources: the face mesh (descriptors) and the person segmentation (masks)."""

    landmarker: Any = None
    segmenter: Any = None

    @classmethod
    def open(cls, config: DatasetConfig) -> _Readers:
        from pipeline.dataset.masks import PersonSegmenter
        from pipeline.track.solve import Landmarker

        # the refined mesh's lips and eyelids are what measure_crop reads mouth, teeth and eyes from
        landmarker = Landmarker(mode="static", min_detection_confidence=0.3,
                                refine=config.face_reading == "face_mesh") if config.landmarks else None
        return cls(landmarker, PersonSegmenter() if config.mask_person else None)

    def close(self) -> None:
        for reader in (self.landmarker, self.segmenter):
            if reader is not None:
                reader.close()


def _remove_unreferenced(out: Path, sources: dict[str, Any]) -> None:
    keep = {out / s["folder"] for s in sources.values()}
    for folder in (out / "images").glob("*") if (out / "images").is_dir() else ():
        if folder.is_dir() and folder not in keep and not folder.name.startswith("."):
            shutil.rmtree(folder, ignore_errors=True)


def _frame_count(job: _Job, shot: Shot) -> int:
    return len(_files_of(job.clip)) if "%" in job.clip.name else shot.last_frame - shot.first_frame + 1


def _load_track(job: _Job, shot: Shot):
    from pipeline.track.load import load_source_track

    return load_source_track(shot, job.name, job.track, job.camera)


def _read(clip, frame: int, job: _Job) -> np.ndarray:
    """One frame of a source, display-encoded RGB float; damaged or empty files are named."""
    from pipeline.media.image import linear_to_srgb

    try:
        if job.cg_pass is not None:  # CG passes are linear layers of one EXR a frame
            from pipeline.cg.passes import pass_display_rgb, read_passes

            image = pass_display_rgb(read_passes(frame_path(job.clip, frame), required=(job.cg_pass,))[job.cg_pass])
        else:
            image = clip.read(frame)
            if clip.linear:
                image = linear_to_srgb(np.clip(image, 0, None))
    except (MediaError, InputError, OSError) as exc:
        raise MediaError(f"source {job.name} frame {frame}: cannot read {frame_path(job.clip, frame)} ({exc}); "
                         "re-export or remove the damaged file") from None
    if image.size == 0 or float(np.ptp(image)) < 1e-4:
        raise MediaError(f"source {job.name} frame {frame}: {frame_path(job.clip, frame)} is empty (one flat "
                         "colour); re-export the frame or remove it from the clip")
    return image[..., :3] if image.ndim == 3 else np.repeat(image[..., None], 3, axis=2)


def _frames(job: _Job, shot: Shot) -> tuple[Any, list[int]]:
    """The clip (None for CG passes, read per file) and its frames."""
    if job.cg_pass is not None:
        from pipeline.media.sequence import find_sequence

        return None, [int(f) for f in find_sequence(job.clip).frames]
    from pipeline.media.clip import open_clip

    try:
        clip = open_clip(job.clip, first_frame=shot.first_frame, fps=str(shot.fps))
    except MediaError as exc:
        raise MediaError(f"source {job.name}: {exc}") from None
    return clip, list(clip.frame_range)


def _cut_source(job: _Job, shot: Shot, config: DatasetConfig, tmp: Path, folder: str, readers: _Readers,
                bar) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    track = _load_track(job, shot)
    clip, frames = _frames(job, shot)
    try:
        known = set(track.frames.tolist())
        tracked = [f for f in frames if f in known]
        if not tracked:
            raise InputError(f"source {job.name}: its track {job.track} covers frames {track.frames[0]}-"
                             f"{track.frames[-1]} but the clip has {frames[0]}-{frames[-1]}: no frame has a head "
                             "pose; track this source first (`facereplace track solve`)")
        untracked = len(frames) - len(tracked)
        if untracked:
            logger.warning("source %s: %d frames have no head pose and are left out", job.name, untracked)
        ypr = track.view_yaw_pitch_roll()  # as the camera sees the head: comparable across shots
        motion = _motion_px(track, config)
        head = proxy_vertices(_mask_mesh(shot, config))
        poses = track.transforms()
        entries: list[dict[str, Any]] = []
        last: tuple[np.ndarray, np.ndarray, float] | None = None
        duplicates = unframed = 0
        # the shot's framing method ("landmarks2d": only frames where the 2D baseline finds a face) at this size
        framing = StabilizeConfig(size=config.size, radius=config.radius, method=shot.config.stabilize.method)
        with open_framing(framing, track, linear=False) as frame_of:
            for frame in tracked:
                i = track.index(frame)
                bar.update(1, f"{job.name} {frame}")
                image = _read(clip, frame, job)
                try:
                    m = frame_of(i, image)
                except UnframeableError:
                    unframed += 1
                    continue
                crop = np.clip(stabilize_frame(image, m, config.size), 0.0, 1.0)
                yaw, pitch, roll = float(wrap_degrees(ypr[i, 0])), float(ypr[i, 1]), float(ypr[i, 2])
                thumb = cv2.resize(crop.mean(axis=2), (32, 32), interpolation=cv2.INTER_AREA)
                direction = face_direction(yaw, pitch)
                if last is not None and _near_duplicate(last, direction, thumb, roll, config):
                    duplicates += 1
                    continue
                last = (direction, thumb, roll)
                landmarks = _landmarks(readers.landmarker, crop) if job.cg_pass is None else None
                geometry = CropGeometry(poses[i], track.intrinsics[i], m)
                descriptors = measure_crop(crop, geometry, landmarks=landmarks, motion_px=float(motion[i]))
                name, mask_name = f"{frame:04d}.png", f"{frame:04d}.mask.png"
                _write_png(tmp / name, crop)
                mask = head_mask(poses[i], track.intrinsics[i], m, config.size, vertices=head,
                                 soft_px=config.mask_softness) if readers.segmenter is None or job.cg_pass else \
                    _person_mask(readers.segmenter, crop, geometry, landmarks, descriptors, head, config)
                _write_png(tmp / mask_name, mask)
                entry: dict[str, Any] = {"id": f"{job.name}_{frame}", "image": f"{folder}/{name}",
                                         "mask": f"{folder}/{mask_name}", "yaw": yaw,
                                         "pitch": pitch, "roll": roll, "source": job.kind, "source_name": job.name,
                                         "camera": job.camera, "frame": frame, "shot": shot.name,
                                         "tags": _tags(job, frame, config), "descriptors": descriptors}
                if job.cg_pass is not None:
                    entry["pass"] = job.cg_pass
                entries.append(entry)
    finally:
        if clip is not None:
            clip.close()
    rebase_eyes(entries)  # eyes closed against this person's own open eye
    logger.info("source %s: %d crops, %d near-duplicates dropped, %d frames unframeable", job.name, len(entries),
                duplicates, unframed)
    return entries, {"kind": job.kind, "camera": job.camera, "tags": list(job.tags), "frames": len(frames),
                     "crops": len(entries), "duplicates": duplicates, "untracked": untracked, "unframed": unframed}


def _motion_px(track, config: DatasetConfig) -> np.ndarray:
    """How far the head moves in the crop per frame: the skull centre's image motion plus the turn of the
    face (angle times the crop's half size), each at the crop's scale."""
    n = len(track)
    if n < 2:
        return np.zeros(n)
    centres = np.array([project(track.translation[i], track.intrinsics[i]) for i in range(n)])
    scale = np.array([(config.size / 2.0) / (track.intrinsics[i].focal_px * config.radius /
                                             max(-track.translation[i, 2], 1e-6)) for i in range(n)])
    ypr = track.yaw_pitch_roll()
    directions = face_direction(ypr[:, 0], ypr[:, 1])
    step_px = np.linalg.norm(np.diff(centres, axis=0), axis=1) * scale[1:]
    step_turn = np.arccos(np.clip(np.sum(directions[1:] * directions[:-1], axis=1), -1, 1)) * config.size / 2.0
    step = step_px + step_turn
    per_frame = np.empty(n)
    per_frame[0], per_frame[-1] = step[0], step[-1]
    per_frame[1:-1] = 0.5 * (step[1:] + step[:-1])
    return per_frame


def _near_duplicate(last: tuple[np.ndarray, np.ndarray, float], direction: np.ndarray, thumb: np.ndarray,
                    roll: float, config: DatasetConfig) -> bool:
    angle = np.degrees(np.arccos(np.clip(float(last[0] @ direction), -1.0, 1.0)))
    pose_delta = float(np.hypot(angle, roll - last[2]))
    return pose_delta <= config.duplicate_pose_deg and \
        float(np.abs(thumb - last[1]).mean()) <= config.duplicate_difference


def _person_mask(segmenter, crop: np.ndarray, geometry: CropGeometry, landmarks: np.ndarray | None,
                 descriptors: dict[str, Any], head: np.ndarray, config: DatasetConfig) -> np.ndarray:
    """The head mask of a real crop: the proxy fitted to the face seen (size, jaw), joined with the person's
    segmentation (pipeline.dataset.masks)."""
    from pipeline.dataset.descriptors import MOUTH_OPEN_FULL
    from pipeline.dataset.masks import face_scale, fitted_vertices, join_person
    from pipeline.track.solve import to_rgb8

    pose, camera, m = geometry.pose, geometry.intrinsics, geometry.transform
    scale = face_scale(landmarks, pose, camera, m)
    drop = (descriptors.get("mouth_open") or 0.0) * MOUTH_OPEN_FULL
    proxy = head_mask(pose, camera, m, config.size, vertices=fitted_vertices(head, scale=scale, jaw_drop_m=drop),
                      soft_px=config.mask_softness)
    radius_px = geometry.px_per_m * 0.5 * PROXY.head_height * scale
    chin = None if landmarks is None else float(landmarks[152][1]) + 0.1 * radius_px
    return join_person(proxy, segmenter(to_rgb8(crop, linear=False)), head_radius_px=radius_px, chin_row=chin)


def _landmarks(landmarker, crop: np.ndarray) -> np.ndarray | None:
    """Face-mesh landmarks in crop pixels (pipeline.dataset.descriptors.crop_landmarks); None without a mesh."""
    return None if landmarker is None else crop_landmarks(landmarker, crop)


def _tags(job: _Job, frame: int, config: DatasetConfig) -> list[str]:
    tags = list(job.tags)
    for r in config.tags:
        if r.source == job.name and r.first <= frame <= r.last:
            tags += [t for t in r.tags if t not in tags]
    return tags


SYNC_PAIR_MAX_DEG = 20.0  # a synced actor crop pairs with a CG crop only when their poses are this close


def _pair_cg(entries: list[dict[str, Any]], shot: Shot) -> list[dict[str, Any]]:
    """Each CG crop pairs with the actor crop the cg model learns to map it to.

    The CG passes are rendered on the plate's track with the actor's synced performance, so the best partner is
    the actor's own frame at the same plate moment (a walkthrough with a [[sources]] sync): there she stood where
    the pass puts her head, under the same light. A CG crop takes the synced crop nearest in pose among those within
    one plate frame of it and SYNC_PAIR_MAX_DEG of its pose (a witness camera's view of that moment is another pose
    and falls out); failing that (no synced material, the actor off her marks) the actor crop nearest in pose.
    Pairing by pose alone gives partners lit for other places on the stage, and the model learns to relight."""
    photos = [e for e in entries if e["source"] != CG_SOURCE]
    cg = [e for e in entries if e["source"] == CG_SOURCE]
    if not cg:
        return entries
    if not photos:
        logger.warning("dataset build: CG crops left out: no actor photographs to pair them with")
        return photos
    pd = face_direction([e["yaw"] for e in photos], [e["pitch"] for e in photos])
    cd = face_direction([e["yaw"] for e in cg], [e["pitch"] for e in cg])
    cosines = cd @ pd.T  # (CG, photos)
    syncs = {s.name: s.sync for s in shot.sources if s.sync is not None}
    plate_time = np.array([syncs[e["source_name"]].plate_time(e["frame"]) if e["source_name"] in syncs else np.nan
                           for e in photos])
    near_pose = cosines >= np.cos(np.radians(SYNC_PAIR_MAX_DEG))
    synced = 0
    for k, e in enumerate(cg):
        same_moment = near_pose[k] & (np.abs(plate_time - e["frame"]) <= 1.0)  # (NaN compares False)
        if same_moment.any():
            j = int(np.argmax(np.where(same_moment, cosines[k], -np.inf)))
            synced += 1
        else:
            j = int(np.argmax(cosines[k]))
        e["pair_of"] = photos[j]["id"]
    logger.info("dataset build: %d of %d CG crops pair with the actor at the synced moment, the rest by pose alone",
                synced, len(cg))
    return photos + cg


def _write_png(path: Path, crop: np.ndarray) -> None:
    from pipeline.media.image import write_image

    write_image(path, crop, bits=8)


def iter_crops(data: dict[str, Any]) -> Iterator[tuple[dict[str, Any], Path]]:
    """(entry, image path) of every crop of a faceset read with read_faceset."""
    for entry in data["crops"]:
        yield entry, Path(data["folder"]) / entry["image"]


def plate_lighting(shot: Shot, config: DatasetConfig) -> dict[int, tuple[float, float]]:
    """Per plate frame, brightness and key-light direction of its head crop (for fit selection by light)."""
    from pipeline.dataset.descriptors import light_measures

    job = _Job("plate", "plate", "main", shot.plate, shot.head_track, ())
    track = _load_track(job, shot)
    clip, frames = _frames(job, shot)
    poses = track.transforms()
    out: dict[int, tuple[float, float]] = {}
    known = set(track.frames.tolist())
    try:
        for frame in frames:
            if frame not in known:
                continue
            i = track.index(frame)
            try:
                m = crop_transform(poses[i], track.intrinsics[i], size=config.size, radius=config.radius)
            except UnframeableError:
                continue
            light = light_measures(np.clip(stabilize_frame(_read(clip, frame, job), m, config.size), 0, 1))
            out[frame] = (light["brightness"], light["key_light_deg"])
    finally:
        clip.close()
    return out
