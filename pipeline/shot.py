"""One shot, described by one `shot.toml`: the plate, its head track and camera, the training sources, the
CG passes, the ground truth (synthetic shots only) and the settings tables of the later stages.

Every path is relative to the folder holding `shot.toml`; `load_shot` resolves them and checks that each
file (or, for an image sequence, at least one frame of it) exists. Sequence paths use printf patterns
(`plate/plate.%04d.png`) with the plate's own frame numbers.

Format (schema_version 1)::

    schema_version = 1

    [shot]
    name = "pirouette"
    first_frame = 1001
    last_frame = 1096
    fps = "24000/1001"                  # a ratio, an integer, or a shorthand such as 23.976
    plate = "plate/plate.%04d.png"      # image sequence or video
    audio = "plate/plate.wav"           # optional: the plate's sound, its time 0 at first_frame (default: a
                                        # video plate's own sound); review clips carry it
    head_track = "tracks/plate.chan"    # head pose in the camera's frame, Nuke .chan conventions (or head_track
                                        # JSON); not there yet: the track stage solves it from the plate
    camera = "tracks/camera.json"       # intrinsics of the plate camera
    rotation_order = "ZXY"              # of head_track and every source track (Nuke's default)

    [cameras]                           # optional: intrinsics of every camera a source names
    main = "tracks/camera.json"
    witness_left = "tracks/camera_witness_left.json"

    [[sources]]                         # material of the two people (any number, the plate included)
    name = "walkthrough_main"
    identity = "actor"                  # "dancer" | "actor"
    kind = "walkthrough"                # "plate" | "walkthrough" | "rig" | "cg"
    camera = "main"                     # a key of [cameras]
    clip = "actor/walkthrough_main/walkthrough_main.%04d.png"
    track = "tracks/walkthrough_main.chan"  # not there yet: the track stage solves it from the clip
    tags = ["serious"]                  # optional
    sync = {frame = 1001, plate_frame = 1001, rate = 0.5}
                                        # optional: the clip follows the plate's action in time (a walkthrough):
                                        # its `frame` is the plate's `plate_frame`, and each clip frame advances
                                        # `rate` plate frames (0.5: performed at half speed). A rigid model then
                                        # takes the actor's expression from the same moment of the performance.

    [cg]                                # optional: CG passes of the actor's bald head, one multi-layer EXR a frame
    passes = "cg/actor.%04d.exr"

    [truth]                             # optional, synthetic shots only
    pose = "truth/pose.json"            # per frame yaw, pitch, roll, mouth_open, teeth_visible
    matte = "truth/matte/matte.%04d.png"
    rigid = "truth/rigid/rigid.%04d.png"
    loose = "truth/loose/loose.%04d.png"

    [track]  [stabilize]  [dataset]  [fit]  [train]  [[variants]]  [convert]
                                        # settings of the later stages, parsed and checked once into
                                        # Shot.config (ShotConfig: one typed config per table, defaults where
                                        # a table is absent); a bad setting names its table and key

Head tracks hold the head's transform in the camera's frame (camera at the origin looking down -Z, Y up):
yaw is ry, pitch rx, roll rz, and yaw = pitch = roll = 0 is the face looking straight into the lens.
"""
from __future__ import annotations

import dataclasses
import glob
import os
import re
import tomllib
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.errors import InputError
from pipeline.media.colour import ColourConfig, DisplayTransform, display_transform
from pipeline.media.fps import parse_fps
from pipeline.models.registry import list_models

if TYPE_CHECKING:
    from pipeline.convert.config import ConvertConfig, VariantConfig
    from pipeline.dataset.config import DatasetConfig, FitConfig
    from pipeline.stabilize.config import StabilizeConfig
    from pipeline.track.solve import SolveConfig
    from pipeline.train.config import TrainConfig

SCHEMA_VERSION = 1
SHOT_FILE = "shot.toml"
IDENTITIES = ("dancer", "actor")
SOURCE_KINDS = ("plate", "walkthrough", "rig", "cg")
ROTATION_ORDERS = ("XYZ", "XZY", "YXZ", "YZX", "ZXY", "ZYX")
STAGE_SECTIONS = ("track", "stabilize", "dataset", "fit", "train", "variants", "convert")
_PRINTF = re.compile(r"%0?(\d*)d")


