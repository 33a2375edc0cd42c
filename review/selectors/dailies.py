"""Dailies sessions as people see them (only their projects'), and a session's summary."""
from __future__ import annotations

from typing import Any

from django.db.models import Count, F, OuterRef, QuerySet, Subquery
from django.http import Http404

from review.models import DailiesItem, DailiesSession, Note, Project, Shot, Variant
from review.selectors.shots import latest_versions, project_ids_for, shot_list

MAX_PLAYLIST = 500


def dailies_get(*, user: Any, session_id: int) -> DailiesSession:
    """One session of a project the user belongs to, with its playlist, or 404."""
    ids = project_ids_for(user)
    qs = DailiesSession.objects.select_related("project", "driver", "created_by").prefetch_related(
        "items__shot__sequence", "items__variant")
    session = (qs if ids is None else qs.filter(project_id__in=ids)).filter(pk=session_id).first()
    if session is None:
        raise Http404(f"no dailies session {session_id}")
    return session


def dailies_list(*, user: Any) -> QuerySet[DailiesSession]:
    """The sessions of the user's projects, the running ones first, then the newest; each with its playlist's
    length (`item_count`) and the first item's shot (`first_shot_id`), where a join starts."""
    ids = project_ids_for(user)
    first = DailiesItem.objects.filter(session=OuterRef("pk")).order_by("position").values("shot_id")[:1]
    qs = DailiesSession.objects.select_related("project", "driver", "created_by").annotate(
        item_count=Count("items"), first_shot_id=Subquery(first))
    qs = qs if ids is None else qs.filter(project_id__in=ids)
    return qs.order_by(F("ended").desc(nulls_first=True), "-started", "-id")  # running (no end yet) first


def dailies_notes(session: DailiesSession) -> QuerySet[Note]:
    """The notes (not replies) written on the playlist's shots while the session ran, in playlist order."""
    shots = [item.shot_id for item in session.items.all()]
    qs = Note.objects.filter(shot_id__in=shots, parent__isnull=True, created__gte=session.started)
    if session.ended is not None:
        qs = qs.filter(created__lte=session.ended)
    return qs.select_related("shot", "author").order_by("shot__code", "frame_start", "created", "id")


def playlist_from_filter(*, user: Any, project: Project, filters: dict[str, Any]) -> list[tuple[Shot, Variant | None]]:
    """A playlist from a board filter: the project's shots the filter keeps, in board order (sequence, code),
    each with its newest published variant version (the plate where it has none). A filter that keeps no shot
    or more than MAX_PLAYLIST is a ValidationError saying so."""
    from django.core.exceptions import ValidationError

    shots = list(shot_list(user=user, filters={**filters, "project": project.code})[:MAX_PLAYLIST + 1])
    if not shots:
        raise ValidationError({"filter": "the filter keeps no shot of the project: loosen it"})
    if len(shots) > MAX_PLAYLIST:
        raise ValidationError({"filter": f"the filter keeps more than {MAX_PLAYLIST} shots: narrow it"})
    newest: dict[int, Variant] = {}
    for variant in latest_versions().filter(shot__in=shots).order_by("shot_id", "-created", "-id"):
        newest.setdefault(variant.shot_id, variant)
    return [(shot, newest.get(shot.id)) for shot in shots]
