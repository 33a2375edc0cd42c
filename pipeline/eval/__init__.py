"""Evaluation per frame and per yaw bin, for each variant: against a synthetic shot's ground truth, and without
truth (a real shot; beside the truth on a synthetic one) by models nobody here trained.

Public API:
    run(EvalConfig, EvalInputs(shot, variants, out_dir), *, progress=None) -> EvalOutputs
    yaw_bin_table(eval_folder | eval.json | dict, variant) -> plain dict (the site's per-variant table)
    read_eval(folder_or_manifest) -> dict (kind "eval")
    shot: run_shot(shot, inputs, *, out=None), evaluate_converted(shot, variants, *, out=None) (scores attached
          to the reviewable variants), converted_inputs(shot, names=()), model_crop_inputs, baseline_inputs
    inputs: converted_variant(folder), PlateSequence(name, pattern,
            frames=None), StabilizedCrops(name, manifest), ModelCrops(name, swapper, stabilize=None, source=None),
            cg_pass_source(layer)
    metrics: yaw_bin(yaw), YAW_BINS, masked_mse, psnr_db, masked_ssim, identity_margin, performance_position
    truthfree: evaluate(shot, plate_sequences) -> {name: result}, the measures without truth
    recognise: recogniser() (dlib's face recognition network on the faces the face mesh finds), distance(a, b),
               reference(descriptors), SAME_PERSON
"""
from pipeline.eval.inputs import (EvalInput, ModelCrops, Output, PlateSequence, StabilizedCrops, cg_pass_source,
                                  converted_variant)
from pipeline.eval.metrics import BIN_NAMES, YAW_BINS, yaw_bin
from pipeline.eval.stage import EvalConfig, EvalInputs, EvalOutputs, read_eval, run, yaw_bin_table

__all__ = ["BIN_NAMES", "EvalConfig", "EvalInput", "EvalInputs", "EvalOutputs", "ModelCrops", "Output",
           "PlateSequence", "StabilizedCrops", "YAW_BINS", "cg_pass_source", "converted_variant",
           "read_eval", "run", "yaw_bin", "yaw_bin_table"]
