"""`facereplace shot init|settings-doc`."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from pipeline.cli import add_verb
from pipeline.errors import InputError

INIT_HELP = """Make a shot folder from footage and track it: the plate (a video or an image sequence, trimmed with
--frames, frame numbers kept) and each actor clip become a commented shot.toml; the head track of the plate and of
every actor source is then solved, with a progress bar, and a summary per source is printed (JSON): frames
measured by the face mesh, filled through gaps, flagged (head out of frame), where its lens came from.

  facereplace shot init shots/sh010 --plate dancer.mov --frames 1050-1200 --lens 35,36,24 \\
      --actor-source walk=actor/walk.mov --actor-source close=actor/close.####.exr --sync walk=1001:1050:0.5

Then `facereplace run shots/sh010` runs the stages (docs/settings.md lists every setting of shot.toml)."""


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = add_verb(subparsers, "shot", help="a shot from footage (init); the settings reference (settings-doc)")
    verbs = parser.add_subparsers(dest="shot_verb", metavar="SUBVERB")

    p = add_verb(verbs, "init", help="make a shot folder from a plate and the actor's clips, and track them",
                 description=INIT_HELP)
    p.add_argument("shot", type=Path, help="the shot folder to make (new or empty)")
    p.add_argument("--plate", type=Path, required=True, help="the dancer's plate: a video, or an image sequence "
                                                             "(plate.####.exr, plate.%%04d.png, or one of its frames)")
    p.add_argument("--frames", type=_frames, metavar="FIRST-LAST", help="plate frames to keep (default: all)")
    p.add_argument("--first-frame", type=int, default=1001, help="number of a video plate's first frame "
                                                                 "(default 1001; a sequence keeps its own)")
    p.add_argument("--fps", help="frame rate of image sequences whose files carry none, e.g. 24000/1001")
    p.add_argument("--name", default="", help="the shot's name (default: the folder's)")
    p.add_argument("--lens", metavar="FOCAL,BACK_W,BACK_H",
                   help="the plate camera's focal length and film back in mm (35,36,24), or a camera intrinsics "
                        "JSON; without it the plate's metadata gives it, else it is estimated from the face, and the shot and "
                        "summary say so")
    p.add_argument("--actor-source", action="append", default=[], metavar="NAME=PATH",
                   help="a clip of the actor (video or image sequence); repeat for each")
    p.add_argument("--actor-lens", action="append", default=[], metavar="NAME=FOCAL,BACK_W,BACK_H",
                   help="an actor source's lens (as --lens)")
    p.add_argument("--sync", action="append", default=[], metavar="NAME=FRAME:PLATE_FRAME[:RATE]",
                   help="an actor source follows the plate's action: its FRAME happens at PLATE_FRAME, RATE plate "
                        "frames per clip frame (0.5: performed at half speed)")
    p.add_argument("--no-identity-check", action="store_true",
                   help="do not check that the actor sources show one person")
    p.add_argument("--replace", action="store_true",
                   help="make an existing shot again (the old folder is kept until the new one is complete)")
    p.set_defaults(func=_init)

    p = add_verb(verbs, "settings-doc", help="write docs/settings.md, every setting of shot.toml, from the code")
    p.add_argument("--root", type=Path, default=Path("."), help="the repository folder (default: here)")
    p.add_argument("--check", action="store_true", help="only say whether the file is up to date (exit 1 if not)")
    p.set_defaults(func=_settings_doc)


def _frames(text: str) -> tuple[int, int]:
    first, sep, last = text.partition("-")
    try:
        return int(first), int(last if sep else first)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: give plate frames as FIRST-LAST, e.g. 1050-1200") from None


def _named(values: list[str], flag: str) -> dict[str, str]:
    out = {}
    for value in values:
        name, sep, rest = value.partition("=")
        if not sep or not name or not rest:
            raise InputError(f"{flag} {value!r}: give NAME=VALUE")
        out[name] = rest
    return out


def _sync(name: str, text: str):
    from pipeline.shot import SourceSync

    parts = text.split(":")
    try:
        if len(parts) not in (2, 3):
            raise ValueError
        rate = float(parts[2]) if len(parts) == 3 else 1.0
        if not 0 < rate <= 16:
            raise ValueError
        return SourceSync(frame=int(parts[0]), plate_frame=int(parts[1]), rate=rate)
    except ValueError:
        raise InputError(f"--sync {name}={text}: give FRAME:PLATE_FRAME[:RATE], e.g. 1001:1050:0.5 (RATE in "
                         "(0, 16])") from None


def _init(args: argparse.Namespace) -> int:
    from pipeline.intake.stage import ActorSource, IntakeConfig, IntakeInputs, Lens, run, warnings
    from pipeline.progress import percent_bar

    paths = _named(args.actor_source, "--actor-source")
    lenses = _named(args.actor_lens, "--actor-lens")
    syncs = _named(args.sync, "--sync")
    unknown = sorted((set(lenses) | set(syncs)) - set(paths))
    if unknown:
        raise InputError(f"--actor-lens/--sync name {', '.join(unknown)}: no --actor-source of that name "
                         f"(given: {', '.join(paths) or 'none'})")
    sources = tuple(ActorSource(name=name, path=Path(path),
                                lens=Lens.parse(lenses[name], where=f"--actor-lens {name}") if name in lenses else None,
                                sync=_sync(name, syncs[name]) if name in syncs else None)
                    for name, path in paths.items())
    config = IntakeConfig(name=args.name, frames=args.frames, first_frame=args.first_frame, fps=args.fps,
                          lens=Lens.parse(args.lens, where="--lens") if args.lens else None,
                          check_identity=not args.no_identity_check, replace=args.replace)
    with percent_bar(f"shot init {args.shot.name}") as report:
        made = run(config, IntakeInputs(out=args.shot, plate=args.plate, actor_sources=sources), progress=report)
    for line in warnings(made.summary):
        print(f"warning: {line}", file=sys.stderr)
    rows = ",\n".join(f"  {json.dumps(name)}: {json.dumps(row)}" for name, row in made.summary.items())
    print(f'{{"shot": {json.dumps(str(made.root))}, "sources": {{\n{rows}}}}}')  # JSON, one line per source
    return 0


def _settings_doc(args: argparse.Namespace) -> int:
    from pipeline.settings_doc import DOC_PATH, settings_markdown, write_settings_doc

    if args.check:
        path = args.root / DOC_PATH
        current = path.read_text(encoding="utf-8") if path.is_file() else ""
        if current != settings_markdown():
            print(f"{path} is out of date: run `facereplace shot settings-doc` (or `make settings-doc`)")
            return 1
        print(f"{path} is up to date")
        return 0
    print(write_settings_doc(args.root))
    return 0
