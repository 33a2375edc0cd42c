"""`manage.py demo_site PROJECT_DIR`: the demo's site: one user per role, the engine's shots published, served.

`make demo` runs the engine (`facereplace demo`) first, then this. It creates the demo project and one user
per role (passwords for local use only, printed and in the README), starts the site (`manage.py serve`:
the ASGI server and a task worker), publishes every shot of the engine's demo project through the REST API
as the pipeline would (`pipeline.publish`), and keeps serving until Ctrl-C. Publishing is idempotent, so a
second run publishes nothing twice.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from review.management.health import wait_until_healthy
from review.management.stop import StopRequest

DEMO_PROJECT = "demo"
DEMO_SEQUENCE = "SQ010"
# Local demo accounts only: never used outside `make demo` on one's own machine.
DEMO_USERS = (
    ("supervisor", "supervisor", "supervisor-demo"),
    ("artist", "artist", "artist-demo"),
    ("producer", "producer", "producer-demo"),
)
PIPELINE_USER = "pipeline"
SITE_START_SECONDS = 300  # a quiet machine answers in seconds; a loaded one (CI shares its cores) may take minutes


class Command(BaseCommand):
    help = "Set up the demo users, serve the site and publish the engine's demo shots to it."

    def add_arguments(self, parser):
        parser.add_argument("project_dir", type=Path, help="the engine's demo project (facereplace demo)")
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-serve", action="store_true",
                            help="publish, then stop the site instead of serving on")

    def handle(self, *args, project_dir: Path, host: str, port: int, no_serve: bool, **options):
        shots = sorted(p.parent for p in project_dir.glob("*/shot.toml"))
        if not shots:
            raise CommandError(f"{project_dir}: no shots (no */shot.toml); run `facereplace demo {project_dir}` first")
        for username, role, password in DEMO_USERS:
            call_command("review_user", username, role=role, project=[DEMO_PROJECT], password=password,
                         stdout=open(os.devnull, "w"))
        token = _token_of(PIPELINE_USER)

        site = f"http://{host}:{port}"
        server = subprocess.Popen([sys.executable, "manage.py", "serve", "--host", host, "--port", str(port)])
        stopping = StopRequest()
        try:
            try:
                wait_until_healthy(site, process=server, timeout=SITE_START_SECONDS)
            except RuntimeError as error:
                raise CommandError(f"{error}; see the messages above") from None
            self._publish(shots, site, token)
            self._greet(site)
            while not no_serve and not stopping and server.poll() is None:
                time.sleep(0.5)
        finally:
            if server.poll() is None:
                server.send_signal(signal.SIGTERM)
                server.wait(timeout=30)
        if server.returncode not in (0, None) and not stopping and not no_serve:
            raise CommandError(f"the site stopped with status {server.returncode}")

    def _publish(self, shots: list[Path], site: str, token: str) -> None:
        from pipeline.publish.stage import PublishConfig, run

        for shot_dir in shots:
            result = run(PublishConfig(site=site, token=token, project=DEMO_PROJECT, sequence=DEMO_SEQUENCE), shot_dir)
            fresh = sum(1 for _, _, created in result.variants if created)
            self.stdout.write(f"published {shot_dir.name}: plate {'yes' if result.plate else 'no'}, "
                              f"{len(result.variants)} variant(s) ({fresh} new) -> {result.shot_url}")

    def _greet(self, site: str) -> None:
        self.stdout.write(self.style.SUCCESS(f"\nThe review site is up: {site}/  (Ctrl-C stops it)"))
        self.stdout.write("Demo accounts (local use only):")
        for username, role, password in DEMO_USERS:
            self.stdout.write(f"  {role:<11} {username} / {password}")


def _token_of(username: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command("review_user", username, role="pipeline", project=[DEMO_PROJECT], token=True, stdout=out)
    return out.getvalue().strip()
