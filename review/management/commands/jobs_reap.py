"""`manage.py jobs_reap`: re-queue (or fail) jobs whose worker died, once or every few seconds.

Every `jobs_worker` already sweeps; this is for a cron job or a node that runs no worker.
"""
from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from review.jobs.runner import jobs_reap


class Command(BaseCommand):
    help = "Re-queue jobs whose worker stopped (stale heartbeat) and re-enqueue jobs whose task was lost."

    def add_arguments(self, parser):
        parser.add_argument("--every", type=float, default=0, help="sweep every N seconds (default: once)")

    def handle(self, *args, every: float, **options):
        while True:
            for line in jobs_reap():
                self.stdout.write(line)
            if not every:
                return
            time.sleep(every)
