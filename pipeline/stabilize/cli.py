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

    from pipeline.config import config_from_dict
    from pipeline.errors import InputError
    from pipeline.stabilize.stage import StabilizeConfig, StabilizeInputs, run
    from pipeline.track.load import load_head_track

    settings: dict = {}
    if args.shot:
        from pipeline.shot import load_shot

        shot = load_shot(args.shot)
        settings = dict(shot.sections.get("stabilize", {}))
        plate, track_path, intrinsics = shot.plate, shot.head_track, shot.camera
        order = args.rotation_order or shot.rotation_order
        first_frame, fps = shot.first_frame, str(shot.fps)
    elif args.plate and args.track:
        plate, track_path, intrinsics = Path(args.plate), Path(args.track), args.intrinsics
        order = args.rotation_order or DEFAULT_ROTATION_ORDER
        first_frame, fps = args.first_frame, args.fps
    else:
        raise InputError("stabilize: give --shot, or both --plate and --track")
    for key in ("size", "radius", "method"):
        if getattr(args, key) is not None:
            settings[key] = getattr(args, key)
    if args.fill_missing:
        settings["fill_missing"] = True
    config = config_from_dict(StabilizeConfig, settings, where="stabilize")
    track = load_head_track(track_path, intrinsics=intrinsics, rotation_order=order)
    out = run(config, StabilizeInputs(plate=Path(plate), track=track, out_dir=Path(args.out_dir),
                                      first_frame=first_frame, fps=fps))
    print(json.dumps({"manifest": str(out.manifest), "cropped": len(out.cropped),
                      "flagged": {str(k): v for k, v in out.flagged.items()}}))
    return 0
