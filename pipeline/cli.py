"""`facereplace`: one verb per engine stage.

Verbs are listed explicitly in VERB_MODULES; each module has `register(subparsers)` that adds its parser
with `add_verb` and sets `func`. Heavy imports (torch, mediapipe, moderngl) stay inside the handlers so
`facereplace --help` is instant.
"""
from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from pipeline.errors import FacereplaceError

VERB_MODULES: tuple[str, ...] = (
    "pipeline.media.cli",
    "pipeline.synth.cli",
    "pipeline.track.cli",
    "pipeline.stabilize.cli",
    "pipeline.dataset.cli",
    "pipeline.train.cli",
    "pipeline.convert.cli",
    "pipeline.comp.cli",
    "pipeline.intake.cli",
    "pipeline.run",
    "pipeline.demo",
    "pipeline.publish.cli",
    "pipeline.eval.cli",
)

# Every parser, at every level, accepts --debug so it can follow the verb (`facereplace media probe X --debug`).
_COMMON = argparse.ArgumentParser(add_help=False)
_COMMON.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                     help="show tracebacks and debug logging")


def add_verb(subparsers: argparse._SubParsersAction, name: str, *, help: str,
             description: str | None = None) -> argparse.ArgumentParser:
    """Add a verb (or sub-verb) parser that takes the common options."""
    return subparsers.add_parser(name, help=help, description=description or help, parents=[_COMMON],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="facereplace", parents=[_COMMON],
                                     description="Head replacement for dance doubles: the engine's verbs.")
    subparsers = parser.add_subparsers(dest="verb", metavar="VERB", required=True)
    for module in VERB_MODULES:
        importlib.import_module(module).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    debug = getattr(args, "debug", False)
    logging.basicConfig(level=logging.DEBUG if debug else logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    handler = getattr(args, "func", None)
    if handler is None:  # a verb group given without its sub-verb
        parser.parse_args([*(argv if argv is not None else sys.argv[1:]), "--help"])
        return 2
    try:
        return int(handler(args) or 0)
    except FacereplaceError as exc:
        if debug:
            raise
        print(f"facereplace: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("facereplace: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug, not bad input: say so, keep the traceback for --debug
        if debug:
            raise
        print(f"facereplace: internal error: {type(exc).__name__}: {exc} (rerun with --debug for the traceback)",
              file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
