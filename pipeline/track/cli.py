"""`facereplace track import|export|solve|plot`."""
from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path
from typing import Any

from pipeline.cli import add_verb
from pipeline.geometry import DEFAULT_ROTATION_ORDER, ROTATION_ORDERS


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = add_verb(subparsers, "track", help="head tracks: import/export .chan, solve from a plate, plot")
    verbs = parser.add_subparsers(dest="track_verb", metavar="SUBVERB")
    order_help = f"Euler rotation order of the .chan files (default {DEFAULT_ROTATION_ORDER}: R = Ry·Rx·Rz)"

    p = add_verb(verbs, "import", help="a Nuke .chan head track (+ camera) -> head_track JSON")
    p.add_argument("chan", help="head .chan (object: frame tx ty tz rx ry rz)")
    p.add_argument("out", help="head_track .json to write")
    p.add_argument("--intrinsics", required=True, help="plate camera intrinsics JSON")
    p.add_argument("--camera", help="world-space camera .chan (8th column vfov); the head .chan is then world-space")
    p.add_argument("--rotation-order", default=DEFAULT_ROTATION_ORDER, choices=ROTATION_ORDERS, type=str.upper,
                   help=order_help)
    p.add_argument("--plate", help="conform to this plate's frames: missing frames are reported")
    p.add_argument("--first-frame", type=int, default=1001, help="first frame number of a video plate")
    p.add_argument("--fps", help="frame rate of an image sequence plate whose files carry none")
    p.add_argument("--fill-missing", action="store_true", help="interpolate frames the .chan lacks (with --plate)")
    p.set_defaults(func=_import)

    p = add_verb(verbs, "export", help="head_track JSON -> Nuke .chan (head, and the camera with its vfov)")
    p.add_argument("track", help="head_track .json")
    p.add_argument("out", help="head .chan to write")
    p.add_argument("--camera-out", help="also write the camera .chan (8 columns, vfov)")
    p.add_argument("--world-camera", help="world-space camera .chan: write the head in world space through it")
    p.add_argument("--rotation-order", default=DEFAULT_ROTATION_ORDER, choices=ROTATION_ORDERS, type=str.upper,
                   help=order_help)
    p.set_defaults(func=_export)

    p = add_verb(verbs, "solve", help="built-in tracker: face landmarks + PnP, gaps filled through turns",
                 description="Solve a head track from a plate. Given a shot (its folder or shot.toml), its plate, "
                             "camera, frames and [track] table (pipeline.track.solve.SolveConfig: mode, max_abs_yaw, "
                             "smooth_sigma, ...) are used; the flags below override the table. A shot without OUT: "
                             "every head track it names but lacks (its head_track, each source's track) is solved "
                             "where shot.toml names it, and the plate's is written to work/track.json.")
    p.add_argument("plate", help="a shot (folder or shot.toml), or a video or image sequence (plate.####.png)")
    p.add_argument("out", nargs="?", help="head_track .json to write (optional with a shot)")
    p.add_argument("--intrinsics", help="plate camera intrinsics JSON (needed with a plate; a shot has its camera)")
    p.add_argument("--mode", choices=("video", "static"), help="MediaPipe running mode (default video)")
    p.add_argument("--first-frame", type=int, default=1001, help="first frame number of a video plate")
    p.add_argument("--fps", help="fps of an image sequence, e.g. 24000/1001")
    p.add_argument("--smooth", type=float, help="temporal smoothing sigma in frames (0: none; default 1)")
    p.add_argument("--plot", help="also write the yaw/pitch/roll plot PNG here")
    p.set_defaults(func=_solve)

    p = add_verb(verbs, "plot", help="PNG of yaw, pitch, roll over frames, measured and filled marked")
    p.add_argument("track", help="head_track .json, or .chan with --intrinsics")
    p.add_argument("out", help="PNG to write")
    p.add_argument("--intrinsics", help="plate camera intrinsics JSON (for a .chan)")
    p.add_argument("--rotation-order", default=DEFAULT_ROTATION_ORDER, choices=ROTATION_ORDERS, type=str.upper,
                   help=order_help)
    p.set_defaults(func=_plot)


