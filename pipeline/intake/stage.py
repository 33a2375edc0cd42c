"""`shot init`: a shot folder from footage. The plate (a video or an image sequence, trimmed to the frames asked
for, keeping their numbers) and the actor's clips become a complete, commented `shot.toml`; then the runner's
track stage solves the head track of the plate and of every actor source, and each source is summarised
(measured, filled and flagged frames, where its lens came from).

What the folder holds:

    shot.toml
    plate/plate.####.png         a video plate's frames, or links to an image sequence's own files
    tracks/camera.json           the plate camera: the lens given with --lens, else read from the plate's metadata,
                                 else estimated from the face by the tracker (its "lens" says which)
    tracks/camera_NAME.json      each actor source's camera
    tracks/plate.json            the head tracks, solved here (a rerun of the track stage keeps them)
    tracks/NAME.json
    work/track.json              the plate's track as the later stages read it

Everything is made in a hidden folder beside the shot and moved into place only when the tracks are solved and
the actor sources agree on one person, so a failed init leaves no shot folder, or the previous one whole.

A clip whose lens is not given is tracked first, without one (pipeline.track.stage: its metadata, else the face,
tells the focal length), and its camera JSON is written from the lens that track used: never a lens assumed.
"""
from __future__ import annotations

import dataclasses
import logging
import math
import os
from fractions import Fraction
from pathlib import Path
from typing import Any

from pipeline.errors import InputError
from pipeline.geometry import Intrinsics
from pipeline.progress import ProgressCallback
from pipeline.shot import SHOT_FILE, SourceSync

logger = logging.getLogger(__name__)

PLATE_PATTERN = "plate/plate.%04d"
MOSTLY_MEASURED = 0.5  # a source with fewer of its frames measured is named in the warnings
PLATE_SHARE = 0.1  # of the progress bar: decoding the plate (the rest is tracking)


@dataclasses.dataclass(frozen=True)
class Lens:
    """Focal length and film back (horizontal, vertical) in millimetres."""

    focal_mm: float
    film_back_mm: tuple[float, float]

    @classmethod
    def parse(cls, text: str, *, where: str) -> Lens:
        """`focal_mm,film_back_w,film_back_h` (35,36,24), or a camera intrinsics JSON file (its lens is taken)."""
        parts = [p.strip() for p in text.split(",")]
        if len(parts) == 3:
            try:
                values = [float(p) for p in parts]
            except ValueError:
                values = []
            if len(values) == 3 and all(math.isfinite(v) and v > 0 for v in values):
                return cls(values[0], (values[1], values[2]))
        path = Path(text)
        if len(parts) == 1 and path.is_file():
            from pipeline.track.load import read_intrinsics

            camera = read_intrinsics(path)
            return cls(camera.focal_mm, camera.film_back_mm)
        raise InputError(f"{where} {text!r}: not a lens; give focal_mm,film_back_w,film_back_h in millimetres "
                         "(e.g. 35,36,24), or a camera intrinsics JSON file")

    def camera(self, width: int, height: int) -> Intrinsics:
        return Intrinsics(width=width, height=height, focal_mm=self.focal_mm, film_back_mm=self.film_back_mm)


@dataclasses.dataclass(frozen=True)
class ActorSource:
    """One clip of the actor (a walkthrough of the scene, an interview...), with its lens and timing if known."""

    name: str
    path: Path
    lens: Lens | None = None
    sync: SourceSync | None = None
    kind: str = "walkthrough"


@dataclasses.dataclass(frozen=True)
class IntakeConfig:
    """How the shot is made from the footage (the `shot init` flags)."""

    name: str = ""                        # the shot's name (default: the folder's)
    frames: tuple[int, int] | None = None  # plate frames kept, first and last included (default: all)
    first_frame: int = 1001               # number of a video plate's first frame (a sequence keeps its own)
    fps: str | None = None                # of an image sequence whose files carry none
    lens: Lens | None = None              # the plate camera's lens; absent: from its metadata, else estimated
    check_identity: bool = True           # the actor sources must show one person
    identity_tolerance: float = 0.5       # pipeline.intake.identity.SAME_PERSON
    replace: bool = False                 # an existing shot folder is replaced (only once the new one is whole)


@dataclasses.dataclass(frozen=True)
class IntakeInputs:
    out: Path                             # the shot folder to make
    plate: Path                           # video, sequence pattern or one frame of a sequence
    actor_sources: tuple[ActorSource, ...] = ()


