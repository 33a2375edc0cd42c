"""Hand-off to compositing: the comp as a Nuke script (`.nk`) and the edit as OpenTimelineIO (`.otio`).

The Nuke script rebuilds the render: a Read of the plate, a Read of each variant's swap pass (premultiplied
RGBA in plate space, with its `mask` channel pulled out by a Shuffle), Merge2 (over) of each swap over the
plate, and a chain of Dissolve nodes whose animated `which` follows the edit's cuts and crossfades; the head
track is an animated Axis2 (translate, rotate in the shot's rotation order). Nodes are written in Nuke's
stack order: a node with inputs takes them from the stack, the top of the stack being input 0 (B of a Merge).
"""
from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.atomic import atomic_write_text
from pipeline.comp.edit import Edit
from pipeline.convert.converted import ConvertedVariant
from pipeline.geometry import matrix_to_euler, unwrap_euler
from pipeline.media.colour import DisplayTransform

_PRINTF = re.compile(r"%0?(\d*)d")
NUKE_CLASSES = ("Root", "Read", "Axis2", "Shuffle", "Merge2", "Dissolve", "Write")


def hashes(pattern: str | os.PathLike) -> str:
    """A printf sequence pattern in Nuke's #### form."""
    return _PRINTF.sub(lambda m: "#" * int(m.group(1) or 1), os.fspath(pattern))


def _quote(text: str) -> str:
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _curve(first: int, values: Sequence[float]) -> str:
    return "{curve x%d %s}" % (first, " ".join(f"{v:.6g}" for v in values))


def _node(cls: str, knobs: Sequence[tuple[str, str]], *, inputs: int | None = None) -> list[str]:
    lines = [f"{cls} {{"]
    if inputs is not None:
        lines.append(f" inputs {inputs}")
    lines += [f" {k} {v}" for k, v in knobs]
    return [*lines, "}"]


def _safe(name: str) -> str:
    return re.sub(r"\W", "_", name)


def nuke_script(*, shot: Any, edit: Edit, variants: Mapping[str, ConvertedVariant], track: Any,
                output: str | os.PathLike, colour: DisplayTransform, plate_linear: bool) -> str:
    """The .nk text: plate, passes, head track, masks, Merge tree following the edit, Write of `output`.

    The Root is set to OCIO colour management with the review clips' config, working space and monitor view, and
    every linear Read and the Write name the engine's colour space, so Nuke shows what the review showed.
    """
    space = _quote(colour.colour_space)
    first, last = shot.first_frame, shot.last_frame
    like = next(iter(variants.values()))
    width, height = like["width"], like["height"]
    lines = ["#! nuke script written by facereplace comp", "version 15.0 v1"]
    lines += _node("Root", [("first_frame", str(first)),
                            ("last_frame", str(last)), ("fps", f"{float(Fraction(shot.fps)):.6g}"),
                            ("format", _quote(f"{width} {height} 0 0 {width} {height} 1 facereplace_plate")),
                            ("colorManagement", "OCIO"), ("OCIO_config", "custom"),
                            ("customOCIOConfigPath", _quote(colour.config)), ("workingSpaceLUT", space),
                            ("monitorOutLUT", _quote(f"{colour.view} ({colour.display})"))])
    lines += _node("Read", [("file", _quote(hashes(shot.plate))), ("first", str(first)), ("last", str(last)),
                            ("colorspace", space if plate_linear else "sRGB"), ("name", "Plate")], inputs=0)
    lines.append("set N_plate [stack 0]")
    frames = np.asarray(track.frames)
    angles = unwrap_euler(matrix_to_euler(track.rotation, shot.rotation_order), shot.rotation_order)  # no jumps
    lines += _node("Axis2", [("rot_order", shot.rotation_order),
                             ("translate", "{" + " ".join(_curve(int(frames[0]), track.translation[:, k])
                                                          for k in range(3)) + "}"),
                             ("rotate", "{" + " ".join(_curve(int(frames[0]), angles[:, k]) for k in range(3)) + "}"),
                             ("name", "HeadTrack")], inputs=0)
    for name in edit.variants:
        data, v = variants[name], _safe(name)
        swap = data.folder / data["passes"]["swap"]
        lines += _node("Read", [("file", _quote(hashes(swap))), ("first", str(first)), ("last", str(last)),
                                ("colorspace", space), ("premultiplied", "true"), ("name", f"Swap_{v}")], inputs=0)
        lines.append(f"set N_swap_{v} [stack 0]")
        lines += _node("Shuffle", [("in", "mask"), ("name", f"Mask_{v}")])
        # the plate's own face painted out (the pass's paint layer, black where none was) goes under the swap
        lines += [f"push $N_swap_{v}"]
        lines += _node("Shuffle", [("in", "paint"), ("name", f"Paint_{v}")])
        lines.append("push $N_plate")
        lines += _node("Merge2", [("operation", "over"), ("name", f"Clean_{v}")], inputs=2)
        lines.append(f"set N_clean_{v} [stack 0]")
        lines += [f"push $N_swap_{v}", f"push $N_clean_{v}"]
        lines += _node("Merge2", [("operation", "over"), ("name", f"Comp_{v}")], inputs=2)
        lines.append(f"set N_comp_{v} [stack 0]")
    lines.append(f"push $N_comp_{_safe(edit.segments[0].variant)}")
    for k in range(1, len(edit.segments)):
        which = [sum(w for i, w in edit.segment_weights(f) if i >= k) for f in range(first, last + 1)]
        lines.append("set N_edit [stack 0]")
        lines += [f"push $N_comp_{_safe(edit.segments[k].variant)}", "push $N_edit"]
        lines += _node("Dissolve", [("which", "{" + _curve(first, which) + "}"), ("name", f"Edit_{k}")], inputs=2)
    lines += _node("Write", [("file", _quote(hashes(output))), ("file_type", "exr"), ("colorspace", space),
                             ("first", str(first)),
                             ("last", str(last)), ("name", "Write_comp")])
    return "\n".join(lines) + "\n"


