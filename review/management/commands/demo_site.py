"""`manage.py demo_site`: the demo: one user per role, the site served at once, the engine's work as its jobs.

`make demo` runs this. It creates the demo project and one user per role (passwords for local use only,
printed and in the README), starts the site (`manage.py serve`: the ASGI server and a task worker, the worker
at a lower CPU priority so the pages answer at once while it trains) and, once it answers, creates one shot per
demo preset (`pipeline.demo.PRESETS`, at the frames `SyntheticBudget` makes) and runs the engine on them as the
site's jobs, one shot after the other: an engine run (`review.jobs.kinds.engine`: the synthetic shot made and
trained through `pipeline.run`, its plate clip put on the shot), then its conversions (`review.jobs.kinds.convert`,
each publishing its variant), then the next shot, whose fit stages start from the first shot's base (the same
actor and dancer in every shot). The board and each shot's page show every job's progress live, and the
variants appear as they are published. A second run goes on where the first stopped: a shot that has variants,
or whose engine run is done, is not run again; a failed job waits for its Retry on the shot's page.
`--quick` runs one shot at tiny sizes (the tests).

`manage.py demo_site PROJECT_DIR` instead publishes an engine project made on the command line
(`facereplace demo PROJECT_DIR`) through the REST API as the pipeline would (`pipeline.publish`); publishing is
idempotent, so a second run publishes nothing twice.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from fractions import Fraction
from io import StringIO
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from pipeline.demo import PRESETS
from pipeline.publish.stage import PublishConfig
from pipeline.publish.stage import run as publish
from pipeline.run import SyntheticBudget
from review.choices import JOB_STATE_ACTIVE, JobKind, JobState
from review.jobs.engine_paths import ENGINE_VARIANTS, engine_folder
from review.management.health import wait_until_healthy
from review.management.stop import StopRequest
from review.models import Job, Project, Shot
from review.services.engine import engine_run_queue
from review.services.shots import shot_create

DEMO_PROJECT = "demo"
DEMO_SEQUENCE = "SQ010"
# Local demo accounts only: never used outside `make demo` on one's own machine.
DEMO_USERS = (
    ("supervisor", "supervisor", "pick-the-take"),
    ("artist", "artist", "fix-the-frames"),
    ("producer", "producer", "count-the-shots"),
)
PIPELINE_USER = "pipeline"
SITE_START_SECONDS = 300  # a quiet machine answers in seconds; a loaded one (CI shares its cores) may take minutes
WORKER_NICE = 10  # the task worker trains at a lower CPU priority than the pages are served
POLL_SECONDS = 1.0


class Command(BaseCommand):
    help = "Set up the demo users, serve the site and run the engine on the demo's shots as the site's jobs."

    def add_arguments(self, parser):
        parser.add_argument("project_dir", type=Path, nargs="?",
                            help="publish this engine project (made by `facereplace demo`) instead of running the "
                                 "engine as the site's jobs")
        parser.add_argument("--quick", action="store_true", help="one shot at tiny sizes: the same code, fast")
        parser.add_argument("--preset", action="append", choices=PRESETS, dest="presets",
                            help="only these shots (repeatable)")
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)
        parser.add_argument("--no-serve", action="store_true",
                            help="stop the site once the demo's shots are published instead of serving on")

    def handle(self, *args, project_dir: Path | None, quick: bool, presets: list[str] | None, host: str, port: int,
               no_serve: bool, **options):
        shot_dirs = sorted(p.parent for p in project_dir.glob("*/shot.toml")) if project_dir else []
        if project_dir and not shot_dirs:
            raise CommandError(f"{project_dir}: no shots (no */shot.toml); run `facereplace demo {project_dir}` first")
        for username, role, password in DEMO_USERS:
            call_command("review_user", username, role=role, project=[DEMO_PROJECT], password=password,
                         stdout=open(os.devnull, "w"))
        token = _token_of(PIPELINE_USER)

        site = f"http://{host}:{port}"
        server = subprocess.Popen([sys.executable, "manage.py", "serve", "--host", host, "--port", str(port),
                                   "--worker-nice", str(WORKER_NICE)])
        stopping = StopRequest()
        try:
            try:
                wait_until_healthy(site, process=server, timeout=SITE_START_SECONDS)
            except RuntimeError as error:
                raise CommandError(f"{error}; see the messages above") from None
            if project_dir:
                self._publish(shot_dirs, site, token)
                self._greet(site)
                demo = None
            else:
                demo = LiveDemo(presets or (["pirouette"] if quick else PRESETS), quick=quick, say=self.stdout.write)
                self._greet(site)
                self.stdout.write("The engine now runs on the demo's shots as the site's jobs; watch their progress "
                                  f"on the board ({site}/) and on each shot's page:")
                for shot in demo.shots:
                    self.stdout.write(f"  {shot.code}: {site}/shots/{shot.id}/")
            while not stopping and server.poll() is None:
                finished = demo is None or demo.advance()
                if no_serve and finished:
                    break
                time.sleep(POLL_SECONDS)
        finally:
            if server.poll() is None:
                server.send_signal(signal.SIGTERM)
                server.wait(timeout=30)
        if demo is not None and no_serve and demo.failed:
            raise CommandError("the demo's engine work failed: " + "; ".join(demo.failed))
        if server.returncode not in (0, None) and not stopping and not no_serve:
            raise CommandError(f"the site stopped with status {server.returncode}")

    def _publish(self, shots: list[Path], site: str, token: str) -> None:
        for shot_dir in shots:
            result = publish(PublishConfig(site=site, token=token, project=DEMO_PROJECT, sequence=DEMO_SEQUENCE),
                             shot_dir)
            fresh = sum(1 for *_, created in result.variants if created)
            self.stdout.write(f"published {shot_dir.name}: plate {'yes' if result.plate else 'no'}, "
                              f"{len(result.variants)} variant(s) ({fresh} new) -> {result.shot_url}")

    def _greet(self, site: str) -> None:
        self.stdout.write(self.style.SUCCESS(f"\nThe review site is up: {site}/  (Ctrl-C stops it)"))
        self.stdout.write("Demo accounts (local use only):")
        for username, role, password in DEMO_USERS:
            self.stdout.write(f"  {role:<11} {username} / {password}")


class LiveDemo:
    """The demo's shots on the site and their engine runs, queued one shot at a time: the next shot's run is
    queued once no job of the demo is queued or running, so each shot's variants appear before the next shot
    trains, and the later shots' fit stages find the first shot's base trained."""

    def __init__(self, presets: list[str] | tuple[str, ...], *, quick: bool, say: Callable[[str], None]):
        self.quick, self.say = quick, say
        self.actor = get_user_model().objects.get(username=PIPELINE_USER)
        project = Project.objects.get(code=DEMO_PROJECT)
        budget = SyntheticBudget.quick() if quick else SyntheticBudget()  # what the engine job makes at that flag
        fps = Fraction(budget.fps)
        self.shots = []
        for code in presets:
            shot = Shot.objects.filter(sequence__project=project, sequence__code=DEMO_SEQUENCE, code=code).first()
            self.shots.append(shot or shot_create(
                project=project, sequence_code=DEMO_SEQUENCE, code=code, actor=self.actor,
                frame_start=budget.first_frame, frame_end=budget.first_frame + budget.frames - 1,
                fps_num=fps.numerator, fps_den=fps.denominator,
                description=f"demo: the synthetic {code} shot, trained and converted by the site's jobs"))
        self.failed: list[str] = []
        self._told: set[int] = set()

    def advance(self) -> bool:
        """Queue the next shot's engine run when the demo's jobs are idle; True once every shot is settled (it
        has variants, or its engine run and conversions have finished)."""
        if Job.objects.filter(shot__in=self.shots, state__in=JOB_STATE_ACTIVE).exists():
            return False
        self._tell_failures()
        for index, shot in enumerate(self.shots):
            if shot.variants.exists():
                continue
            run = Job.objects.filter(shot=shot, kind=JobKind.ENGINE, parent__isnull=True).order_by("-id").first()
            if run is None:
                first = self.shots[0]
                base = engine_folder(first, first.code) if index else None
                job = engine_run_queue(shot=shot, actor=self.actor, name=shot.code, quick=self.quick,
                                       variants=ENGINE_VARIANTS, base_from=base)
                self.say(f"{shot.code}: engine run queued (job {job.id})")
                return False
            if run.state == JobState.FAILED and index == 0:
                return False  # the later shots start from its base: they wait for its Retry
        return True

    def _tell_failures(self) -> None:
        for job in Job.objects.filter(shot__in=self.shots, parent__isnull=True, state=JobState.FAILED).exclude(
                id__in=self._told):
            self._told.add(job.id)
            line = f"{job.shot.code}: {job.get_kind_display().lower()} (job {job.id}) failed: {job.error}"
            self.failed.append(line)
            self.say(f"{line}\n  Retry it on the shot's page once the cause is fixed.")


def _token_of(username: str) -> str:
    out = StringIO()
    call_command("review_user", username, role="pipeline", project=[DEMO_PROJECT], token=True, stdout=out)
    return out.getvalue().strip()