@dataclasses.dataclass(frozen=True)
class IntakeOutputs:
    root: Path
    summary: dict[str, dict[str, Any]]   # per source (the plate first): frames, measured, filled, flagged, lens


@dataclasses.dataclass(frozen=True)
class _Clip:
    """What the footage is, read before anything is written."""

    path: Path
    kind: str
    frames: range
    fps: Fraction
    width: int
    height: int


def run(config: IntakeConfig, inputs: IntakeInputs, *, progress: ProgressCallback | None = None) -> IntakeOutputs:
    """Make the shot folder `inputs.out` from the footage and solve its head tracks; see the module's docstring."""
    from pipeline.atomic import atomic_dir

    out = Path(inputs.out)
    if (out / SHOT_FILE).is_file() and not config.replace:
        raise InputError(f"{out}: already a shot (its {SHOT_FILE} is there); give another folder, or --replace to "
                         "make it again (the old one is kept until the new one is complete)")
    if out.exists() and not (out / SHOT_FILE).is_file() and (not out.is_dir() or any(out.iterdir())):
        raise InputError(f"{out}: exists and is not a shot folder; give a new or empty folder")
    plate, sources = _check(config, inputs)
    with atomic_dir(out) as tmp:
        umask = os.umask(0)
        os.umask(umask)
        tmp.chmod(0o777 & ~umask)  # a shot folder as any other, not the private temporary's 0700
        _write_plate(plate, config, tmp, _share(progress, 0.0, PLATE_SHARE))
        clips = _clips(config, inputs, plate, sources, tmp)
        unknown = sum(lens is None for _, lens, _ in clips.values()) / len(clips)  # their share of the tracking
        tracking = _share(progress, PLATE_SHARE, 1.0)
        if tracking is not None:  # the runner names steps by their folder: the shot's, not the hidden one's
            tracking = (lambda report: lambda f, message: report(f, message.replace(tmp.name, out.name)))(tracking)
        try:
            _write_cameras(clips, plate, tmp, _share(tracking, 0.0, unknown))
            _write_shot(config, inputs, plate, sources, tmp, final=out)
            summary = _track(tmp, _share(tracking, unknown, 1.0))
        except InputError as exc:  # said of the footage given, not of the hidden folder's copy of it
            raise InputError(_of_footage(str(exc), tmp, plate, inputs)) from None
        if config.check_identity and len(sources) > 1:
            _check_identity(tmp, config, where=out)
    return IntakeOutputs(root=out, summary=summary)


def _share(progress: ProgressCallback | None, start: float, end: float) -> ProgressCallback | None:
    """`progress` for a part of the work that spans `start`..`end` of the whole."""
    if progress is None:
        return None
    return lambda fraction, message: progress(start + (end - start) * min(1.0, fraction), message)


def _of_footage(message: str, folder: Path, plate: _Clip, inputs: IntakeInputs) -> str:
    """A tracking error about the hidden folder's plate, as one about the plate given, with what to do."""
    copy = str(folder / (PLATE_PATTERN + _plate_suffix(plate)))
    if copy in message:
        message = message.replace(copy, str(inputs.plate))
        if "no face found" in message:
            message = message.split("; give a head track")[0] + (
                "; give a plate (or --frames) where the dancer's face is seen, or make the shot from the frames "
                "where it is and import a matchmove head track (`facereplace track import`)")
    return message.replace(str(folder), str(inputs.out))


def _check(config: IntakeConfig, inputs: IntakeInputs) -> tuple[_Clip, dict[str, _Clip]]:
    """Open every clip (an unreadable one is an error naming it) and check the frames and names asked for."""
    plate = _probe(inputs.plate, first_frame=config.first_frame, fps=config.fps)
    if config.frames is not None:
        first, last = config.frames
        if last < first:
            raise InputError(f"--frames {first}-{last}: the last frame comes before the first")
        if first < plate.frames.start or last > plate.frames[-1]:
            raise InputError(f"{inputs.plate}: frames {first}-{last} are outside the plate's {plate.frames.start}-"
                             f"{plate.frames[-1]}; give --frames within them (a video's first frame is "
                             f"--first-frame, {config.first_frame})")
        plate = dataclasses.replace(plate, frames=range(first, last + 1))
    names = [s.name for s in inputs.actor_sources]
    for name in names:
        if not name or not name.replace("_", "").replace("-", "").isalnum() or name == "plate":
            raise InputError(f"actor source name {name!r}: use letters, digits, - and _ (and not 'plate')")
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise InputError(f"actor source name(s) given twice: {', '.join(twice)}")
    sources = {s.name: _probe(s.path, first_frame=plate.frames.start, fps=config.fps or plate.fps)
               for s in inputs.actor_sources}
    return plate, sources