@dataclass(frozen=True)
class SourceSync:
    """When a clip's frames happen on the plate: clip `frame` is plate `plate_frame`; one clip frame is `rate`
    plate frames (a walkthrough at half speed: 0.5)."""

    frame: int
    plate_frame: int
    rate: float = 1.0

    def plate_time(self, frame: float) -> float:
        """The plate frame (fractional) at which clip frame `frame` happens."""
        return self.plate_frame + (frame - self.frame) * self.rate


@dataclass(frozen=True)
class Source:
    """A clip of one person with its head track, from one camera (and, optionally, its sync to the plate)."""

    name: str
    identity: str
    kind: str
    camera: str
    clip: Path
    track: Path
    tags: tuple[str, ...] = ()
    sync: SourceSync | None = None


@dataclass(frozen=True)
class Truth:
    """Ground truth of a synthetic shot (absent for real footage)."""

    pose: Path
    matte: Path | None = None
    rigid: Path | None = None
    loose: Path | None = None


@dataclass(frozen=True)
class ShotConfig:
    """The settings tables of the later stages, parsed and checked once when the shot is read: each stage takes
    its own from here (its defaults where shot.toml has no such table)."""

    track: SolveConfig
    stabilize: StabilizeConfig
    dataset: DatasetConfig
    fit: FitConfig
    train: TrainConfig
    convert: ConvertConfig
    colour: ColourConfig = ColourConfig()
    variants: tuple[VariantConfig, ...] = ()  # the [[variants]] tables in order, names unique


def settings_tables() -> dict[str, type]:
    """The typed config of each settings table of shot.toml, in the stages' order ("variants" is the config of
    one [[variants]] table): what `shot_config` reads and docs/settings.md documents."""
    # The configs live beside their stages, whose packages import this module: imported here, when first used.
    from pipeline.convert.config import ConvertConfig, VariantConfig
    from pipeline.dataset.config import DatasetConfig, FitConfig
    from pipeline.stabilize.config import StabilizeConfig
    from pipeline.track.solve import SolveConfig
    from pipeline.train.config import TrainConfig

    return {"track": SolveConfig, "stabilize": StabilizeConfig, "dataset": DatasetConfig, "fit": FitConfig,
            "train": TrainConfig, "variants": VariantConfig, "convert": ConvertConfig, "colour": ColourConfig}


def shot_config(data: dict[str, Any], *, where: str) -> ShotConfig:
    """The typed settings of a shot's stage tables (`data` is the whole shot.toml); a bad setting is an
    InputError naming `where`, its table and key."""
    from pipeline.config import config_from_dict
    from pipeline.convert.config import variant_configs

    tables = {name: (cls, _table(data, name, where)) for name, cls in settings_tables().items() if name != "variants"}
    return ShotConfig(**{name: config_from_dict(cls, table, where=f"{where} [{name}]")
                         for name, (cls, table) in tables.items()},
                      variants=variant_configs(data.get("variants", []), where=where))


def default_shot_config() -> ShotConfig:
    """Every stage's defaults (a shot.toml with no settings tables)."""
    return shot_config({}, where="defaults")


@dataclass(frozen=True)
class Shot:
    """A shot folder's description, every path absolute."""

    root: Path
    name: str
    first_frame: int
    last_frame: int
    fps: Fraction
    plate: Path
    head_track: Path
    camera: Path
    rotation_order: str = "ZXY"
    cameras: dict[str, Path] = field(default_factory=dict)
    sources: tuple[Source, ...] = ()
    cg_passes: Path | None = None
    truth: Truth | None = None
    audio: Path | None = None  # a separate sound file of the plate (a sequence has none of its own)
    config: ShotConfig = field(default_factory=default_shot_config)

    @property
    def frames(self) -> range:
        return range(self.first_frame, self.last_frame + 1)

    def display_transform(self) -> DisplayTransform:
        """The OCIO display transform of the shot's review clips ([colour], a relative config from the shot folder)."""
        return display_transform(self.config.colour, root=self.root)

    @property
    def sound(self) -> Path:
        """Where the plate's sound is: the separate audio file, else the plate itself (which may have none)."""
        return self.audio or self.plate

    def variant(self, name: str) -> VariantConfig:
        """The [[variants]] table `name`; an InputError listing the defined ones when there is none."""
        for variant in self.config.variants:
            if variant.name == name:
                return variant
        known = ", ".join(v.name for v in self.config.variants) or "none"
        models = " | ".join(f'"{m}"' for m in list_models())
        raise InputError(f"{self.root / SHOT_FILE}: no [[variants]] table named {name!r} (defined: {known}); add "
                         f"one with name = {name!r} and model = {models}")

    def with_settings(self, **tables: dict[str, Any]) -> Shot:
        """This shot with settings laid over its tables, e.g. `with_settings(dataset={"size": 64})` (a runner's
        smaller crops, a command line's flags; None values change nothing), checked as shot.toml's are."""
        from pipeline.config import config_with

        changed = {name: config_with(getattr(self.config, name), where=f"{self.root / SHOT_FILE} [{name}]", **values)
                   for name, values in tables.items()}
        return dataclasses.replace(self, config=dataclasses.replace(self.config, **changed))

    def sources_of(self, *, identity: str | None = None, kind: str | None = None) -> tuple[Source, ...]:
        return tuple(s for s in self.sources
                     if (identity is None or s.identity == identity) and (kind is None or s.kind == kind))


