"""The commented shot.toml `shot init` writes: the shot, its cameras and sources with a word on each, then every
settings table with its defaults commented out (docs/settings.md says the same at length)."""
from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.models.registry import list_models
from pipeline.settings_doc import commented_table, toml_value

if TYPE_CHECKING:
    from pipeline.geometry import Intrinsics
    from pipeline.intake.stage import ActorSource, _Clip

# The actor's material is her performance; the dancer's open mouth and teeth may not be. Real footage measured with
# the face mesh (pipeline.dataset.descriptors): a talking mouth reads below 0.5, a wide one above.
# The fit set's size from the actor's material: most of a clip's frames are near-duplicates of their neighbours
# and many are far from any plate pose (nersemble's three 184-frame views against turn_talk_wojtek: 139 crops,
# 43 of them within 25 degrees of the plate's poses once the toothy ones are pruned).
FIT_FRAMES_PER_CROP = 15
FIT_LEAST, FIT_MOST = 20, 200
DATASET_RULES = '[{drop = "teeth_visible", name = "no teeth"}, {drop = "mouth_open > 0.5", name = "no open mouth"}]'


def shot_toml(*, name: str, frames: range, fps: Fraction, plate: str, plate_from: str, cameras: dict[str, str],
              lenses: dict[str, tuple[Intrinsics, str]], sources: list[tuple[ActorSource, str, _Clip]]) -> str:
    """The text of shot.toml; `lenses` are each camera's intrinsics and where its lens came from (given, metadata,
    estimated); `sources` are (actor source, its clip's path relative to the shot, what it is)."""
    from pipeline.dataset.coverage import MANIFEST as COVERAGE
    from pipeline.intake.stage import lens_text
    from pipeline.shot import ShotLayout, settings_tables

    def lens(camera: str) -> str:
        intrinsics, where = lenses[camera]
        if where == "estimated":
            return (f"lens ESTIMATED from the face ({lens_text(intrinsics.focal_mm, intrinsics.film_back_mm)}): set "
                    "its focal_mm and film_back_mm if known")
        return "lens from the clip's metadata" if where == "metadata" else "lens given"

    lines = [
        f"# Made by `facereplace shot init` from {plate_from}. Every table and setting: docs/settings.md.",
        "schema_version = 1", "",
        "[shot]",
        f"name = {toml_value(name)}",
        f"first_frame = {frames.start}  # the plate's own frame numbers, everywhere (tracks, notes, QC)",
        f"last_frame = {frames[-1]}",
        f'fps = "{fps.numerator}/{fps.denominator}"',
        f"plate = {toml_value(plate)}  # the plate's frames {frames.start}-{frames[-1]}",
        'head_track = "tracks/plate.json"  # solved by the track stage; a matchmove .chan here is imported instead',
        f'camera = "tracks/camera.json"  # {lens("main")}',
        'rotation_order = "ZXY"  # of .chan head tracks (Nuke\'s default)', "",
        "[cameras]  # the intrinsics of each clip's camera (width, height, focal_mm, film_back_mm)",
        *(f"{camera} = {toml_value(path)}  # {lens(camera)}" for camera, path in cameras.items()), "",
        "[[sources]]  # the dancer: the plate itself",
        'name = "plate"', 'identity = "dancer"', 'kind = "plate"', 'camera = "main"', f"clip = {toml_value(plate)}",
        'track = "tracks/plate.json"', "",
    ]
    for source, clip_path, clip in sources:
        numbered = ("a video: its frames are numbered from first_frame" if clip.kind == "video"
                    else "an image sequence: its own frame numbers")
        lines += [
            f"[[sources]]  # the actor: {source.path} ({numbered}, {clip.frames.start}-{clip.frames[-1]})",
            f"name = {toml_value(source.name)}", 'identity = "actor"', f"kind = {toml_value(source.kind)}",
            f"camera = {toml_value(source.name)}", f"clip = {toml_value(clip_path)}",
            f"track = {toml_value(f'tracks/{source.name}.json')}", "tags = []",
        ]
        if source.sync is not None:
            s = source.sync
            lines.append(f"sync = {{frame = {s.frame}, plate_frame = {s.plate_frame}, rate = {s.rate:g}}}"
                         "  # clip frame `frame` is plate frame `plate_frame`")
        else:
            lines.append("# sync = {frame = 1001, plate_frame = 1001, rate = 1.0}  # when the clip follows the plate's "
                         "action (a walkthrough): clip `frame` is plate `plate_frame`")
        lines.append("")
    lines += ["# --- settings of the later stages; absent keys keep the defaults shown commented out ---", ""]
    actor_frames = sum(len(clip.frames) for _, _, clip in sources)
    fit_size = max(FIT_LEAST, min(FIT_MOST, actor_frames // FIT_FRAMES_PER_CROP))
    for table, cls in settings_tables().items():
        if table == "dataset":
            lines += ["# what the rules prune when the actor's performance must not take the dancer's open mouth:",
                      f"# [dataset] rules = {DATASET_RULES}", *commented_table(f"[{table}]", cls), ""]
        elif table == "fit":  # the one table set here: a fit set the actor's material can fill
            rest = [line for line in commented_table(f"[{table}]", cls)[1:] if not line.startswith("# size =")]
            lines += ["[fit]", f"size = {fit_size}  # crops: one for every {FIT_FRAMES_PER_CROP} frames of actor "
                      f"material ({actor_frames}); raise it with more", *rest, ""]
        elif table != "variants":
            lines += [*commented_table(f"[{table}]", cls), ""]
    coverage = (ShotLayout(Path()).dataset.coverage / COVERAGE).as_posix()  # relative to the shot folder
    for model in list_models():
        lines += ["[[variants]]", f'name = "{model}"', f'model = "{model}"', f"coverage = {toml_value(coverage)}", ""]
    return "\n".join(lines)
