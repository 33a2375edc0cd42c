"""The header's inbox link: the unread count as the page is drawn (ws/inbox/ keeps it current after)."""
from __future__ import annotations

from typing import Any

from django import template

from review.services.notifications import unread_count

register = template.Library()


@register.simple_tag(takes_context=True)
def inbox_unread(context: Any) -> int:
    user = context.get("user")
    return unread_count(user.pk) if user is not None and user.is_authenticated else 0
