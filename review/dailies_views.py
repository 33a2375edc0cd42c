"""The dailies pages: the sessions of one's projects (running ones to join, ended ones to read), a session's
summary, and the supervisor's form that starts a session from a board filter. The session itself runs in the
shot pages' player (`?dailies=<id>`, frontend/src/dailies.ts)."""
from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from review.choices import ShotStatus
from review.permissions import Action, allowed
from review.selectors import dailies as dailies_sel
from review.selectors import shots as sel
from review.services import dailies as dailies_services

FILTER_FIELDS = ("project", "sequence", "status", "assignee", "overdue")


def join_url(session_id: int, shot_id: int, position: int = 1) -> str:
    """Where a session is joined: a playlist item's shot page in dailies mode (followers then go where the
    driver is)."""
    return f"{reverse('shot', args=[shot_id])}?{urlencode({'dailies': session_id, 'item': position})}"


def _filter_query(data) -> dict[str, object]:
    """The board filter fields of a query or form (status may repeat)."""
    return {name: (data.getlist(name) if name == "status" else data.get(name, "")) for name in FILTER_FIELDS}


@login_required
def dailies(request: HttpRequest) -> HttpResponse:
    """The sessions of the user's projects, and (for supervisors) the form that starts one; reached from the
    board with its filter, which the form carries."""
    filters = _filter_query(request.GET)
    projects = [p for p in sel.project_list(user=request.user) if allowed(request.user, p.id, Action.DAILIES_RUN)]
    return render(request, "review/dailies.html", {
        "sessions": dailies_sel.dailies_list(user=request.user)[:200], "projects": projects, "filters": filters,
        "statuses": ShotStatus})


@login_required
@require_POST
def dailies_start_form(request: HttpRequest) -> HttpResponse:
    """Start a session whose playlist is what the board filter keeps of the project (each shot's newest
    version), then open its first item as the driver; a refusal goes back to the form, filter kept."""
    filters = _filter_query(request.POST)
    project = sel.project_list(user=request.user).filter(code=filters["project"]).first()
    try:
        if project is None:
            raise ValidationError({"project": f"no project {filters['project']!r} among yours: pick one"})
        items = dailies_sel.playlist_from_filter(user=request.user, project=project,
                                                 filters={k: v for k, v in filters.items() if k != "project"})
        session = dailies_services.dailies_create(project=project, actor=request.user,
                                                  title=request.POST.get("title", ""), items=items)
    except (PermissionDenied, ValidationError) as exc:
        messages.error(request, "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc))
        query = urlencode({k: v for k, v in filters.items() if v}, doseq=True)
        return redirect(f"{reverse('dailies')}?{query}" if query else reverse("dailies"))
    first = session.items.order_by("position").first()
    return redirect(join_url(session.id, first.shot_id))


@login_required
def dailies_summary(request: HttpRequest, session_id: int) -> HttpResponse:
    """One session: its playlist (each item a link into the session) and the notes written while it ran."""
    session = dailies_sel.dailies_get(user=request.user, session_id=session_id)
    items = [(item, join_url(session.id, item.shot_id, item.position)) for item in session.items.all()]
    return render(request, "review/dailies_summary.html", {
        "session": session, "items": items, "notes": dailies_sel.dailies_notes(session)})
