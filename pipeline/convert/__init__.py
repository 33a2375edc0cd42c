"""Conversion: each plate frame's head crop through a swap model and back into the plate, with passes and QC.

Public API:
    run(config: ConvertConfig, inputs: ConvertInputs, *, progress=None) -> ConvertOutputs
    read_converted(folder_or_manifest) -> ConvertedVariant   (kind "converted_variant": typed frame records and
        QC rows; the comp, eval and publish read it; format and changelog in pipeline.convert.converted)
    converted_variants(shot_root) -> {name: folder}   the shot's converted variants (SHOT/convert/NAME)
    join_converted(chunk_dirs, out_dir, *, progress=None) -> ConvertOutputs   (chunks: run with inputs.frames)
    shot.run_shot(shot, variant_name, *, frames=None, out=None) / shot.join_shot: the stage on a shot folder
    composite: put_back, composite, composite_display (a swapped crop back into the plate)
    paintout: PlateFaces(linear=).paint_out(plate, transform, size) -> PaintOut | None, face_fill (the plate's own
        face painted out where the swap does not cover it: put_back(..., paint=) lays it under the swap)
    TrainedSwapper(checkpoint, *, performance=None, device="auto", syncs=None, sync_window=0): the model behind a
        numpy interface (shot.shot_swapper builds one from a shot's variant, with its performance sync);
        its swap(crops, frames) -> Swapped(rgb, mask, actor_frames) also says which actor frame each crop snapped to
    colour_match(name, swap, plate, region), list_colour_matches(); head_motion(track, *, shutter), motion_blur
    anomaly_scores(crops, ypr), pose_distance(ypr, training_ypr)
"""
from __future__ import annotations

from pipeline.convert.blur import head_motion, motion_blur
from pipeline.convert.colour import colour_match, list_colour_matches
from pipeline.convert.config import ConvertConfig, VariantConfig, variant_configs
from pipeline.convert.converted import converted_variants, read_converted
from pipeline.convert.qc import anomaly_scores, pose_distance
from pipeline.convert.stage import ConvertInputs, ConvertOutputs, join_converted, run
from pipeline.convert.swapper import Swapper, TrainedSwapper

__all__ = ["ConvertConfig", "ConvertInputs", "ConvertOutputs", "Swapper", "TrainedSwapper", "VariantConfig",
           "anomaly_scores", "colour_match", "converted_variants", "head_motion", "join_converted",
           "list_colour_matches", "motion_blur", "pose_distance", "read_converted", "run", "variant_configs"]
