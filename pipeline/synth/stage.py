"""Make a complete synthetic shot with ground truth: `run(SynthConfig(...), out_dir) -> out_dir`.

What it writes (all paths relative to the shot folder, described by its `shot.toml`):
  plate/plate.%04d.png + plate/plate.mp4    the dancer (identity "dancer") performing the preset, with review clip
  tracks/plate.chan, tracks/camera.json     the plate's head track (camera-relative, Nuke .chan) and intrinsics
  tracks/camera.chan, tracks/plate_world.chan   the moving camera and the head in world space
  actor/<source>/<source>.%04d.png          the actor (identity "actor"): walkthrough at half speed from the main
                                            camera and two witnesses (serious, saying her line); a capture-rig
                                            turntable at three pitches with a range of expressions,
                                            then a talking range of motion facing the rig camera
  tracks/<source>.chan, tracks/camera_<camera>.json   each clip's head track and its camera
  cg/actor.%04d.exr                         CG passes of the actor's bald head on the plate's track, with the
                                            walkthrough's expression retimed to the plate
  truth/pose.json, truth/<source>.json      per frame yaw, pitch, roll, mouth_open, smile, teeth_shown,
                                            teeth_visible (teeth pixels in the image), blink, matte_area
  truth/matte, truth/rigid, truth/loose     the head matte; the actor in the plate's exact pose, light and blur
                                            with the walkthrough's expression (rigid) and with the dancer's (loose)
Same config and seed, same bytes.
"""
from __future__ import annotations

import dataclasses
import logging
import math
import os
from collections.abc import Callable, Sequence
from fractions import Fraction
from pathlib import Path

import numpy as np

from pipeline.artifacts import write_manifest
from pipeline.atomic import atomic_dir, atomic_write_json, atomic_write_text
from pipeline.cg.head import ACTOR, DANCER, Expression, Identity, build_head
from pipeline.cg.passes import write_passes
from pipeline.cg.render import (STANDARD_PASSES, Drawable, Instance, Lighting, Renderer, SceneState, look_at,
                                shutter_times)
from pipeline.cg.scene import body_drawable, hair_gobo, stage_drawable, strands_drawable
from pipeline.errors import InputError
from pipeline.geometry import Intrinsics, axis_rotation, compose, invert_rigid, yaw_pitch_roll
from pipeline.progress import ProgressCallback, progress_bar
from pipeline.media.fps import parse_fps
from pipeline.models.registry import list_models
from pipeline.shot import SHOT_FILE, ShotLayout, frame_path
from pipeline.synth.choreography import (NECK_HEIGHT, Choreography, create_choreography, dancer_performance,
                                         walkthrough_performance)
from pipeline.track.chan import ChanTrack, write_chan
from pipeline.track.load import write_intrinsics

logger = logging.getLogger(__name__)

KIND = "synth_shot"
SCHEMA_VERSION = 1
TEETH_PIXELS = 3.0  # teeth coverage (in pixels) above which teeth count as visible in a frame
WITNESS_ANGLES = {"witness_left": -55.0, "witness_right": 60.0}
RIG_PITCHES = (-20.0, 0.0, 20.0)
RIG_EXPRESSIONS = (
    ("neutral", Expression()),
    ("talk", Expression(mouth_open=0.5)),
    ("smile", Expression(smile=0.75)),
    ("toothy_smile", Expression(mouth_open=0.3, smile=1.0, teeth_visible=True)),
    ("open", Expression(mouth_open=0.9, teeth_visible=True)),
    ("blink", Expression(blink=1.0)),
)


@dataclasses.dataclass(frozen=True)
class SynthConfig:
    preset: str = "pirouette"
    size: int = 256
    frames: int = 96
    seed: int = 0
    noise_deg: float = 0.0  # tracker noise added to tracks/plate.chan (the truth stays exact)
    first_frame: int = 1001
    fps: str = "24000/1001"
    review_clip: bool = True


