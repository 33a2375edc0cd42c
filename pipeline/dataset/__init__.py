"""Facesets that hold the right performance: crops with descriptors, pruning rules, fit selection, coverage.

Public API (other stages call these):
    stage.run(DatasetConfig, FitConfig, DatasetInputs) -> DatasetLayout   the four steps (each a function there)
    shot.run_shot(shot, *, out=None) -> DatasetLayout                   the whole stage on a shot (the runner)
    build.run(DatasetConfig, BuildInputs) -> BuildOutputs               build / extend one identity's faceset
    rules.run(rules, faceset_dir, out_dir) -> RulesOutputs              prune by [dataset] rules, with reports
    fit.run(FitConfig, faceset_dir, PlatePoses, out_dir, *, shot_name) -> Path   the shot's fit set (a faceset)
    coverage.run(faceset_dir, frames, yaw, pitch, out_dir, *, threshold_deg) -> CoverageOutputs
    coverage.read_coverage(path) -> {frame: degrees to the nearest training pose}   per-frame QC
    faceset.read_faceset(folder) -> manifest dict, write_faceset, write_crops (from arrays); descriptors.DESCRIPTORS
        (names rules may use)
    masks.head_mask(pose, camera, transform, size, *, vertices=None, soft_px=1.0) -> (size, size) head mask
The faceset format, with its one reader and writer, is in pipeline.dataset.faceset; training reads it through it
(pipeline.train.data.load_faceset). Settings: pipeline.dataset.config ([dataset], [fit]).
"""
