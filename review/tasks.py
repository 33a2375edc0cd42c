"""Background work of the site (Django's tasks framework, the database queue by default).

`render_run` takes a queued final render: it marks it running (the shot becomes rendering). The comp itself
is issue 10's: it runs the engine's comp stage and reports progress/output through `render_report`.
"""
from __future__ import annotations

import logging

from django.tasks import task

from review.models import Render

logger = logging.getLogger(__name__)


@task(queue_name="gpu")
def render_run(render_id: int) -> None:
    from review.services.renders import render_start

    render = Render.objects.filter(pk=render_id).first()
    if render is None:
        logger.warning("render %s vanished before it ran", render_id)
        return
    render_start(render=render)
    logger.info("render %s of shot %s running", render.id, render.shot_id)
