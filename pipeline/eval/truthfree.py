"""Truth-free evaluation: how a converted variant does on a real shot, where nothing says what the swap should
have been, by measures made with models nobody here trained, per frame and per yaw bin.

Every frame is looked at in the same head crop (the pose-consistent crop of the plate's track, CROP pixels), on
the output, on the plate and on the actor's material:
  identity_margin    (d_dancer - d_actor) / (d_dancer + d_actor), -1..1, where d are distances of dlib's face
                     descriptor of the output (pipeline.eval.recognise) to the actor's reference (her material) and
                     to the dancer's (the plate), each made of that person's faces seen at about the frame's yaw
                     (recognise.SeenFaces): > 0 nearer the actor, the same sense as the synthetic eval's
  identity_margin_plate  the dancer's own plate scored the same way, its frame and those within HELD_OUT_FRAMES
                     of it left out of her reference (else it would be compared with itself): what the dancer reads
                     on this scale, the line a swap's margin must clear (-0.58 on the real talking clip's frontal
                     frames)
  recognised         a face is found on the output at all (the face mesh's detector) and described (the share
                     per bin)
                     Both on frames showing their whole swap: a frame dissolving from or to the plate ([convert]
                     coverage_fade, `dissolve` in its row, `dissolving` counted per bin) shows the dancer's face by
                     design, and on the real 360° turn those frames alone made rigid's three-quarter margin negative
  pose_error_deg     the output's head rotation measured by MediaPipe's face mesh (PnP on the canonical head,
                     pipeline.track.solve) against the plate's track; pose_error_plate_deg is the same on the
                     plate itself, what the measure reads on a perfect swap
  mouth              mouth open (inner-lip gap over the eye-corner span, face mesh) on the output, on the actor's
                     synced walkthrough at the same plate moment and on the dancer's plate; per bin adherence_actor
                     as in the synthetic eval (least squares between the actor's line and the dancer's)
  flicker            mean change of the output from its previous frame warped by the plate's optical flow
                     (Farneback), with flicker_plate the plate's own; flicker_ratio = output / plate (1: the swap
                     moves as the plate does; above: it flickers)
Rows are the synthetic eval's (`pipeline.eval.stage`), with the truth's measures (PSNR, SSIM) left empty. A
variant with no output at all (every frame uncovered and left as the plate) is a result, share 0, not an error.
"""
from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from pipeline.errors import InputError
from pipeline.eval import metrics
from pipeline.eval.inputs import PlateSequence
from pipeline.eval.recognise import SeenFaces
from pipeline.progress import progress_bar
from pipeline.shot import Shot, frame_path

log = logging.getLogger(__name__)

CROP = 192                 # side of the head crop every measure looks at
HELD_OUT_FRAMES = 20       # plate frames this near one are left out of the dancer's reference its own margin uses
ACTOR_SAMPLES = 24         # tracked frames of each actor source looked at for her reference faces
INNER_LIPS, EYE_CORNERS = (13, 14), (33, 263)  # face-mesh landmark ids


@dataclasses.dataclass
class PlateFrame:
    """What the plate says about one frame: its crop, the plate -> crop transform, the head's yaw (as the camera
    sees it, pipeline.geometry.view_yaw_pitch_roll: the angle QC and the faceset compare), the dancer's
    descriptor and mouth where found, and the track's rotation."""

    frame: int
    yaw: float
    transform: np.ndarray | None
    crop: np.ndarray | None
    rotation: np.ndarray
    intrinsics: Any
    descriptor: np.ndarray | None = None
    mouth: float | None = None
    pose_error: float | None = None
    mouth_actor: float | None = None
    identity_margin: float | None = None  # the plate's own, held out of the dancer's reference (plate_margins)


