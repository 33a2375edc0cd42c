"""The board's shot rows, rendered in one function: 500 rows through the template engine cost ~70 ms, this
a few. The markup is the same a template would write; every text value is escaped, numbers are numbers."""
from __future__ import annotations

from collections.abc import Iterable

from django import template
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from review.selectors.shots import BoardRow

register = template.Library()

_ROW = ('<tr id="shot-{id}" data-shot="{id}" class="{row_class}"><td><a href="{prefix}{id}/">{name}</a></td>'
        '<td><span class="status" data-status="{status}" style="--c: {colour}">{label}</span>{partly}</td>'
        "<td>{start}–{end}</td><td>{fps}</td><td>{due}{late}</td><td>{assignees}</td><td>{variants}</td>"
        "<td>{notes}</td><td>{job}</td></tr>\n")
_LATE = ' <span class="late">overdue</span>'
# Derived, not a status: some frames approved by range and locked, the shot not yet approved whole.
_PARTLY = ' <span class="partly" title="{frames} of {total} frames approved and locked">partly approved</span>'
_JOB = '<progress max="1" value="{progress:.3f}"></progress> <small>{label} {percent}%</small>'


@register.simple_tag
def board_rows(shots: Iterable[BoardRow]) -> SafeString:
    prefix = reverse("shot", args=[0])[:-2]  # "/shots/"; one reverse() for all rows
    rows = "".join(_ROW.format(
        id=int(s.id), prefix=prefix, row_class="is-overdue" if s.overdue else "", name=escape(s.name),
        status=escape(s.status), colour=escape(s.status_colour), label=escape(s.status_label),
        partly=_PARTLY.format(frames=int(s.approved_frames), total=int(s.frame_end - s.frame_start + 1))
        if s.partly_approved else "",
        start=int(s.frame_start), end=int(s.frame_end), fps=escape(s.fps), due=s.due_date or "",
        late=_LATE if s.overdue else "", assignees=escape(", ".join(s.assignees)), variants=int(s.variant_count),
        notes=int(s.open_notes), job=_JOB.format(progress=float(s.job_progress), label=escape(s.job_label),
                                                 percent=int(s.job_progress * 100)) if s.job_kind else "")
        for s in shots)
    return mark_safe(rows or '<tr><td colspan="9" class="empty">No shots match.</td></tr>')


@register.simple_tag(takes_context=True)
def query_with(context: template.Context, **changes: object) -> str:
    """This page's query string with `changes` applied (a sort link keeps every filter, and vice versa)."""
    query = context["request"].GET.copy()
    for name, value in changes.items():
        if value in ("", None):
            query.pop(name, None)
        else:
            query[name] = str(value)
    return f"?{query.urlencode()}"


@register.simple_tag(takes_context=True)
def sort_link(context: template.Context, key: str) -> str:
    """The link of a column heading: sort by `key`, or the other way round when it sorts by it already."""
    current = context["filters"]["sort"]
    return query_with(context, sort=f"-{key}" if current == key else key)
