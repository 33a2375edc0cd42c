"""`facereplace synth OUT_DIR --preset pirouette|fouette|bow|closeup`: write a synthetic shot with ground truth."""
from __future__ import annotations

import argparse

from pipeline.cli import add_verb

PRESETS = ("pirouette", "fouette", "bow", "closeup")  # the registry's names, listed here so --help stays instant


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = add_verb(subparsers, "synth", help="make a synthetic shot with ground truth",
                      description="Render a complete shot folder: the dancer's plate (PNG sequence from 1001, review "
                                  "clip), its exact head track (.chan + intrinsics), the actor's walkthrough from three "
                                  "cameras and a capture-rig turntable, CG passes of the actor's bald head, ground "
                                  "truth (pose, expression, head matte, rigid and loose results) and shot.toml.\n"
                                  "The same arguments give the same bytes.")
    parser.add_argument("out_dir", help="the shot folder to write (replaced whole)")
    parser.add_argument("--preset", choices=PRESETS, default="pirouette",
                        help="pirouette: two turns, moving camera; fouette: fast whipping turns, heavy motion blur; "
                             "bow: head down and up, hair across the face; closeup: a talking close-up, "
                             "the face filling the frame")
    parser.add_argument("--size", type=int, default=256, help="image width and height in pixels (default 256)")
    parser.add_argument("--frames", type=int, default=96, help="plate frames (default 96; the walkthrough has twice)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the performance and noise (default 0)")
    parser.add_argument("--noise", type=float, default=0.0, metavar="DEG",
                        help="tracker noise added to tracks/plate.chan, degrees (default 0: the exact track)")
    parser.add_argument("--first-frame", type=int, default=1001, help="number of the first plate frame (default 1001)")
    parser.add_argument("--fps", default="24000/1001", help="frame rate as a ratio (default 24000/1001)")
    parser.add_argument("--no-review-clip", action="store_true", help="skip the plate's review MP4")
    parser.set_defaults(func=_synth)


def _synth(args: argparse.Namespace) -> int:
    from pipeline.shot import SHOT_FILE
    from pipeline.synth.stage import SynthConfig, run

    config = SynthConfig(preset=args.preset, size=args.size, frames=args.frames, seed=args.seed,
                         noise_deg=args.noise, first_frame=args.first_frame, fps=args.fps,
                         review_clip=not args.no_review_clip)
    out = run(config, args.out_dir)
    print(out / SHOT_FILE)
    return 0