class FaceMeasures:
    """The face mesh (mouth, head pose) and the recogniser, opened once."""

    def __init__(self) -> None:
        from pipeline.eval.recognise import recogniser
        from pipeline.track.solve import Landmarker

        self.recogniser = recogniser()
        self.mesh = Landmarker(mode="static")

    def close(self) -> None:
        self.mesh.close()

    def landmarks(self, image: np.ndarray) -> np.ndarray | None:
        return self.mesh(_rgb8(image))

    def descriptor(self, image: np.ndarray) -> np.ndarray | None:
        """The descriptor of the image's largest face, None where there is none."""
        face = self.recogniser.face(image)
        return None if face is None else face.descriptor

    def described(self, crop: np.ndarray, landmarks: np.ndarray | None) -> np.ndarray | None:
        """The descriptor of a head crop's face whose mesh landmarks this measured already, None where none."""
        return None if landmarks is None else self.recogniser.describe(crop, landmarks).descriptor


def mouth_open(landmarks: np.ndarray | None) -> float | None:
    """Inner-lip gap over the eye-corner span: a scale-free mouth opening from face-mesh landmarks."""
    if landmarks is None:
        return None
    span = float(np.linalg.norm(landmarks[EYE_CORNERS[0]] - landmarks[EYE_CORNERS[1]]))
    return float(np.linalg.norm(landmarks[INNER_LIPS[0]] - landmarks[INNER_LIPS[1]])) / span if span > 1 else None


def identity_margin(to_actor: float, to_dancer: float) -> float:
    """-1 (the dancer) .. 1 (the actor) from descriptor distances."""
    total = to_actor + to_dancer
    return 0.0 if total <= 0 else (to_dancer - to_actor) / total


def rotation_angle_deg(a: np.ndarray, b: np.ndarray) -> float:
    cos = (float(np.trace(np.asarray(a).T @ np.asarray(b))) - 1.0) / 2.0
    return math.degrees(math.acos(min(1.0, max(-1.0, cos))))