def write_nuke(path: str | os.PathLike, **kw: Any) -> Path:
    return atomic_write_text(path, nuke_script(**kw))


def edit_timeline(*, shot: Any, edit: Edit, variants: Mapping[str, ConvertedVariant]) -> Any:
    """The edit as an OpenTimelineIO timeline: one clip per segment (the variant's comp frames), crossfades
    as SMPTE dissolves split around the cut as the render does."""
    import opentimelineio as otio

    rate = float(Fraction(shot.fps))
    RT, TR = otio.opentime.RationalTime, otio.opentime.TimeRange
    timeline = otio.schema.Timeline(name=shot.name, global_start_time=RT(shot.first_frame, rate))
    track = otio.schema.Track(name="edit", kind=otio.schema.TrackKind.Video)
    for i, s in enumerate(edit.segments):
        if s.transition and i > 0:
            track.append(otio.schema.Transition(name=f"crossfade {i}", transition_type=otio.schema.TransitionTypes.
                                                SMPTE_Dissolve, in_offset=RT(s.transition // 2, rate),
                                                out_offset=RT(s.transition - s.transition // 2, rate)))
        data = variants[s.variant]
        comp = data.folder / data["comp"]
        prefix, _, suffix = comp.name.partition("%04d")
        ref = otio.schema.ImageSequenceReference(
            target_url_base=comp.parent.as_uri() + "/", name_prefix=prefix, name_suffix=suffix,
            start_frame=shot.first_frame, frame_step=1, rate=rate, frame_zero_padding=4,
            available_range=TR(RT(shot.first_frame, rate), RT(shot.last_frame - shot.first_frame + 1, rate)))
        clip = otio.schema.Clip(name=f"{s.variant} {s.frame_start}-{s.frame_end}", media_reference=ref,
                                source_range=TR(RT(s.frame_start, rate), RT(s.frame_end - s.frame_start + 1, rate)))
        clip.metadata["facereplace"] = {"variant": s.variant, "frame_start": s.frame_start, "frame_end": s.frame_end,
                                        "transition": s.transition, "model": data.record.get("model", "")}
        track.append(clip)
    timeline.tracks.append(track)
    return timeline


def write_otio(path: str | os.PathLike, **kw: Any) -> Path:
    import opentimelineio as otio

    return atomic_write_text(path, otio.adapters.write_to_string(edit_timeline(**kw), "otio_json"))