@dataclass(frozen=True)
class DatasetLayout:
    """The dataset stage's folders: SHOT/dataset of a shot, or any folder `facereplace dataset --out` names."""

    root: Path

    def faceset(self, identity: str = "actor") -> Path:
        """The faceset of one identity, every source of it."""
        return self.root / identity

    @property
    def kept(self) -> Path:
        """The actor's faceset after the shot's [dataset] rules, with their reports."""
        return self.root / "actor_kept"

    @property
    def fit(self) -> Path:
        """The shot's fit set (a faceset) and its report."""
        return self.root / "fit"

    @property
    def coverage(self) -> Path:
        """coverage.json and coverage.png: the plate frames no training pose is near."""
        return self.root / "coverage"


@dataclass(frozen=True)
class ShotLayout:
    """Where every stage of the engine writes in a shot folder. The one place that names these folders: the
    stages, the shot runner and the review site's jobs all ask it, so a folder is renamed here or nowhere.

        shot.toml
        work/track.json  work/stabilize/     the head track the runner imported or solved; head crops
        dataset/{actor,dancer,actor_kept,fit,coverage}/
        train/MODEL/{base,fit}/              checkpoints of each model (rigid, loose, cg)
        convert/VARIANT/                     each [[variants]] table converted
        eval/  eval/VARIANT/                 scores against a synthetic shot's truth (all, or one variant's)
        review/plate.mp4  review/variants/VARIANT/   what `facereplace publish` sends to the site
        comp/  renders/renderN/              the final comp (`facereplace comp`; the site's render N)
    """

    root: Path

    @property
    def shot_file(self) -> Path:
        return self.root / SHOT_FILE

    @property
    def track(self) -> Path:
        """The shot's head track as the runner's track stage wrote it (head_track JSON)."""
        return self.root / "work" / "track.json"

    @property
    def stabilize(self) -> Path:
        return self.root / "work" / "stabilize"

    @property
    def dataset(self) -> DatasetLayout:
        return DatasetLayout(self.root / "dataset")

    def train(self, model: str, stage: str) -> Path:
        """One training stage of one model: checkpoint, its JSON summary, previews."""
        return self.root / "train" / model / stage

    def checkpoint(self, model: str, stage: str) -> Path:
        """The checkpoint file of a training stage (pipeline.train.checkpoint's CHECKPOINT_FILE)."""
        return self.train(model, stage) / "checkpoint.pt"

    @property
    def converted(self) -> Path:
        """The folder holding every converted variant (one sub-folder each)."""
        return self.root / "convert"

    def convert(self, variant: str) -> Path:
        return self.converted / variant

    def eval(self, variant: str | None = None) -> Path:
        """The shot's scores, or those of one variant alone (a site job scoring a variant as it is joined)."""
        return self.root / "eval" if variant is None else self.root / "eval" / variant

    @property
    def plate_clip(self) -> Path:
        """The plate's review clip, published with the shot."""
        return self.root / "review" / "plate.mp4"

    @property
    def review_variants(self) -> Path:
        return self.root / "review" / "variants"

    def review_variant(self, variant: str) -> Path:
        """A converted variant as publish sends it (variant.json beside a link to its review clip)."""
        return self.review_variants / variant

    @property
    def comp(self) -> Path:
        return self.root / "comp"

    def render(self, number: int) -> Path:
        """The comp of the site's render `number` (kept: its EXR frames, Nuke script and OTIO are the hand-off)."""
        return self.root / "renders" / f"render{number}"


