"""`facereplace convert SHOT_TOML --variant NAME [--checkpoint PT] [--out DIR]`."""
from __future__ import annotations

import argparse
import json

from pipeline.cli import add_verb


def register(subparsers: argparse._SubParsersAction) -> None:
    p = add_verb(subparsers, "convert", help="put a trained model's swap into every plate frame (one variant)",
                 description="Convert the plate with the model of one [[variants]] table: crop, swap, warp back, "
                             "colour match, motion blur, matte, composite. Settings from [convert]. Writes "
                             "SHOT/convert/NAME/ (comp frames, EXR passes, QC, review clip, converted.json) and "
                             "SHOT/review/variants/NAME/variant.json for `facereplace publish`.")
    p.add_argument("shot", help="shot folder or its shot.toml")
    p.add_argument("--variant", required=True, help="name of a [[variants]] table of the shot")
    p.add_argument("--checkpoint", help="checkpoint to use (default: the variant's, else train/MODEL/fit)")
    p.add_argument("--out", help="output folder (default: SHOT/convert/NAME)")
    p.set_defaults(func=_convert)


def _convert(args: argparse.Namespace) -> int:
    from pathlib import Path

    from pipeline.convert.shot import run_shot
    from pipeline.shot import load_shot

    result = run_shot(load_shot(args.shot), args.variant,
                          checkpoint=Path(args.checkpoint) if args.checkpoint else None,
                          out=Path(args.out) if args.out else None)
    from pipeline.convert.converted import read_converted

    coverage = read_converted(result.manifest)["coverage"]
    print(json.dumps({"manifest": str(result.manifest), "swapped": result.swapped,
                      "unswapped": result.unswapped, "anomalies": result.anomalies,
                      "uncovered": coverage["uncovered_frames"], "policy": coverage["policy"],
                      "missing": [view["text"] for view in coverage["missing"]],
                      "review_variant": str(result.review_variant) if result.review_variant else None,
                      "timings": {k: round(v, 2) for k, v in result.timings.items()}}))
    return 0
