"""The shot page's job forms: retry a failed job, run the engine on the shot, convert one variant again.
Refusals become page messages."""
from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from review.jobs.runner import job_retry
from review.selectors import shots as sel
from review.selectors.jobs import job_get
from review.services.engine import convert_queue, engine_run_queue
from review.views import run_for_form


@login_required
@require_POST
def job_retry_form(request: HttpRequest, job_id: int) -> HttpResponse:
    job = job_get(job_id=job_id)
    sel.shot_get(user=request.user, shot_id=job.shot_id)
    run_for_form(request, lambda: job_retry(job=job, actor=request.user))
    return redirect("shot", shot_id=job.shot_id)


@login_required
@require_POST
def shot_engine_form(request: HttpRequest, shot_id: int) -> HttpResponse:
    shot = sel.shot_get(user=request.user, shot_id=shot_id)
    run_for_form(request, lambda: engine_run_queue(shot=shot, actor=request.user, name=request.POST.get("name", ""),
                                                   quick=request.POST.get("quick") == "1",
                                                   variants=request.POST.getlist("variants")))
    return redirect("shot", shot_id=shot_id)


@login_required
@require_POST
def shot_convert_form(request: HttpRequest, shot_id: int) -> HttpResponse:
    shot = sel.shot_get(user=request.user, shot_id=shot_id)
    run_for_form(request, lambda: convert_queue(shot=shot, actor=request.user, name=request.POST.get("name", ""),
                                                variant=request.POST.get("variant", "")))
    return redirect("shot", shot_id=shot_id)