def _probe(path: Path, *, first_frame: int, fps: Fraction | str | None) -> _Clip:
    from pipeline.media.clip import open_clip
    from pipeline.media.sequence import parse_sequence_path

    with open_clip(path, first_frame=first_frame, fps=fps) as clip:
        where = Path(parse_sequence_path(clip.path).printf) if clip.kind == "sequence" else Path(path)
        return _Clip(path=where, kind=clip.kind, frames=clip.frame_range, fps=clip.fps, width=clip.width,
                     height=clip.height)


def _write_plate(plate: _Clip, config: IntakeConfig, folder: Path, progress: ProgressCallback | None) -> None:
    """The plate's kept frames under their own numbers: a video's decoded to PNG, a sequence's linked."""
    from pipeline.media.clip import open_clip
    from pipeline.media.sequence import parse_sequence_path, write_sequence
    from pipeline.shot import frame_path

    if plate.kind == "sequence":
        suffix = parse_sequence_path(plate.path).suffix
        for frame in plate.frames:
            target = folder / frame_path(PLATE_PATTERN + suffix, frame)
            target.parent.mkdir(parents=True, exist_ok=True)
            os.symlink(frame_path(plate.path, frame).resolve(), target)
        return
    with open_clip(plate.path, first_frame=config.first_frame, fps=plate.fps) as clip:
        def frames():
            for i, frame in enumerate(plate.frames):
                if progress is not None:
                    progress(i / len(plate.frames), f"plate frame {frame}")
                yield frame, clip.read(frame)

        write_sequence(folder / (PLATE_PATTERN + ".png"), frames())


def _plate_suffix(plate: _Clip) -> str:
    from pipeline.media.sequence import parse_sequence_path

    return parse_sequence_path(plate.path).suffix if plate.kind == "sequence" else ".png"


def _clips(config: IntakeConfig, inputs: IntakeInputs, plate: _Clip, sources: dict[str, _Clip],
           folder: Path) -> dict[str, tuple[Path, Lens | None, _Clip]]:
    """Per camera ("main": the plate's), the clip it filmed as the shot names it, its lens if given, and the clip."""
    out = {"main": (folder / (PLATE_PATTERN + _plate_suffix(plate)), config.lens, plate)}
    out.update({s.name: (sources[s.name].path, s.lens, sources[s.name]) for s in inputs.actor_sources})
    return out


def _write_cameras(clips: dict[str, tuple[Path, Lens | None, _Clip]], plate: _Clip, folder: Path,
                   progress: ProgressCallback | None) -> None:
    """Each camera's intrinsics JSON: a given lens as given; otherwise its clip is tracked without a lens (the track
    stage reads the clip's metadata, else estimates the focal length from the face) and the camera is the lens that
    track used, its "lens" saying where it came from. The track is kept: the runner imports it."""
    from pipeline.track.load import write_intrinsics
    from pipeline.track.solve import SolveConfig
    from pipeline.track.stage import TrackInputs, run as track

    todo = [camera for camera, (_, lens, _) in clips.items() if lens is None]
    for camera, (path, lens, clip) in clips.items():
        if lens is not None:
            write_intrinsics(folder / _camera_file(camera), lens.camera(clip.width, clip.height))
            continue
        i = todo.index(camera)
        within = _share(progress, i / len(todo), (i + 1) / len(todo))
        name = "plate" if camera == "main" else camera
        # the shot's [track] table is all defaults (shot.toml is written with it commented out)
        solved = track(SolveConfig(), TrackInputs(out=folder / _track_file(camera), plate=path,
                                                  first_frame=plate.frames.start, fps=str(plate.fps)),
                       progress=None if within is None else (lambda f, m, n=name, w=within: w(f, f"{n}: {m}")))
        write_intrinsics(folder / _camera_file(camera), solved.track.intrinsics[0], lens=solved.track.lens)


