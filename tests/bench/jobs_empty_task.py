"""The empty task of the queue benchmark (its own module: workers import it by path, with Django set up)."""
from __future__ import annotations

from django.tasks import task


@task(queue_name="default")
def empty_task() -> None:
    """Nothing: what the queue itself costs per task."""
