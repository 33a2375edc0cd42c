"""`facereplace publish SHOT_DIR --site URL --token T --project P`: send review clips to the review site."""
from __future__ import annotations

import argparse
import os

from pipeline.cli import add_verb


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = add_verb(subparsers, "publish", help="publish a shot's plate and variant review clips to the review site",
                      description=__doc__ + "\n\nRetries are safe: every upload carries an idempotency key, so a "
                                            "second run only reports what is already there.")
    parser.add_argument("shot_dir", metavar="SHOT_DIR", help="folder holding shot.toml and review/")
    parser.add_argument("--site", default=os.environ.get("FACEREPLACE_SITE", "http://127.0.0.1:8000"),
                        help="the review site's URL (default: $FACEREPLACE_SITE or http://127.0.0.1:8000)")
    parser.add_argument("--token", help="the pipeline user's API token (default: $FACEREPLACE_TOKEN)")
    parser.add_argument("--project", required=True, help="project code on the site")
    parser.add_argument("--sequence", default="main", help="sequence code on the site (default: main)")
    parser.add_argument("--code", help="shot code on the site (default: the shot's name in shot.toml)")
    parser.add_argument("--retries", type=int, default=5, help="retries on a dropped connection or busy site")
    parser.set_defaults(func=_publish)


def _publish(args: argparse.Namespace) -> int:
    from pipeline.publish.client import token_from
    from pipeline.publish.stage import PublishConfig, run

    config = PublishConfig(site=args.site, token=token_from(args.token), project=args.project,
                           sequence=args.sequence, code=args.code, retries=args.retries)
    result = run(config, args.shot_dir)
    if result.plate:
        print("plate clip published")
    for label, variant_id, version, created in result.variants:
        print(f"{'published' if created else 'already there'}: {label} v{version:03d} (variant {variant_id})")
    print(f"shot: {result.shot_url}")
    return 0
