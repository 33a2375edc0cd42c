"""Notifications: what happened on a shot that concerns a person, in their inbox.

The services that make a change call `notify` inside their transaction, so an entry exists exactly when the
change does; the e-mail and the live unread count in the header go out only after the commit.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from review.live_relay import send_to_groups
from review.models import Note, Notification, NotificationPreference, Shot

logger = logging.getLogger(__name__)


def inbox_group(user_id: int) -> str:
    return f"inbox_{user_id}"


def unread_count(user_id: int) -> int:
    return Notification.objects.filter(user_id=user_id, read_at__isnull=True).count()


def _push_counts(user_ids: Iterable[int]) -> None:
    """After the commit: tell each person's open pages their new unread count."""
    ids = sorted(set(user_ids))

    def send() -> None:
        for user_id in ids:
            try:
                send_to_groups([inbox_group(user_id)], {"type": "review.event", "message": {
                    "type": "inbox.count", "unread": unread_count(user_id)}})
            except Exception:  # a dead channel layer or relay must not break a write that already committed
                logger.exception("could not push the unread count of user %s", user_id)

    if ids:
        transaction.on_commit(send)


def _send_emails(entries: list[Notification]) -> None:
    """After the commit: e-mail those who asked for it and have an address (Django's mail settings)."""
    wanted = set(NotificationPreference.objects.filter(user__in=[e.user_id for e in entries], email=True)
                 .values_list("user_id", flat=True))
    mails = [(e.user.email, f"[facereplace] {e.shot}: {e.verb}", e.summary) for e in entries
             if e.user_id in wanted and e.user.email]

    def send() -> None:
        for address, subject, body in mails:
            try:
                send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [address])
            except Exception:  # an unreachable mail server must not break a write that already committed
                logger.exception("could not e-mail %s", address)

    if mails:
        transaction.on_commit(send)


def notify(*, users: Iterable[Any], shot: Shot, actor: Any, verb: str, summary: str) -> list[Notification]:
    """Put an entry in each person's inbox (never the actor's own: nobody is told what they did themselves)."""
    actor_id = getattr(actor, "pk", None) if getattr(actor, "is_authenticated", False) else None
    recipients = {u.pk: u for u in users if u is not None and u.pk != actor_id and u.is_active}
    entries = [Notification(user=u, shot=shot, actor_id=actor_id, verb=verb, summary=summary[:500])
               for u in recipients.values()]
    Notification.objects.bulk_create(entries)
    _send_emails(entries)
    _push_counts(recipients)
    return entries


def notify_assignees(*, shot: Shot, actor: Any, verb: str, summary: str, also: Iterable[Any] = ()) -> None:
    notify(users=[*shot.assignees.all(), *also], shot=shot, actor=actor, verb=verb, summary=summary)


def note_thread_people(note: Note) -> list[Any]:
    """Who wrote in a thread: the note's author and everyone who replied to it."""
    root = note.parent or note
    return [n.author for n in Note.objects.filter(Q(pk=root.pk) | Q(parent=root)).select_related("author")]


@transaction.atomic
def notification_mark_read(*, user: Any, notification_id: int | None = None) -> int:
    """Mark one of `user`'s notifications read (another person's is not found), or all of them; returns how
    many changed."""
    mine = Notification.objects.filter(user=user, read_at__isnull=True)
    if notification_id is not None:
        if not Notification.objects.filter(user=user, pk=notification_id).exists():
            raise Notification.DoesNotExist(f"no notification {notification_id} in your inbox")
        mine = mine.filter(pk=notification_id)
    changed = mine.update(read_at=timezone.now())
    _push_counts([user.pk])
    return changed


@transaction.atomic
def notification_email_set(*, user: Any, email: bool) -> NotificationPreference:
    preference, _ = NotificationPreference.objects.update_or_create(user=user, defaults={"email": email})
    return preference
