"""Facesets that hold the right performance: crops with descriptors, pruning rules, fit selection, coverage.

Public API (other stages call these):
    stage.run(shot, *, out=None, settings=None) -> DatasetPaths         the whole stage on a shot (the demo)
    build.run(DatasetConfig, BuildInputs) -> BuildOutputs               build / extend one identity's faceset
    rules.run(rules, faceset_dir, out_dir) -> RulesOutputs              prune by [dataset] rules, with reports
    fit.run(FitConfig, faceset_dir, PlatePoses, out_dir, *, shot_name) -> Path   the shot's fit set (a faceset)
    coverage.run(faceset_dir, frames, yaw, pitch, out_dir, *, threshold_deg) -> CoverageOutputs
    coverage.read_coverage(path) -> {frame: degrees to the nearest training pose}   per-frame QC
    faceset.read_faceset(folder) -> manifest dict; descriptors.DESCRIPTORS (names rules may use)
    masks.head_mask(pose, camera, transform, size, *, vertices=None, soft_px=1.0) -> (size, size) head mask
The faceset format is described in pipeline.dataset.faceset; training reads it with pipeline.train.data.
"""
