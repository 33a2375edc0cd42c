"""Pose-consistent head crops: framing from the 3D head pose, with the exact inverse to put results back.

Public API (other stages call these):
    crop_transform(pose, camera, *, size, radius, skull_centre=(0, 0, 0)) -> (3, 3) image -> crop matrix
    stabilize_frame(image, transform, size) -> (size, size, C) crop
    unstabilize(crop, transform, out_shape) -> image-sized result (zero outside the crop)
    crop_coverage(transform, size, out_shape) -> where in the image the crop lands, 0..1
    similarity_transform(landmarks, *, size) -> (3, 3), the 2D landmark baseline
    run(config, inputs) -> StabilizeOutputs; read_stabilized(manifest) -> the manifest's frames
    open_framing(config, track, *, linear) -> context giving (track index, image) -> (3, 3) by config.method
    shot.run_shot(shot, *, out=None, track=None, **changes) -> StabilizeOutputs   the stage on a shot folder
"""
from pipeline.stabilize.crop import (UnframeableError, crop_coverage, crop_transform, similarity_transform,
                                     stabilize_frame, unstabilize)
from pipeline.stabilize.config import StabilizeConfig
from pipeline.stabilize.stage import StabilizeInputs, StabilizeOutputs, open_framing, read_stabilized, run

__all__ = ["UnframeableError", "crop_coverage", "crop_transform", "similarity_transform", "stabilize_frame",
           "unstabilize", "StabilizeConfig", "StabilizeInputs", "StabilizeOutputs", "open_framing", "read_stabilized",
           "run"]
