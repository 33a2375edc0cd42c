"""Notes on frames: written by supervisors and artists, answered with replies, resolved when dealt with."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from review.models import Note, NoteAttachment, Shot, Variant
from review.permissions import Action, require
from review.services.activity import activity_record
from review.services.media import attachment_check, deleted_on_error, upload_size_check
from review.services.notifications import note_thread_people, notify, notify_assignees


def _note_message(note: Note, kind: str) -> dict[str, Any]:
    return {"type": kind, "note": note.id, "frame_start": note.frame_start, "frame_end": note.frame_end}


@transaction.atomic
def note_create(*, shot: Shot, actor: Any, frame_start: int, frame_end: int | None = None, text: str,
                drawing: dict | None = None, variant: Variant | None = None,
                attachments: Sequence[UploadedFile] = ()) -> Note:
    require(actor, shot.sequence.project_id, Action.NOTE_CREATE)
    note = Note(shot=shot, variant=variant, frame_start=frame_start,
                frame_end=frame_start if frame_end is None else frame_end, text=text, drawing=drawing, author=actor)
    note.full_clean()
    note.save()
    with deleted_on_error() as stored:
        for upload in attachments:
            upload_size_check(upload.size, what=f"attachment {upload.name!r}")
            suffix = attachment_check(upload)
            attachment = NoteAttachment(note=note, original_name=(upload.name or "")[:255], size=upload.size or 0)
            attachment.file.save(f"attachment{suffix}", upload, save=False)
            stored.append(attachment.file.name)
            attachment.save()
    frames = f"{note.frame_start}" if note.frame_start == note.frame_end else f"{note.frame_start}-{note.frame_end}"
    activity_record(shot=shot, actor=actor, verb="note.created", summary=f"{shot}: note on {frames} by {actor}",
                    data={"note": note.id}, message=_note_message(note, "note.created"))
    notify_assignees(shot=shot, actor=actor, verb="note.created",
                     summary=f"{shot}: {actor} wrote a note on {frames}: {note.text[:200]}")
    return note


@transaction.atomic
def note_reply(*, note: Note, actor: Any, text: str) -> Note:
    shot = note.shot
    require(actor, shot.sequence.project_id, Action.NOTE_CREATE)
    root = note.parent or note
    reply = Note(shot=shot, parent=root, variant=root.variant, frame_start=root.frame_start,
                 frame_end=root.frame_end, text=text, author=actor)
    reply.full_clean()
    reply.save()
    notify(users=note_thread_people(root), shot=shot, actor=actor, verb="note.replied",
           summary=f"{shot}: {actor} replied to a note on {root.frame_start}: {text[:200]}")
    activity_record(shot=shot, actor=actor, verb="note.replied", summary=f"{shot}: {actor} replied to a note",
                    data={"note": root.id, "reply": reply.id}, message=_note_message(root, "note.updated"))
    return reply


@transaction.atomic
def note_resolve(*, note: Note, actor: Any, resolved: bool = True) -> Note:
    shot = note.shot
    require(actor, shot.sequence.project_id, Action.NOTE_RESOLVE)
    note.resolved = resolved
    note.resolved_by = actor if resolved else None
    note.resolved_at = timezone.now() if resolved else None
    note.full_clean()
    note.save(update_fields=["resolved", "resolved_by", "resolved_at"])
    activity_record(shot=shot, actor=actor, verb="note.resolved" if resolved else "note.reopened",
                    summary=f"{shot}: note {note.id} {'resolved' if resolved else 'reopened'} by {actor}",
                    data={"note": note.id}, message=_note_message(note, "note.updated"))
    return note