@dataclasses.dataclass
class _Clip:
    """One rendered clip's per-frame records, for its track and truth files."""

    name: str
    camera_name: str
    intrinsics: Intrinsics
    frames: list[int] = dataclasses.field(default_factory=list)
    head_in_camera: list[np.ndarray] = dataclasses.field(default_factory=list)
    truth: list[dict] = dataclasses.field(default_factory=list)

    def add(self, frame: int, camera: np.ndarray, head: np.ndarray, expression: Expression,
            passes: dict[str, np.ndarray]) -> None:
        rel = invert_rigid(camera) @ head
        yaw, pitch, roll = (float(v) for v in yaw_pitch_roll(rel[:3, :3]))
        expression = expression.quantized()  # what was rendered
        self.frames.append(frame)
        self.head_in_camera.append(rel)
        self.truth.append({"frame": frame, "yaw": yaw, "pitch": pitch, "roll": roll,
                           "mouth_open": expression.mouth_open, "smile": expression.smile,
                           "teeth_shown": expression.teeth_visible, "blink": expression.blink,
                           "teeth_visible": bool(float(passes["teeth"].sum()) >= TEETH_PIXELS),
                           "matte_area": float(passes["matte"].sum())})


class _Shooter:
    """Renders the shot's clips with one GL context, reusing head meshes and textures by expression."""

    def __init__(self, config: SynthConfig, chor: Choreography, out: Path, progress):
        self.config, self.chor, self.out, self.progress = config, chor, out, progress
        self.renderer = Renderer(config.size, config.size)
        self.gobo = hair_gobo(config.seed)
        self.stage = stage_drawable(config.seed)
        centre = chor.body(0.5 * (chor.frames - 1))[:3, 3] + np.array([0.0, 0.1, 0.0])
        self.lighting = Lighting(spot_position=tuple(centre + np.array([0.5, 1.4, 1.2])), spot_target=tuple(centre),
                                 spot_cone_deg=22.0)
        self.studio = Lighting(spot_colour=(0.0, 0.0, 0.0), rim_colour=(0.5, 0.5, 0.5), background=(0.18, 0.18, 0.18))
        self.main = Intrinsics(config.size, config.size).with_vfov(chor.vfov_deg)

    def head_drawable(self, identity: Identity, expression: Expression, *, bald: bool = False) -> Drawable:
        head = build_head(identity, expression)
        key = f"{identity.name}-{'bald' if bald else 'hair'}-{head.expression}"
        return Drawable(key, head.bald if bald else head.mesh, head.texture)

    def scene(self, t: float, identity: Identity, expression: Expression, *, camera: np.ndarray,
              intrinsics: Intrinsics, head: np.ndarray | None = None, bald: bool = False,
              stage: bool = True, body: bool = True) -> SceneState:
        chor = self.chor
        head = chor.head(t) if head is None else head
        instances = [Instance(self.head_drawable(identity, expression, bald=bald), head, 1.0)]
        if chor.strands and not bald:
            strands = strands_drawable(identity, head[:3, :3].T @ np.array([0.0, -1.0, 0.0]), self.config.seed)
            if strands is not None:
                instances.append(Instance(strands, head, 1.0))
        if body:
            instances.append(Instance(body_drawable(DANCER), chor.body(t), 0.0))
        if stage:
            instances.append(Instance(self.stage, np.eye(4), 0.0, casts_shadow=False))
        return SceneState(camera=camera, intrinsics=intrinsics, head=head, instances=tuple(instances),
                          lighting=self.lighting, gobo=self.gobo)

    def shoot(self, clip: _Clip, frames: Sequence[tuple[int, list[SceneState], Expression]], pattern: str | None,
              *, write: Callable[[int, dict[str, np.ndarray]], None] | None = None) -> None:
        for frame, states, expression in frames:
            passes = self.renderer.render(states)
            centre = states[len(states) // 2]
            clip.add(frame, centre.camera, centre.head, expression, passes)
            if pattern is not None:
                _write_png(self.out / frame_path(pattern, frame), passes["beauty"])
            if write is not None:
                write(frame, passes)
            self.progress.update(1, f"{clip.name} {frame}")


def _write_png(path: Path, linear: np.ndarray, *, bits: int = 8) -> None:
    from pipeline.media.image import write_image

    write_image(path, linear, bits=bits, srgb_encode=linear.ndim == 3)


def _write_track(out: Path, clip: _Clip, *, noise_deg: float = 0.0, seed: int = 0, truth: str | None = None) -> None:
    transforms = np.array(clip.head_in_camera)
    track = ChanTrack.from_matrices(np.array(clip.frames), transforms)
    if noise_deg > 0:
        rng = np.random.default_rng(seed + 303)
        track.rotation_deg = track.rotation_deg + rng.normal(0.0, noise_deg, track.rotation_deg.shape)
        depth = np.abs(track.translation[:, 2:3])
        track.translation = track.translation + rng.normal(0.0, 1.0, track.translation.shape) * depth * \
            np.radians(noise_deg) * np.array([0.1, 0.1, 1.0])
    write_chan(out / "tracks" / f"{clip.name}.chan", track)
    atomic_write_json(out / "truth" / (truth or f"{clip.name}.json"),
                      {"kind": "synth_truth", "schema_version": 1, "clip": clip.name, "frames": clip.truth})


def run(config: SynthConfig, out_dir: str | os.PathLike, *, progress: ProgressCallback | None = None) -> Path:
    """Write the shot of `config` into `out_dir` (replaced whole, atomically)."""
    if config.size < 64 or config.size > 4096:
        raise InputError(f"--size {config.size}: use 64..4096 pixels")
    if config.noise_deg < 0:
        raise InputError(f"--noise {config.noise_deg}: tracker noise is a standard deviation in degrees, >= 0")
    fps = parse_fps(config.fps, source="synth")
    chor = create_choreography(config.preset, config.frames, config.seed)
    n, first = config.frames, config.first_frame
    total = n * 4 + 2 * n * (1 + len(WITNESS_ANGLES)) + len(RIG_PITCHES) * _rig_steps(n) + _rom_frames(n)
    out = Path(out_dir)
    with atomic_dir(out) as tmp, progress_bar(total, f"synth {config.preset}", callback=progress) as bar:
        shooter = _Shooter(config, chor, tmp, bar)
        try:
            _shoot_plate(shooter, first)
            _shoot_truth(shooter, first)
            _shoot_cg(shooter, first)
            _shoot_walkthrough(shooter, first)
            _shoot_rig(shooter, first)
        finally:
            shooter.renderer.release()
        if config.review_clip:
            from pipeline.media.review import make_review_clip

            make_review_clip(tmp / "plate" / "plate.%04d.png", tmp / "plate" / "plate.mp4", burn_in=config.preset,
                             fps=fps)
        write_manifest(tmp / "synth.json", kind=KIND, version=SCHEMA_VERSION,
                       data={"config": dataclasses.asdict(config), "identities": {"dancer": DANCER.name,
                                                                                  "actor": ACTOR.name}})
        atomic_write_text(tmp / SHOT_FILE, _shot_toml(config, fps))
    logger.info("wrote the %s shot to %s", config.preset, out)
    return out


def render_plate(config: SynthConfig, out_dir: str | os.PathLike, *,
                 progress: ProgressCallback | None = None) -> Path:
    """Only the preset's plate and its truth (plate/, tracks/plate.chan + camera.json, truth/pose.json and the
    mattes), not the actor's material: an eighth of a whole shot's rendering, for the tracker's tests and
    benchmarks, which need a plate whose head pose is known and nothing else."""
    chor = create_choreography(config.preset, config.frames, config.seed)
    out = Path(out_dir)
    with atomic_dir(out) as tmp, progress_bar(config.frames, f"synth {config.preset} plate", callback=progress) as bar:
        shooter = _Shooter(config, chor, tmp, bar)
        try:
            _shoot_plate(shooter, config.first_frame)
        finally:
            shooter.renderer.release()
    return out


def _plate_states(shooter: _Shooter, i: int, identity: Identity, expression: Expression, **kw) -> list[SceneState]:
    """The sub-samples of plate frame index `i` over the preset's shutter, with this head."""
    chor = shooter.chor
    return [shooter.scene(t, identity, expression, camera=chor.camera(t), intrinsics=shooter.main, **kw)
            for t in shutter_times(i, chor.shutter, chor.samples)]


def _shoot_plate(shooter: _Shooter, first: int) -> None:
    chor, config = shooter.chor, shooter.config
    n = chor.frames
    plate = _Clip("plate", "main", shooter.main)

    def write_matte(frame: int, passes: dict[str, np.ndarray]) -> None:
        _write_png(shooter.out / frame_path("truth/matte/matte.%04d.png", frame), passes["matte"], bits=16)

    shooter.shoot(plate, [(first + i, _plate_states(shooter, i, DANCER, chor.expressions[i]), chor.expressions[i])
                          for i in range(n)], "plate/plate.%04d.png", write=write_matte)
    _write_track(shooter.out, plate, noise_deg=config.noise_deg, seed=config.seed, truth="pose.json")
    # the exact track in world space, and the moving camera
    cams = np.array([chor.camera(float(i)) for i in range(n)])
    frames = np.array(plate.frames)
    write_chan(shooter.out / "tracks" / "camera.chan", ChanTrack.from_matrices(
        frames, cams, vfov_deg=np.full(n, shooter.main.vfov_deg)))
    write_chan(shooter.out / "tracks" / "plate_world.chan",
               ChanTrack.from_matrices(frames, np.array([chor.head(float(i)) for i in range(n)])))
    write_intrinsics(shooter.out / "tracks" / "camera.json", shooter.main)


def _shoot_truth(shooter: _Shooter, first: int) -> None:
    """The actor in the plate's pose, light and blur: with the walkthrough's expression and with the dancer's."""
    chor = shooter.chor
    n = chor.frames
    line = walkthrough_performance(2 * n, shooter.config.seed)  # the walkthrough's, retimed to the plate
    for name, expressions in (("rigid", [line[2 * i] for i in range(n)]), ("loose", chor.expressions)):
        clip = _Clip(f"truth_{name}", "main", shooter.main)
        shooter.shoot(clip, [(first + i, _plate_states(shooter, i, ACTOR, expressions[i]), expressions[i])
                             for i in range(n)], f"truth/{name}/{name}.%04d.png")


def _shoot_cg(shooter: _Shooter, first: int) -> None:
    """CG passes of the actor's bald head on the plate's track, with the walkthrough's expression."""
    n = shooter.chor.frames
    line = walkthrough_performance(2 * n, shooter.config.seed)

    def write_cg(frame: int, passes: dict[str, np.ndarray]) -> None:
        write_passes(shooter.out / frame_path("cg/actor.%04d.exr", frame), {k: passes[k] for k in STANDARD_PASSES})

    shooter.shoot(_Clip("cg", "main", shooter.main),
                  [(first + i, _plate_states(shooter, i, ACTOR, line[2 * i], bald=True, stage=False, body=False),
                    line[2 * i]) for i in range(n)], None, write=write_cg)


def _actor_variation(seed: int) -> Callable[[float], np.ndarray]:
    """The actor marks the moves a little differently: a slow extra head rotation (degrees)."""
    rng = np.random.default_rng(seed + 404)
    amps, freqs, phases = rng.uniform(1, 3, (3, 2)), rng.uniform(0.005, 0.02, (3, 2)), rng.uniform(0, 6.3, (3, 2))
    return lambda t: np.sum(amps * np.sin(2 * np.pi * freqs * t + phases), axis=1)


def _shoot_walkthrough(shooter: _Shooter, first: int) -> None:
    """The actor's walkthrough of the choreography at half speed, from the main camera and two witnesses."""
    chor, config = shooter.chor, shooter.config
    m = 2 * chor.frames
    line = walkthrough_performance(m, config.seed)
    vary = _actor_variation(config.seed)

    def head(t_walk: float) -> np.ndarray:
        yaw, pitch, roll = vary(t_walk)
        turn = axis_rotation(1, yaw) @ axis_rotation(0, pitch) @ axis_rotation(2, roll)
        return chor.head(t_walk / 2) @ compose(turn, np.zeros(3))

    centre = np.mean([chor.head(float(i))[:3, 3] for i in range(0, chor.frames, 4)], axis=0)
    cameras: dict[str, tuple[Callable[[float], np.ndarray], Intrinsics]] = {
        "main": (lambda t: chor.camera(t / 2), shooter.main)}
    for name, angle in WITNESS_ANGLES.items():
        position = centre + axis_rotation(1, angle) @ np.array([0.0, 0.2, 3.0])
        cameras[name] = (lambda t, p=position: look_at(p, centre), Intrinsics(config.size, config.size).with_vfov(16.0))
    for camera_name, (camera_at, intrinsics) in cameras.items():
        clip = _Clip(f"walkthrough_{camera_name}", camera_name, intrinsics)
        frames = []
        for j in range(m):
            t = float(j)  # at half speed the motion blur is slight: one sample
            state = shooter.scene(t / 2, ACTOR, line[j], camera=camera_at(t), intrinsics=intrinsics, head=head(t))
            frames.append((first + j, [state], line[j]))
        shooter.shoot(clip, frames, f"actor/{clip.name}/{clip.name}.%04d.png")
        _write_track(shooter.out, clip)
        if camera_name != "main":
            write_intrinsics(shooter.out / "tracks" / f"camera_{camera_name}.json", intrinsics)


def _rom_frames(frames: int) -> int:
    """Frames of the rig's talking range of motion: as many as the plate's, at most 96."""
    return min(96, frames)


def _rig_steps(frames: int) -> int:
    """Yaw steps per pitch of the turntable: 24 (15° apart) for a full-length shot, fewer for short tests."""
    return min(24, max(8, frames // 2))


def _shoot_rig(shooter: _Shooter, first: int) -> None:
    """A capture-rig turntable of the actor: full yaw turns at several pitches, a range of expressions."""
    config = shooter.config
    intrinsics = Intrinsics(config.size, config.size).with_vfov(14.0)
    head_centre = np.array([0.0, NECK_HEIGHT + 0.09, 0.0])
    camera = look_at(head_centre + np.array([0.0, 0.0, 2.2]), head_centre)
    clip = _Clip("rig", "rig", intrinsics)
    frames = []
    k = 0
    for pitch in RIG_PITCHES:
        steps = _rig_steps(shooter.chor.frames)
        for step in range(steps):
            yaw = 360.0 * step / steps
            _, expression = RIG_EXPRESSIONS[k % len(RIG_EXPRESSIONS)]
            head = compose(axis_rotation(1, yaw) @ axis_rotation(0, pitch), head_centre)
            body = compose(axis_rotation(1, yaw), np.array([0.0, NECK_HEIGHT, 0.0]))
            instances = (Instance(shooter.head_drawable(ACTOR, expression), head, 1.0),
                         Instance(body_drawable(ACTOR), body, 0.0))
            state = SceneState(camera=camera, intrinsics=intrinsics, head=head, instances=instances,
                               lighting=shooter.studio)
            frames.append((first + k, [state], expression))
            k += 1
    # Then a range of motion facing the rig camera, turning a little: the actor talks, opens wide and smiles, so
    # a model that learns all of her material has her own open mouth to draw (the walkthrough keeps it small).
    # (only the mouth moves, the teeth showing when it opens wide: the turntable has the smiles and blinks)
    talking = [Expression(mouth_open=e.mouth_open, teeth_visible=e.mouth_open > 0.6)
               for e in dancer_performance(_rom_frames(shooter.chor.frames), config.seed + 303)]
    for i, expression in enumerate(talking):
        yaw = 25.0 * math.sin(2 * math.pi * i / len(talking))
        head = compose(axis_rotation(1, yaw), head_centre)
        body = compose(np.eye(3), np.array([0.0, NECK_HEIGHT, 0.0]))
        instances = (Instance(shooter.head_drawable(ACTOR, expression), head, 1.0),
                     Instance(body_drawable(ACTOR), body, 0.0))
        frames.append((first + k, [SceneState(camera=camera, intrinsics=intrinsics, head=head, instances=instances,
                                              lighting=shooter.studio)], expression))
        k += 1
    shooter.shoot(clip, frames, "actor/rig/rig.%04d.png")
    _write_track(shooter.out, clip)
    write_intrinsics(shooter.out / "tracks" / "camera_rig.json", intrinsics)


def _shot_toml(config: SynthConfig, fps: Fraction) -> str:
    last = config.first_frame + config.frames - 1
    sources = [("plate", "dancer", "plate", "main", "plate/plate.%04d.png", "tracks/plate.chan", [])]
    for cam in ("main", *WITNESS_ANGLES):
        name = f"walkthrough_{cam}"
        sources.append((name, "actor", "walkthrough", cam, f"actor/{name}/{name}.%04d.png", f"tracks/{name}.chan",
                        ["serious", "half_speed"]))
    sources.append(("rig", "actor", "rig", "rig", "actor/rig/rig.%04d.png", "tracks/rig.chan", ["turntable"]))
    lines = [
        f"# synthetic shot: facereplace synth --preset {config.preset} --size {config.size} --frames {config.frames} "
        f"--seed {config.seed} --noise {config.noise_deg}",
        "schema_version = 1", "",
        "[shot]", f'name = "{config.preset}"', f"first_frame = {config.first_frame}", f"last_frame = {last}",
        f'fps = "{fps.numerator}/{fps.denominator}"', 'plate = "plate/plate.%04d.png"',
        'head_track = "tracks/plate.chan"', 'camera = "tracks/camera.json"', 'rotation_order = "ZXY"', "",
        "[cameras]", 'main = "tracks/camera.json"',
        *(f'{cam} = "tracks/camera_{cam}.json"' for cam in (*WITNESS_ANGLES, "rig")), "",
    ]
    for name, identity, kind, cam, clip, track, tags in sources:
        lines += ["[[sources]]", f'name = "{name}"', f'identity = "{identity}"', f'kind = "{kind}"',
                  f'camera = "{cam}"', f'clip = "{clip}"', f'track = "{track}"',
                  "tags = [" + ", ".join(f'"{t}"' for t in tags) + "]"]
        if kind == "walkthrough":  # performed at half speed from the plate's first moment
            lines.append(f"sync = {{frame = {config.first_frame}, plate_frame = {config.first_frame}, rate = 0.5}}")
        lines.append("")
    lines += ["[cg]", 'passes = "cg/actor.%04d.exr"', "",
              "[truth]", 'pose = "truth/pose.json"', 'matte = "truth/matte/matte.%04d.png"',
              'rigid = "truth/rigid/rigid.%04d.png"', 'loose = "truth/loose/loose.%04d.png"', ""]
    lines += _engine_settings()
    return "\n".join(lines)


def _engine_settings() -> list[str]:
    """The later stages' tables: curation that keeps the actor's performance, and a variant of each model."""
    from pipeline.dataset.coverage import MANIFEST as COVERAGE

    coverage = (ShotLayout(Path()).dataset.coverage / COVERAGE).as_posix()  # relative to the shot folder
    variants = [line for model in list_models() for line in (
        "[[variants]]", f'name = "{model}"', f'model = "{model}"', f'coverage = "{coverage}"', "")]
    return [
        "[dataset]",
        "# the dancer's toothy smile and wide-open mouth are not the actor's: prune what would force them (the",
        "# actor's line, never wide, measures up to about 0.45)",
        'rules = [{drop = "teeth_visible", name = "no teeth"}, {drop = "mouth_open > 0.5", name = "no open mouth"}]',
        '# procedural heads: the face mesh (trained on real faces) misreads their lips and eyelids',
        'face_reading = "regions"',
        "# the proxy's outline is the CG head's own: no segmentation to join it with",
        "mask_person = false",
        "", *variants]