def _rgb8(image: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(np.clip(np.asarray(image)[..., :3] * 255.0 + 0.5, 0, 255).astype(np.uint8))


def _head_pose_error(points: np.ndarray | None, transform: np.ndarray, plate: PlateFrame
                     ) -> tuple[float | None, float | None]:
    """(pose error in degrees, mouth open) of a head crop from its face-mesh landmarks: back into the plate's
    pixels, PnP with the plate's camera, against the track's rotation."""
    from pipeline.track.solve import pose_from_landmarks

    if points is None:
        return None, None
    inverse = np.linalg.inv(transform)
    plate_points = np.c_[points, np.ones(len(points))] @ inverse.T
    plate_points = plate_points[:, :2] / plate_points[:, 2:3]
    rotation, _, error = pose_from_landmarks(plate_points, plate.intrinsics)
    pose = None if not math.isfinite(error) else rotation_angle_deg(rotation, plate.rotation)
    return pose, mouth_open(points)


def plate_frames(shot: Shot, measures: FaceMeasures, bar) -> list[PlateFrame]:
    """Every plate frame's crop and what the plate says there (the dancer's face, mouth, pose)."""
    from pipeline.media.clip import open_clip
    from pipeline.stabilize.crop import UnframeableError, crop_transform, stabilize_frame
    from pipeline.track.headtrack import conform
    from pipeline.track.load import load_head_track

    framing = shot.config.stabilize
    track = conform(load_head_track(shot.head_track, intrinsics=shot.camera, rotation_order=shot.rotation_order),
                    shot.frames, fill=framing.fill_missing, where=str(shot.head_track))
    poses, ypr = track.transforms(), track.view_yaw_pitch_roll()  # binned as the camera sees the head, as QC does
    rows = []
    with open_clip(shot.plate, first_frame=shot.first_frame, fps=shot.fps) as clip:
        for i, frame in enumerate(int(f) for f in track.frames):
            row = PlateFrame(frame=frame, yaw=float(ypr[i, 0]), transform=None, crop=None,
                             rotation=track.rotation[i], intrinsics=track.intrinsics[i])
            try:
                row.transform = crop_transform(poses[i], track.intrinsics[i], size=CROP, radius=framing.radius,
                                               skull_centre=framing.skull_centre)
            except UnframeableError:
                rows.append(row)
                bar.update(1, f"plate {frame}")
                continue
            image = _display(clip.read(frame), clip.linear)
            row.crop = stabilize_frame(image, row.transform, CROP)
            points = measures.landmarks(row.crop)
            row.descriptor = measures.described(row.crop, points)
            row.pose_error, row.mouth = _head_pose_error(points, row.transform, row)
            rows.append(row)
            bar.update(1, f"plate {frame}")
    return rows


def _display(image: np.ndarray, linear: bool) -> np.ndarray:
    from pipeline.eval.truth import display

    return display(np.asarray(image, np.float32)[..., :3], linear=linear)


def actor_faces(shot: Shot, measures: FaceMeasures) -> SeenFaces:
    """The actor's faces in her material (every actor source, ACTOR_SAMPLES of its tracked frames each), each
    with the yaw her source's track gives it; an InputError naming the sources when none holds a recognisable
    face."""
    from pipeline.media.clip import open_clip
    from pipeline.track.load import load_source_track

    sources = [s for s in shot.sources if s.identity == "actor"]
    if not sources:
        raise InputError(f"{shot.root}: the shot has no actor [[sources]]; the truth-free eval compares the output "
                         "with the actor's material: add her walkthrough or rig clips as [[sources]]")
    found = []
    for source in sources:
        track = load_source_track(shot, source.name, source.track, source.camera)
        yaws = dict(zip(track.frames.tolist(), track.view_yaw_pitch_roll()[:, 0].tolist()))
        with open_clip(source.clip, fps=shot.fps) as clip:
            tracked = [f for f in range(clip.first_frame, clip.last_frame + 1) if f in yaws]
            for frame in np.unique(np.asarray(tracked)[np.linspace(0, len(tracked) - 1, ACTOR_SAMPLES).round()
                                                       .astype(int)]) if tracked else ():
                descriptor = measures.descriptor(_display(clip.read(int(frame)), clip.linear))
                if descriptor is not None:
                    found.append((descriptor, yaws[int(frame)]))
    if not found:
        names = ", ".join(f"{s.name} ({s.clip})" for s in sources)
        raise InputError(f"{shot.root}: no face is recognisable in the actor's material ({names}); the truth-free "
                         "eval needs her face seen from the front in at least one of them: add a source that "
                         "shows it (a walkthrough or a turntable from the front)")
    return SeenFaces.of(found)


def plate_margins(plate: list[PlateFrame], actor: SeenFaces, apart: int = HELD_OUT_FRAMES) -> None:
    """Each plate frame's own identity margin, as a swap's would be scored, against the dancer's faces more than
    `apart` frames from it (left as None where the plate shows no recognisable face or no other does)."""
    from pipeline.eval.recognise import distance

    seen = [p for p in plate if p.descriptor is not None]
    for p in seen:
        dancer = SeenFaces.of([(q.descriptor, q.yaw) for q in seen if abs(q.frame - p.frame) > apart])
        if len(dancer):
            p.identity_margin = identity_margin(distance(p.descriptor, actor.reference(p.yaw)),
                                                distance(p.descriptor, dancer.reference(p.yaw)))


def actor_mouths(shot: Shot, measures: FaceMeasures, frames: Sequence[int]) -> dict[int, float]:
    """The actor's mouth at each plate frame from her synced walkthrough (the source on the plate's camera if one
    is synced, else the first synced): her performance line. Empty without a synced actor source."""
    from pipeline.media.clip import open_clip

    synced = [s for s in shot.sources if s.identity == "actor" and s.sync is not None]
    if not synced:
        return {}
    plate_camera = next((s.camera for s in shot.sources if s.identity == "dancer"), None)
    source = next((s for s in synced if s.camera == plate_camera), synced[0])
    mouths = {}
    with open_clip(source.clip, fps=shot.fps) as clip:
        for frame in frames:
            own = round(source.sync.frame + (frame - source.sync.plate_frame) / source.sync.rate)
            if clip.first_frame <= own <= clip.last_frame:
                value = mouth_open(measures.landmarks(_display(clip.read(own), clip.linear)))
                if value is not None:
                    mouths[frame] = value
    return mouths


def flow_change(previous: np.ndarray, current: np.ndarray, previous_guide: np.ndarray,
                current_guide: np.ndarray) -> float:
    """Mean absolute change of `current` from `previous` warped onto it by the optical flow between the guides
    (the plate's crops): what moved as the plate moved does not count, a flicker does."""
    import cv2

    grey = [cv2.cvtColor(_rgb8(g), cv2.COLOR_RGB2GRAY) for g in (current_guide, previous_guide)]
    flow = cv2.calcOpticalFlowFarneback(grey[0], grey[1], None, 0.5, 3, 15, 3, 5, 1.2, 0)
    h, w = flow.shape[:2]
    xs, ys = np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32))
    warped = cv2.remap(np.asarray(previous, np.float32), xs + flow[..., 0], ys + flow[..., 1], cv2.INTER_LINEAR,
                       borderMode=cv2.BORDER_REPLICATE)
    return float(np.abs(warped - current).mean())


