"""`facereplace stabilize`: pose-consistent head crops, transforms and poses as a versioned manifest."""
from __future__ import annotations

import argparse
import json

from pipeline.cli import add_verb
from pipeline.geometry import DEFAULT_ROTATION_ORDER, ROTATION_ORDERS


def register(subparsers: argparse._SubParsersAction) -> None:
    p = add_verb(subparsers, "stabilize", help="head-centred crops cut from the 3D head pose",
                 description="Cut an NxN crop of every plate frame centred on the skull, scaled to a fixed "
                             "physical radius and turned with the head's roll, from the 3D head track. "
                             "Give a shot (its [stabilize] table is used) or a plate and a track.")
    p.add_argument("out_dir", help="folder to write crops/ and stabilize.json into (replaced whole)")
    p.add_argument("--shot", help="shot folder or shot.toml: plate, head track and camera from it")
    p.add_argument("--plate", help="video or image sequence (instead of --shot)")
    p.add_argument("--track", help="head_track .json, or head .chan with --intrinsics (instead of --shot)")
    p.add_argument("--intrinsics", help="plate camera intrinsics JSON (for a .chan track)")
    p.add_argument("--rotation-order", default=None, choices=ROTATION_ORDERS, type=str.upper,
                   help=f"of a .chan track (default: the shot's, else {DEFAULT_ROTATION_ORDER})")
    p.add_argument("--first-frame", type=int, default=1001, help="first frame number of a video plate")
    p.add_argument("--fps", help="frame rate of an image sequence whose files carry none, e.g. 24000/1001")
    p.add_argument("--size", type=int, help="crop side in pixels, 64..1024 (default 256)")
    p.add_argument("--radius", type=float, help="scene units around the skull centre that fill half the crop")
    p.add_argument("--method", choices=("pose", "landmarks2d"),
                   help="pose: framing from the 3D head pose (default); landmarks2d: the 2D landmark baseline, "
                        "to compare with")
    p.add_argument("--fill-missing", action="store_true", help="interpolate frames the track lacks")
    p.set_defaults(func=_stabilize)


def _stabilize(args: argparse.Namespace) -> int:
    from pathlib import Path

    from pipeline.config import config_with
    from pipeline.errors import InputError
    from pipeline.stabilize.config import StabilizeConfig
    from pipeline.stabilize.stage import StabilizeInputs, run
    from pipeline.track.load import load_head_track

    flags = {"size": args.size, "radius": args.radius, "method": args.method,
             "fill_missing": True if args.fill_missing else None}
    if args.shot:
        import dataclasses

        from pipeline.shot import load_shot
        from pipeline.stabilize.shot import run_shot

        shot = load_shot(args.shot).with_settings(stabilize=flags)
        if args.rotation_order:
            shot = dataclasses.replace(shot, rotation_order=args.rotation_order)
        out = run_shot(shot, out=Path(args.out_dir))
    elif args.plate and args.track:
        track = load_head_track(args.track, intrinsics=args.intrinsics,
                                rotation_order=args.rotation_order or DEFAULT_ROTATION_ORDER)
        out = run(config_with(StabilizeConfig(), where="stabilize", **flags),
                  StabilizeInputs(plate=Path(args.plate), track=track, out_dir=Path(args.out_dir),
                                  first_frame=args.first_frame, fps=args.fps))
    else:
        raise InputError("stabilize: give --shot, or both --plate and --track")
    print(json.dumps({"manifest": str(out.manifest), "cropped": len(out.cropped),
                      "flagged": {str(k): v for k, v in out.flagged.items()}}))
    return 0
