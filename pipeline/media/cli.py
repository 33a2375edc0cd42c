"""`facereplace media probe PATH` and `facereplace media review-clip INPUT OUT.mp4`."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from pipeline.cli import add_verb


def register(subparsers: argparse._SubParsersAction) -> None:
    media = add_verb(subparsers, "media", help="inspect footage and make review clips")
    verbs = media.add_subparsers(dest="media_verb", metavar="VERB", required=True)

    probe = add_verb(verbs, "probe", help="print what a video, sequence or image is, as JSON",
                     description="Print frame count, fps (num/den), size, pixel aspect and codec of a video, an "
                                 "image sequence (pattern like plate.####.exr, or any one frame) or an image.\n"
                                 "The kind is judged from the content, not the extension.")
    probe.add_argument("path", help="video file, sequence pattern or frame file")
    probe.add_argument("--first-frame", type=int, default=1001, help="number of a video's first frame (default 1001)")
    probe.set_defaults(func=_probe)

    review = add_verb(verbs, "review-clip", help="encode a frame-exact H.264 review MP4 with thumbnail and filmstrip",
                      description="Encode INPUT as an H.264 yuv420p MP4 (keyframe every 2 frames, faststart, exact "
                                  "fps, even size), plus OUT.thumbnail.png, OUT.filmstrip.png and "
                                  "OUT.filmstrip.json beside it. Linear EXR goes through OpenColorIO: the config "
                                  "in $OCIO, else the built-in ACES config's sRGB display, Un-tone-mapped view "
                                  "(recorded in OUT.filmstrip.json).")
    review.add_argument("input", help="video file, sequence pattern (plate.####.exr, plate.%%04d.png) or frame file")
    review.add_argument("output", help="the MP4 to write")
    review.add_argument("--burn-in", nargs="?", const="", default=None, metavar="NAME",
                        help="burn in the frame number and NAME (e.g. the shot; default: the input's file name)")
    review.add_argument("--first-frame", type=int, default=None,
                        help="number of a video's first frame (default 1001; sequences keep their own)")
    review.add_argument("--fps", default=None, help="frame rate as a ratio (24000/1001) or number; needed for "
                                                    "sequences whose frames carry none")
    review.add_argument("--audio", default=None, metavar="PLATE",
                        help="keep this file's sound (the plate's, AAC, its time 0 at the first frame); "
                             "default: a video INPUT keeps its own")
    review.set_defaults(func=_review_clip)


def _probe(args: argparse.Namespace) -> int:
    from pipeline.media.probe import probe

    json.dump(probe(args.path, first_frame=args.first_frame), sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


def _review_clip(args: argparse.Namespace) -> int:
    from pipeline.media.fps import fps_text
    from pipeline.media.review import make_review_clip

    burn_in = Path(args.input).name if args.burn_in == "" else args.burn_in
    result = make_review_clip(args.input, args.output, burn_in=burn_in, first_frame=args.first_frame, fps=args.fps,
                              audio=args.audio)
    print(f"{result.mp4}: {result.frame_count} frames {result.width}x{result.height} at {fps_text(result.fps)} fps "
          f"(thumbnail {result.thumbnail.name}, filmstrip {result.filmstrip.name})")
    return 0