def score_variant(variant: PlateSequence, plate: list[PlateFrame], actor: SeenFaces, dancer: SeenFaces,
                  measures: FaceMeasures, bar) -> list[dict[str, Any]]:
    """Per-frame measures of one variant's plate-space frames, in plate frame order."""
    from pipeline.eval.recognise import distance
    from pipeline.media.image import read_image
    from pipeline.stabilize.crop import stabilize_frame

    rows, previous = [], None
    for p in plate:
        path = frame_path(variant.pattern, p.frame)
        has = (variant.frames is None or p.frame in variant.frames) and path.is_file() and p.transform is not None
        dissolve = has and p.frame in variant.dissolving
        row: dict[str, Any] = {"frame": p.frame, "yaw": p.yaw, "bin": metrics.yaw_bin(p.yaw), "output": has,
                               "dissolve": dissolve, "mouth_actor": p.mouth_actor, "mouth_dancer": p.mouth,
                               "pose_error_plate_deg": p.pose_error, "identity_margin_plate": p.identity_margin}
        if has:
            image = _display(read_image(path), path.suffix.lower() == ".exr")
            crop = stabilize_frame(image, p.transform, CROP)
            points = measures.landmarks(crop)
            descriptor = None if dissolve else measures.described(crop, points)
            pose_error, mouth = _head_pose_error(points, p.transform, p)
            row.update(recognised=None if dissolve else descriptor is not None, pose_error_deg=pose_error,
                       mouth_output=mouth,
                       identity_actor_distance=None, identity_dancer_distance=None, identity_margin=None,
                       flicker_output=None, flicker_plate=None)
            if descriptor is not None:
                to_actor = distance(descriptor, actor.reference(p.yaw))  # each person as seen at this angle
                to_dancer = distance(descriptor, dancer.reference(p.yaw))
                row.update(identity_actor_distance=to_actor, identity_dancer_distance=to_dancer,
                           identity_margin=identity_margin(to_actor, to_dancer))
            if previous is not None and previous[0] == p.frame - 1:
                _, last_crop, last_plate = previous
                row.update(flicker_output=flow_change(last_crop, crop, last_plate, p.crop),
                           flicker_plate=flow_change(last_plate, p.crop, last_plate, p.crop))
            previous = (p.frame, crop, p.crop)
        else:
            previous = None
        rows.append(row)
        bar.update(1, f"{variant.name} {p.frame}")
    return rows