def frame_path(pattern: Path | str, frame: int) -> Path:
    """The file of `frame` in a printf sequence pattern (`plate.%04d.png`)."""
    return Path(_PRINTF.sub(lambda m: f"{frame:0{m.group(1) or 1}d}", os.fspath(pattern)))


def load_shot(path: str | os.PathLike) -> Shot:
    """Read and check `shot.toml` (or the folder holding it)."""
    p = Path(path)
    if p.is_dir():
        p = p / SHOT_FILE
    if not p.is_file():
        raise InputError(f"{p}: no such shot file; give a shot folder or its {SHOT_FILE}")
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{p}: not valid TOML ({exc})") from None
    return shot_from_dict(data, root=p.parent.resolve(), where=str(p))


def shot_from_dict(data: dict[str, Any], *, root: Path, where: str) -> Shot:
    version = data.get("schema_version", SCHEMA_VERSION)
    if version != SCHEMA_VERSION:
        raise InputError(f"{where}: shot schema_version {version!r} is not supported (this engine reads "
                         f"{SCHEMA_VERSION})")
    known = {"schema_version", "shot", "cameras", "sources", "cg", "truth", *STAGE_SECTIONS}
    unknown = sorted(set(data) - known)
    if unknown:
        raise InputError(f"{where}: unknown table(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    table = _table(data, "shot", where, required=True)
    w = f"{where} [shot]"
    _no_unknown(table, {"name", "first_frame", "last_frame", "fps", "plate", "audio", "head_track", "camera",
                        "rotation_order"}, w)
    first, last = _int(table, "first_frame", w), _int(table, "last_frame", w)
    if last < first:
        raise InputError(f"{w}: last_frame {last} is before first_frame {first}")
    rotation_order = table.get("rotation_order", "ZXY")
    if rotation_order not in ROTATION_ORDERS:
        raise InputError(f"{w}: rotation_order {rotation_order!r} is not one of {', '.join(ROTATION_ORDERS)}")
    if "fps" not in table:
        raise InputError(f"{w}: missing key 'fps' (e.g. fps = \"24000/1001\")")
    camera = _path(table, "camera", root, w, required=True)

    cameras_table = _table(data, "cameras", where)
    cameras = {name: _path(cameras_table, name, root, f"{where} [cameras]", required=True) for name in cameras_table}
    cameras.setdefault("main", camera)

    raw_sources = data.get("sources", [])
    if not isinstance(raw_sources, list):
        raise InputError(f"{where}: 'sources' must be an array of tables ([[sources]])")
    sources = tuple(_source(s, root, cameras, f"{where} [[sources]] #{i + 1}") for i, s in enumerate(raw_sources))
    names = [s.name for s in sources]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise InputError(f"{where}: source name(s) used twice: {', '.join(duplicates)}")

    cg = _table(data, "cg", where)
    _no_unknown(cg, {"passes"}, f"{where} [cg]")
    truth_table = _table(data, "truth", where)
    truth = None
    if truth_table:
        wt = f"{where} [truth]"
        _no_unknown(truth_table, {"pose", "matte", "rigid", "loose"}, wt)
        truth = Truth(pose=_path(truth_table, "pose", root, wt, required=True),
                      matte=_path(truth_table, "matte", root, wt), rigid=_path(truth_table, "rigid", root, wt),
                      loose=_path(truth_table, "loose", root, wt))

    return Shot(root=root, name=_str(table, "name", w), first_frame=first, last_frame=last,
                fps=parse_fps(table["fps"], source=f"{w} fps"), plate=_path(table, "plate", root, w, required=True),
                head_track=_path(table, "head_track", root, w, required=True, solvable=True), camera=camera,
                rotation_order=rotation_order, cameras=cameras, sources=sources,
                cg_passes=_path(cg, "passes", root, f"{where} [cg]"), truth=truth, audio=_path(table, "audio", root, w),
                config=shot_config(data, where=where))


def _source(raw: Any, root: Path, cameras: dict[str, Path], where: str) -> Source:
    if not isinstance(raw, dict):
        raise InputError(f"{where}: expected a table")
    _no_unknown(raw, {"name", "identity", "kind", "camera", "clip", "track", "tags", "sync"}, where)
    name = _str(raw, "name", where)
    where = f"{where} ({name})"
    identity, kind, camera = _str(raw, "identity", where), _str(raw, "kind", where), raw.get("camera", "main")
    if identity not in IDENTITIES:
        raise InputError(f"{where}: identity {identity!r} is not one of {', '.join(IDENTITIES)}")
    if kind not in SOURCE_KINDS:
        raise InputError(f"{where}: kind {kind!r} is not one of {', '.join(SOURCE_KINDS)}")
    if camera not in cameras:
        raise InputError(f"{where}: camera {camera!r} is not in [cameras] (known: {', '.join(sorted(cameras))})")
    tags = raw.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise InputError(f"{where}: tags must be a list of strings, got {tags!r}")
    return Source(name=name, identity=identity, kind=kind, camera=camera,
                  clip=_path(raw, "clip", root, where, required=True),
                  track=_path(raw, "track", root, where, required=True, solvable=True), tags=tuple(tags),
                  sync=_sync(raw["sync"], f"{where} sync") if "sync" in raw else None)


def _sync(raw: Any, where: str) -> SourceSync:
    if not isinstance(raw, dict):
        raise InputError(f"{where}: expected a table, e.g. sync = {{frame = 1001, plate_frame = 1001, rate = 0.5}}")
    _no_unknown(raw, {"frame", "plate_frame", "rate"}, where)
    for key in ("frame", "plate_frame"):
        if not isinstance(raw.get(key), int) or isinstance(raw.get(key), bool):
            raise InputError(f"{where}: '{key}' must be a frame number (an integer), got {raw.get(key)!r}")
    rate = raw.get("rate", 1.0)
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 < rate <= 16:
        raise InputError(f"{where}: 'rate' is plate frames per clip frame (0.5 for a half-speed walkthrough), "
                         f"a number in (0, 16]; got {rate!r}")
    return SourceSync(frame=raw["frame"], plate_frame=raw["plate_frame"], rate=float(rate))


def _table(data: dict[str, Any], key: str, where: str, *, required: bool = False) -> dict[str, Any]:
    if key not in data:
        if required:
            raise InputError(f"{where}: missing table [{key}]")
        return {}
    if not isinstance(data[key], dict):
        raise InputError(f"{where}: [{key}] must be a table")
    return data[key]


def _no_unknown(table: dict[str, Any], known: set[str], where: str) -> None:
    unknown = sorted(set(table) - known)
    if unknown:
        raise InputError(f"{where}: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")


def _str(table: dict[str, Any], key: str, where: str) -> str:
    if key not in table:
        raise InputError(f"{where}: missing key '{key}'")
    if not isinstance(table[key], str) or not table[key]:
        raise InputError(f"{where}: '{key}' must be a non-empty string, got {table[key]!r}")
    return table[key]


def _int(table: dict[str, Any], key: str, where: str) -> int:
    if key not in table:
        raise InputError(f"{where}: missing key '{key}'")
    if not isinstance(table[key], int) or isinstance(table[key], bool):
        raise InputError(f"{where}: '{key}' must be an integer, got {table[key]!r}")
    return table[key]


def _path(table: dict[str, Any], key: str, root: Path, where: str, *, required: bool = False,
          solvable: bool = False) -> Path | None:
    """Resolve a path relative to the shot folder and check it exists (a sequence: at least one frame). A
    `solvable` path (a head track) may be missing: the track stage writes it, solving it from its clip."""
    if key not in table:
        if required:
            raise InputError(f"{where}: missing key '{key}'")
        return None
    path = root / _str(table, key, where)
    if solvable:
        if path.suffix.lower() not in (".chan", ".json"):
            raise InputError(f"{where}: '{key}' = {table[key]!r}: a head track is a .chan or a head_track .json file")
        if path.is_dir():
            raise InputError(f"{where}: '{key}' = {table[key]!r}: {path} is a folder, not a head track file")
        return path
    if _PRINTF.search(path.name):
        if not glob.glob(glob.escape(str(path.parent)) + os.sep + _PRINTF.sub("[0-9]*", glob.escape(path.name))):
            raise InputError(f"{where}: '{key}' = {table[key]!r}: no frame of this sequence exists in {path.parent}")
    elif not path.exists():
        raise InputError(f"{where}: '{key}' = {table[key]!r}: {path} does not exist")
    return path
