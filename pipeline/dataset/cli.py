"""`facereplace dataset build|rules|fit|coverage SHOT`: facesets, pruning, fit selection, coverage."""
from __future__ import annotations

import argparse
import json

from pipeline.cli import add_verb

IDENTITIES = ("actor", "dancer")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = add_verb(subparsers, "dataset", help="facesets: build, prune by rules, select the fit set, coverage",
                      description="Facesets of the shot's people, with descriptors (pose, mouth, teeth, eyes, "
                                  "sharpness, motion, light, source, tags), under SHOT/dataset/. Settings come "
                                  "from the shot's [dataset] and [fit] tables.")
    verbs = parser.add_subparsers(dest="dataset_verb", metavar="STEP")

    p = add_verb(verbs, "build", help="cut, measure and add the shot's sources to a faceset",
                 description="Cut pose-consistent crops of every source of one identity (rig, walkthroughs, "
                             "CG passes for the actor; the plate for the dancer), measure their descriptors, "
                             "drop near-duplicates, and write SHOT/dataset/IDENTITY/faceset.json. Sources "
                             "already in the faceset and unchanged are kept as they are.")
    p.add_argument("shot", help="shot folder or its shot.toml")
    p.add_argument("--identity", choices=IDENTITIES, default="actor", help="whose faceset (default actor)")
    p.add_argument("--source", action="append", default=[], metavar="NAME",
                   help="only this source (repeatable; default: all of the identity)")
    p.add_argument("--rebuild", action="store_true", help="redo every source even when unchanged")
    p.add_argument("--out", help="dataset folder (default SHOT/dataset)")
    p.set_defaults(func=_build)

    p = add_verb(verbs, "rules", help="prune the actor's faceset by the shot's [dataset] rules",
                 description="Apply [dataset] rules (e.g. {drop = \"teeth_visible\"}, {drop = \"mouth_open > "
                             "0.3\"}, {keep_tag = \"serious\"}) in order to the actor's faceset. Writes "
                             "SHOT/dataset/actor_kept/: the pruned faceset, rules_report.json and .md (what each "
                             "rule removed) and removed.png (a contact sheet of the removed crops).")
    p.add_argument("shot", help="shot folder or its shot.toml")
    p.add_argument("--faceset", help="faceset folder to prune (default SHOT/dataset/actor)")
    p.add_argument("--out", help="dataset folder (default SHOT/dataset)")
    p.set_defaults(func=_rules)

    p = add_verb(verbs, "fit", help="select the actor crops that match the shot's poses (the fit set)",
                 description="For each plate frame, the actor crops nearest in pose (and in light with [fit] "
                             "light_weight_deg), preferring the shot's own walkthrough; pose bins share the "
                             "[fit] size equally so rare angles keep their material. Writes SHOT/dataset/fit/.")
    p.add_argument("shot", help="shot folder or its shot.toml")
    p.add_argument("--faceset", help="actor faceset (default SHOT/dataset/actor_kept, else SHOT/dataset/actor)")
    p.add_argument("--size", type=int, help="crops in the fit set (default [fit] size)")
    p.add_argument("--out", help="dataset folder (default SHOT/dataset)")
    p.set_defaults(func=_fit)

    p = add_verb(verbs, "coverage", help="plate frames with no training pose near them (predicted to fail)",
                 description="Angle from every plate frame's pose to the nearest faceset pose; frames farther "
                             "than the threshold are predicted to fail. Writes SHOT/dataset/coverage/coverage.json "
                             "and coverage.png (yaw x pitch heatmap of the faceset with the plate's frames).")
    p.add_argument("shot", help="shot folder or its shot.toml")
    p.add_argument("--faceset", help="actor faceset (default SHOT/dataset/actor_kept, else SHOT/dataset/actor)")
    p.add_argument("--threshold", type=float, metavar="DEG", help="default [dataset] coverage_deg (15)")
    p.add_argument("--out", help="dataset folder (default SHOT/dataset)")
    p.set_defaults(func=_coverage)


def _shot_and_layout(args: argparse.Namespace):
    """The shot a sub-verb works on and its dataset folders (SHOT/dataset, or --out)."""
    from pathlib import Path

    from pipeline.shot import DatasetLayout, ShotLayout, load_shot

    shot = load_shot(args.shot)
    return shot, DatasetLayout(Path(args.out)) if args.out else ShotLayout(shot.root).dataset


def _faceset(args: argparse.Namespace):
    from pathlib import Path

    return Path(args.faceset) if args.faceset else None


def _build(args: argparse.Namespace) -> int:
    from pipeline.dataset.stage import build_faceset

    shot, layout = _shot_and_layout(args)
    out = build_faceset(shot.config.dataset, shot, layout, identity=args.identity, sources=tuple(args.source),
                        rebuild=args.rebuild)
    print(json.dumps({"faceset": str(out.manifest), "crops": out.crops, "added": list(out.added),
                      "kept": list(out.kept)}))
    return 0


def _rules(args: argparse.Namespace) -> int:
    from pipeline.dataset.stage import apply_rules

    shot, layout = _shot_and_layout(args)
    out = apply_rules(shot.config.dataset, layout, faceset=_faceset(args))
    print(json.dumps({"faceset": str(out.manifest), "kept": out.kept, "report": str(out.markdown),
                      "sheet": str(out.sheet), "removed": {k: len(v) for k, v in out.removed.items()}}))
    return 0


def _fit(args: argparse.Namespace) -> int:
    from pipeline.dataset.stage import select_fit
    from pipeline.errors import InputError

    shot, layout = _shot_and_layout(args)
    if args.size is not None and args.size < 1:
        raise InputError(f"--size {args.size}: give the number of crops in the fit set, 1 or more")
    shot = shot.with_settings(fit={"size": args.size})
    manifest = select_fit(shot.config.dataset, shot.config.fit, shot, layout, faceset=_faceset(args))
    print(json.dumps({"fit_set": str(manifest), "report": str(manifest.parent / "fit_report.json")}))
    return 0


def _coverage(args: argparse.Namespace) -> int:
    from pipeline.dataset.stage import measure_coverage

    shot, layout = _shot_and_layout(args)
    out = measure_coverage(shot.config.dataset, shot, layout, faceset=_faceset(args), threshold_deg=args.threshold)
    print(json.dumps({"coverage": str(out.manifest), "heatmap": str(out.heatmap), "flagged": list(out.flagged)}))
    return 0