def aggregate(name: str, frames: list[dict[str, Any]], *, min_frames: int) -> dict[str, Any]:
    """One row of the table: the bin's frames summarised (the synthetic eval's columns where they mean the same)."""
    scored = [f for f in frames if f["output"]]
    mouths = [f for f in scored if None not in (f["mouth_output"], f["mouth_actor"], f["mouth_dancer"])]
    o, a, d = ([f[k] for f in mouths] for k in ("mouth_output", "mouth_actor", "mouth_dancer"))
    position = metrics.performance_position(o, a, d, min_frames=min_frames)
    flicker_output = metrics.mean([f["flicker_output"] for f in scored])
    flicker_plate = metrics.mean([f["flicker_plate"] for f in scored])
    whole = [f for f in scored if not f.get("dissolve")]
    return {"bin": name, "frames": len(frames), "with_output": len(scored), "dissolving": len(scored) - len(whole),
            "share": len(scored) / len(frames) if frames else None, "psnr_db": None, "ssim": None,
            "recognised": sum(f["recognised"] for f in whole) / len(whole) if whole else None,
            "identity_margin": metrics.mean([f["identity_margin"] for f in scored]),
            "identity_margin_plate": metrics.mean([f["identity_margin_plate"] for f in whole]),
            "identity_actor_distance": metrics.mean([f["identity_actor_distance"] for f in scored]),
            "identity_dancer_distance": metrics.mean([f["identity_dancer_distance"] for f in scored]),
            "pose_error_deg": metrics.mean([f["pose_error_deg"] for f in scored]),
            "pose_error_plate_deg": metrics.mean([f["pose_error_plate_deg"] for f in scored]),
            "adherence_actor": None if position is None else 1.0 - position, "adherence_dancer": position,
            "mouth_corr_actor": metrics.correlation(o, a, min_frames=min_frames),
            "mouth_corr_dancer": metrics.correlation(o, d, min_frames=min_frames), "mouth_frames": len(mouths),
            "flicker": flicker_output, "flicker_plate": flicker_plate,
            "flicker_ratio": None if flicker_output is None or not flicker_plate else flicker_output / flicker_plate}


def evaluate(shot: Shot, variants: Sequence[PlateSequence], *, min_frames: int = 3,
             progress=None) -> dict[str, dict[str, Any]]:
    """Score every variant without ground truth: {name: {"record", "bins", "all", "frames"}}. An InputError, before
    any variant is scored, when the actor's material or the plate holds no recognisable face."""
    measures = FaceMeasures()
    try:
        with progress_bar(len(shot.frames) * (1 + len(variants)), "eval (truth-free)", callback=progress) as bar:
            actor = actor_faces(shot, measures)
            plate = plate_frames(shot, measures, bar)
            dancer = SeenFaces.of([(p.descriptor, p.yaw) for p in plate if p.descriptor is not None])
            if not len(dancer):
                raise InputError(f"{shot.plate}: no face of the dancer is recognisable on any plate frame "
                                 f"{shot.first_frame}-{shot.last_frame} (checked in the head crops of the track "
                                 f"{shot.head_track}); check that the track follows her head, or score against "
                                 "synthetic truth instead")
            plate_margins(plate, actor)
            actor_line = actor_mouths(shot, measures, [p.frame for p in plate])
            for row in plate:
                row.mouth_actor = actor_line.get(row.frame)
            log.info("eval (truth-free): actor's references from %d faces of her material, dancer's from %d of %d "
                     "plate frames", len(actor), len(dancer), len(plate))
            results = {}
            for variant in variants:
                frames = score_variant(variant, plate, actor, dancer, measures, bar)
                results[variant.name] = {
                    "record": variant.record, "frames": frames,
                    "bins": [aggregate(n, [f for f in frames if f["bin"] == n], min_frames=min_frames)
                             for n in metrics.BIN_NAMES],
                    "all": aggregate("all", frames, min_frames=min_frames)}
    finally:
        measures.close()
    return results

