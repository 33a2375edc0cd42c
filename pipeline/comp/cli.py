"""`facereplace comp SHOT_TOML --edit EDIT.json [--fixes DIR] [--out DIR]`."""
from __future__ import annotations

import argparse
import json

from pipeline.cli import add_verb


def register(subparsers: argparse._SubParsersAction) -> None:
    p = add_verb(subparsers, "comp", help="final render of an edit of converted variants, with fixes and hand-off",
                 description="Render the edit (segments of converted variants with crossfades, the head fit) with "
                             "the frame fixes of --fixes (images named by frame, fix.1012.png or fix.1010-1014.png; "
                             "with alpha they go over, without they replace) into SHOT/comp/ (replaced whole): "
                             "linear EXR frames, review clip, Nuke script comp.nk and edit.otio.")
    p.add_argument("shot", help="shot folder or its shot.toml")
    p.add_argument("--edit", required=True, help="edit JSON (kind comp_edit, or a list of segments)")
    p.add_argument("--fixes", help="folder of frame fix images")
    p.add_argument("--out", help="output folder (default: SHOT/comp)")
    p.set_defaults(func=_comp)


def _comp(args: argparse.Namespace) -> int:
    from pathlib import Path

    from pipeline.comp.edit import load_edit
    from pipeline.comp.shot import run_shot
    from pipeline.shot import load_shot

    result = run_shot(load_shot(args.shot), load_edit(args.edit), fixes_dir=args.fixes,
                      out=Path(args.out) if args.out else None)
    print(json.dumps({"manifest": str(result.manifest), "frames": str(result.frames), "review": str(result.review.mp4),
                      "nuke": str(result.nuke), "otio": str(result.otio)}))
    return 0
