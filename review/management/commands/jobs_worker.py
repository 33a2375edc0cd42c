"""`manage.py jobs_worker`: django-tasks-db's `db_worker` plus the jobs reaper in a background thread.

Takes every `db_worker` option (`--queue-name gpu,cpu`, `--interval`, ...). Each worker sweeps for jobs
whose worker died every quarter of FACEREPLACE_JOB_STALE_SECONDS, so a farm needs no extra process for it.
"""
from __future__ import annotations

from django_tasks_db.management.commands.db_worker import Command as DbWorkerCommand

from review.jobs.runner import reaper_thread, stale_seconds


class Command(DbWorkerCommand):
    help = "Run a task worker on the database queue that also re-queues jobs of dead workers."

    def handle(self, *args, **options):
        reaper_thread(max(0.5, stale_seconds() / 4))
        return super().handle(*args, **options)