def _write_shot(config: IntakeConfig, inputs: IntakeInputs, plate: _Clip, sources: dict[str, _Clip], folder: Path,
                *, final: Path) -> None:
    from pipeline.atomic import atomic_write_text
    from pipeline.intake.toml import shot_toml
    from pipeline.track.load import read_camera

    cameras = {camera: _camera_file(camera) for camera in ["main", *(s.name for s in inputs.actor_sources)]}
    final = final.resolve()

    def relative(path: Path) -> str:
        return Path(os.path.relpath(Path(path).resolve(), final)).as_posix()

    text = shot_toml(name=config.name or final.name, frames=plate.frames, fps=plate.fps,
                     plate=PLATE_PATTERN + _plate_suffix(plate), plate_from=str(inputs.plate), cameras=cameras,
                     lenses={c: read_camera(folder / path) for c, path in cameras.items()},
                     sources=[(s, relative(sources[s.name].path), sources[s.name]) for s in inputs.actor_sources])
    atomic_write_text(folder / SHOT_FILE, text)


def _camera_file(camera: str) -> str:
    return "tracks/camera.json" if camera == "main" else f"tracks/camera_{camera}.json"


def _track_file(camera: str) -> str:
    """The head track of the clip `camera` filmed, where shot.toml names it."""
    return "tracks/plate.json" if camera == "main" else f"tracks/{camera}.json"


def _track(folder: Path, progress: ProgressCallback | None) -> dict[str, dict[str, Any]]:
    """The runner's track stage on the new shot (it solves the tracks of clips whose lens was given and imports the
    plate's); each source's summary."""
    from pipeline.run import RunConfig, run_shot
    from pipeline.shot import load_shot
    from pipeline.track.load import load_head_track, read_camera
    from pipeline.track.solve import track_summary

    run_shot(folder, RunConfig(first="track", last="track"), progress=progress)
    shot = load_shot(folder)
    summary = {}
    for name, track_path, camera in [("plate", shot.head_track, shot.camera)] + [
            (s.name, s.track, shot.cameras[s.camera]) for s in shot.sources if s.kind != "plate"]:
        track = load_head_track(track_path)
        row = {**track_summary(track), "flagged": len(track.frame_flags()), "lens": read_camera(camera)[1],
               "film_back_mm": [round(float(v), 2) for v in track.intrinsics[0].film_back_mm],
               "first": int(track.frames[0]), "last": int(track.frames[-1])}
        row.pop("warnings")  # said once, by `warnings`
        summary[name] = {**row, "mean_confidence": round(row["mean_confidence"], 3)}
    return summary


def warnings(summary: dict[str, dict[str, Any]]) -> list[str]:
    """What a TD should look at before going on: sources mostly filled rather than measured, estimated lenses."""
    out = []
    for name, row in summary.items():
        if row["measured"] < MOSTLY_MEASURED * row["frames"]:
            out.append(f"{name}: only {row['measured']} of {row['frames']} frames measured, the rest filled: its poses "
                       f"are guesses there (look at `facereplace track plot tracks/{name}.json`)")
        if row["flagged"]:
            out.append(f"{name}: {row['flagged']} frames flagged (head behind the camera or out of frame)")
        if row["jumps"]:
            out.append(f"{name}: the track jumps to another face at frame(s) {', '.join(map(str, row['jumps'][:10]))}")
        if row["lens"] == "estimated":
            out.append(f"{name}: lens estimated ({lens_text(row['focal_mm'], row['film_back_mm'])}) from the face; "
                       "give --lens / --actor-lens when it is known")
    return out


def lens_text(focal_mm: float, film_back_mm: tuple[float, float] | list[float]) -> str:
    """A lens as a TD reads it: "41 mm on 36x20.2 mm"."""
    return f"{focal_mm:.0f} mm on {film_back_mm[0]:.3g}x{film_back_mm[1]:.3g} mm"


def _check_identity(folder: Path, config: IntakeConfig, *, where: Path) -> None:
    """Stop when an actor source shows another person than the others (naming it)."""
    from pipeline.intake.identity import clip_descriptor, frontal_frames, odd_one_out
    from pipeline.media.clip import open_clip
    from pipeline.shot import load_shot
    from pipeline.track.load import load_head_track

    shot = load_shot(folder)
    descriptors = {}
    for source in shot.sources_of(identity="actor"):
        track = load_head_track(source.track)
        frames = frontal_frames(track.yaw_pitch_roll()[:, 0], track.frames, track.status == "measured")
        with open_clip(source.clip, first_frame=shot.first_frame, fps=shot.fps) as clip:
            found = clip_descriptor(clip, frames)
        if found is not None:
            descriptors[source.name] = found
    problem = odd_one_out(descriptors, tolerance=config.identity_tolerance)
    if problem:
        raise InputError(f"{where}: {problem} (checked on the faces of each clip's most frontal frames; "
                         "--no-identity-check skips this)")
