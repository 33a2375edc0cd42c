"""Server-rendered pages: the producer's board (and its CSV), the shot page, and the small forms on it.

Views stay thin: they call one selector or service; service errors become a message on the page.
"""
from __future__ import annotations

import csv
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from review.api.serializers import ShotDetailSerializer
from review.choices import DecisionVerdict, ShotStatus
from review.errors import Conflict, MediaUnwritable, UploadRejected
from review.models import Edit, Notification, NotificationPreference
from review.permissions import Action, allowed, require, role_label, roles_summary
from review.selectors import actions as action_sel
from review.selectors import shots as sel
from review.selectors.notes_export import notes_export
from review.services import edits as edit_services
from review.services import notes as note_services
from review.services import notifications as notification_services
from review.services import renders as render_services
from review.services import shots as shot_services
from review.services.notes_import import MAX_IMPORT_BYTES, notes_import_csv


def health(request: HttpRequest) -> JsonResponse:
    """Liveness for scripts and load balancers: the process answers and the database is reachable."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def _board_filters(request: HttpRequest) -> dict[str, Any]:
    """The board's filters from the query, checked (ValidationError naming a filter that means nothing)."""
    q = request.GET
    return sel.shot_filters({"project": q.get("project", ""), "sequence": q.get("sequence", ""),
                             "status": q.getlist("status"), "assignee": q.get("assignee", ""),
                             "overdue": q.get("overdue", "")})


@login_required
def board(request: HttpRequest) -> HttpResponse:
    status = 200
    try:
        filters = _board_filters(request)
    except ValidationError as exc:  # the whole board, unfiltered, under what was wrong
        messages.error(request, "; ".join(exc.messages))
        filters, status = sel.shot_filters({}), 400
    data = sel.board(user=request.user, filters=filters)
    projects = list(sel.project_list(user=request.user))
    return render(request, "review/board.html", {
        "board": data, "filters": filters, "projects": projects, "statuses": ShotStatus,
        "query": request.GET.urlencode() if status == 200 else "", "role": roles_summary(request.user)},
        status=status)


@login_required
def actions(request: HttpRequest) -> HttpResponse:
    """The producer's list of shots that need action, per person and due week; filters and sort in the URL."""
    q = request.GET
    raw = {"project": q.get("project", ""), "sequence": q.get("sequence", ""), "status": q.getlist("status"),
           "assignee": q.get("assignee", ""), "overdue": q.get("overdue", ""), "needs": q.get("needs", ""),
           "sort": q.get("sort", "")}
    status = 200
    try:
        data = action_sel.shot_actions(user=request.user, filters=raw)
    except ValidationError as exc:  # everything, unfiltered, under what was wrong
        messages.error(request, "; ".join(exc.messages))
        data, status = action_sel.shot_actions(user=request.user), 400
    return render(request, "review/actions.html", {
        "board": data, "filters": data.filters, "projects": sel.project_list(user=request.user),
        "needs": action_sel.NEEDS, "sorts": action_sel.SORTS, "statuses": ShotStatus}, status=status)


@login_required
def board_csv(request: HttpRequest) -> HttpResponse:
    try:
        filters = _board_filters(request)
    except ValidationError as exc:
        return HttpResponse("; ".join(exc.messages) + "\n", status=400, content_type="text/plain; charset=utf-8")
    data = sel.board(user=request.user, filters=filters)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="shots.csv"'
    writer = csv.writer(response)
    writer.writerow(["project", "sequence", "shot", "status", "frame_start", "frame_end", "fps", "due_date",
                     "overdue", "assignees", "variants", "open_notes"])
    for s in data.shots:
        writer.writerow([s.project, s.sequence, s.code, s.status_label, s.frame_start, s.frame_end, s.fps,
                         s.due_date or "", "yes" if s.overdue else "", " ".join(s.assignees), s.variant_count,
                         s.open_notes])
    return response


@login_required
def shot_page(request: HttpRequest, shot_id: int) -> HttpResponse:
    shot = sel.shot_detail(user=request.user, shot_id=shot_id)
    project_id = shot.sequence.project_id
    require(request.user, project_id, Action.VIEW)
    data = dict(ShotDetailSerializer(shot, context={"user": request.user}).data)
    role = role_label(request.user, project_id)
    data["user"] = {"username": request.user.username, "role": role}
    data["api"] = "/api/"
    edit = sel.latest_edit(shot)
    can = {a.name.lower(): allowed(request.user, project_id, a) for a in Action}
    return render(request, "review/shot.html", {
        "shot": shot, "shot_data": data, "edit": edit, "decision": edit and edit.whole_decision(),
        "status": ShotStatus(shot.status), "manual_statuses": [ShotStatus(s) for s in data["allowed_statuses"]],
        "can": can, "verdicts": DecisionVerdict, "role": role, "material_gaps": sel.material_gaps(shot)})