def _import(args: argparse.Namespace) -> int:
    from pipeline.track.solve import SolveConfig
    from pipeline.track.stage import TrackInputs, run

    out = run(SolveConfig(), TrackInputs(out=Path(args.out), head_track=Path(args.chan), intrinsics=args.intrinsics,
                                         rotation_order=args.rotation_order, camera=args.camera, plate=args.plate,
                                         first_frame=args.first_frame, fps=args.fps, fill_missing=args.fill_missing))
    track = out.track
    print(json.dumps({"out": args.out, "frames": len(track), "first": int(track.frames[0]),
                      "last": int(track.frames[-1]), "flagged": {str(f): r for f, r in track.frame_flags().items()}}))
    return 0


def _export(args: argparse.Namespace) -> int:
    from pipeline.track.chan import read_chan, write_chan
    from pipeline.track.headtrack import camera_chan, read_track, to_chan

    track = read_track(args.track)
    world = None
    if args.world_camera:
        world = read_chan(args.world_camera, rotation_order=args.rotation_order, kind="camera")
    write_chan(args.out, to_chan(track, camera=world, rotation_order=args.rotation_order))
    if args.camera_out:
        write_chan(args.camera_out, camera_chan(track, rotation_order=args.rotation_order))
    return 0


def _solve(args: argparse.Namespace) -> int:
    from pipeline.track.plot import plot_track
    from pipeline.track.solve import track_summary
    from pipeline.track.stage import run

    if args.out is None:
        return _solve_shot(args)
    config, inputs = _solve_inputs(args)
    overrides = {key: value for key, value in (("mode", args.mode), ("smooth_sigma", args.smooth)) if value is not None}
    solved = run(dataclasses.replace(config, **overrides), inputs)
    if args.plot:
        plot_track(solved.track, args.plot, title=str(inputs.plate))
    summary = track_summary(solved.track)
    summary["fps"] = round(len(solved.track) / solved.seconds, 2)
    print(json.dumps(summary))
    return 0


def _solve_shot(args: argparse.Namespace) -> int:
    """`track solve SHOT`: the shot's missing head tracks, then its work/track.json (the runner's track stage)."""
    from pipeline.errors import InputError
    from pipeline.progress import percent_bar
    from pipeline.shot import SHOT_FILE, load_shot
    from pipeline.track.plot import plot_track
    from pipeline.track.shot import run_shot, solve_missing
    from pipeline.track.solve import track_summary

    given = Path(args.plate)
    if not (given.name == SHOT_FILE or (given / SHOT_FILE).is_file()):
        raise InputError(f"{args.plate}: give the head_track .json to write (OUT); only a shot folder needs none")
    overrides = {"mode": args.mode, "smooth_sigma": args.smooth}
    shot = load_shot(given).with_settings(track=overrides)
    with percent_bar(f"track solve {shot.name}") as report:
        solved = solve_missing(shot, progress=report)
        out = run_shot(shot)
    if args.plot:
        plot_track(out.track, args.plot, title=str(shot.plate))
    print(json.dumps({"track": str(out.path), "solved": {name: track_summary(o.track) for name, o in solved.items()}}))
    return 0


def _solve_inputs(args: argparse.Namespace) -> tuple[Any, Any]:
    """(SolveConfig, TrackInputs) from a shot and its [track] table, or from the plate and flags."""
    from pipeline.errors import InputError
    from pipeline.shot import SHOT_FILE, load_shot
    from pipeline.track.solve import SolveConfig
    from pipeline.track.stage import TrackInputs

    given = Path(args.plate)
    if given.name == SHOT_FILE or (given / SHOT_FILE).is_file():
        shot = load_shot(given)
        return shot.config.track, TrackInputs(out=Path(args.out), intrinsics=args.intrinsics or shot.camera,
                                              plate=shot.plate, first_frame=shot.first_frame, fps=str(shot.fps))
    if not args.intrinsics:
        raise InputError(f"{args.plate}: a plate needs --intrinsics (its camera JSON); or give the shot's folder, "
                         "whose camera and [track] settings are used")
    return SolveConfig(), TrackInputs(out=Path(args.out), intrinsics=args.intrinsics, plate=args.plate,
                                      first_frame=args.first_frame, fps=args.fps)


def _plot(args: argparse.Namespace) -> int:
    from pipeline.track.load import load_head_track
    from pipeline.track.plot import plot_track

    track = load_head_track(args.track, intrinsics=args.intrinsics, rotation_order=args.rotation_order)
    plot_track(track, args.out, title=str(args.track))
    return 0