def run_for_form(request: HttpRequest, action: Any) -> None:
    """Run a service for a page form; its refusal becomes a message on the page."""
    try:
        action()
    except (PermissionDenied, Conflict, ValidationError, ValueError, UploadRejected, MediaUnwritable) as exc:
        text = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        messages.error(request, text)


@login_required
@require_POST
def shot_status_form(request: HttpRequest, shot_id: int) -> HttpResponse:
    shot = sel.shot_get(user=request.user, shot_id=shot_id)
    run_for_form(request, lambda: shot_services.shot_set_status(shot=shot, status=request.POST.get("status", ""),
                                                                actor=request.user))
    return redirect("shot", shot_id=shot_id)


@login_required
@require_POST
def shot_note_form(request: HttpRequest, shot_id: int) -> HttpResponse:
    shot = sel.shot_get(user=request.user, shot_id=shot_id)

    def create() -> None:
        try:
            start = int(request.POST.get("frame_start", ""))
            end = int(request.POST.get("frame_end") or start)
        except ValueError:
            raise ValueError("frames must be whole numbers") from None
        note_services.note_create(shot=shot, actor=request.user, frame_start=start, frame_end=end,
                                  text=request.POST.get("text", ""), attachments=request.FILES.getlist("attachments"))

    run_for_form(request, create)
    return redirect("shot", shot_id=shot_id)


@login_required
def shot_notes_export(request: HttpRequest, shot_id: int, fmt: str) -> HttpResponse:
    shot = sel.shot_get(user=request.user, shot_id=shot_id)
    require(request.user, shot.sequence.project_id, Action.VIEW)
    try:
        body, content_type, name = notes_export(shot, fmt)
    except ValueError as exc:
        return HttpResponse(f"{exc}\n", status=404, content_type="text/plain; charset=utf-8")
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@login_required
@require_POST
def shot_notes_import_form(request: HttpRequest, shot_id: int) -> HttpResponse:
    shot = sel.shot_get(user=request.user, shot_id=shot_id)

    def read() -> None:
        upload = request.FILES.get("csv")
        if upload is None:
            raise ValueError("choose a CSV file to import")
        notes = notes_import_csv(shot=shot, actor=request.user, data=upload.read(MAX_IMPORT_BYTES + 1))
        messages.success(request, f"{len(notes)} note(s) imported from {upload.name}")

    run_for_form(request, read)
    return redirect("shot", shot_id=shot_id)


@login_required
@require_POST
def edit_decision_form(request: HttpRequest, edit_id: int) -> HttpResponse:
    edit = get_object_or_404(Edit.objects.select_related("shot__sequence"), pk=edit_id)
    sel.shot_get(user=request.user, shot_id=edit.shot_id)
    run_for_form(request, lambda: edit_services.decision_create(edit=edit, actor=request.user,
                                                                verdict=request.POST.get("decision", ""),
                                                                comment=request.POST.get("comment", "")))
    return redirect("shot", shot_id=edit.shot_id)


@login_required
@require_POST
def shot_render_form(request: HttpRequest, shot_id: int) -> HttpResponse:
    shot = sel.shot_get(user=request.user, shot_id=shot_id)
    run_for_form(request, lambda: render_services.render_queue(shot=shot, actor=request.user))
    return redirect("shot", shot_id=shot_id)


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    """The signed-in person's notifications, unread first in bold; mark one, mark all, e-mail on or off."""
    unread_only = request.GET.get("unread") == "1"
    entries = sel.inbox(user=request.user, unread_only=unread_only)[:200]
    email = NotificationPreference.objects.filter(user=request.user, email=True).exists()
    return render(request, "review/inbox.html", {"entries": entries, "unread_only": unread_only, "email": email})


@login_required
@require_POST
def inbox_read_form(request: HttpRequest) -> HttpResponse:
    """Mark the notification named in `notification` read (another person's is a 404), or all when none is."""
    raw = request.POST.get("notification", "")
    try:
        notification_services.notification_mark_read(user=request.user,
                                                     notification_id=int(raw) if raw.isdigit() else None)
    except Notification.DoesNotExist as exc:
        raise Http404(str(exc)) from exc
    return redirect("inbox")


@login_required
@require_POST
def inbox_email_form(request: HttpRequest) -> HttpResponse:
    notification_services.notification_email_set(user=request.user, email=request.POST.get("email") == "1")
    return redirect("inbox")
