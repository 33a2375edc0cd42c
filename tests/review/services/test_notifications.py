"""Notifications: who gets what when notes, replies, fixes, renders and statuses change; read marks; e-mail."""
from __future__ import annotations

import pytest

from review.choices import FrameFixState, RenderState, ShotStatus
from review.models import FrameFix, Notification, Render
from review.selectors.shots import inbox
from review.services.fixes import fix_review
from review.services.notes import note_create, note_reply
from review.services.notes_import import notes_import_csv
from review.services.notifications import notification_email_set, notification_mark_read, unread_count
from review.services.renders import render_fail, render_start
from review.services.shots import shot_set_status
from tests.review.factories import EditFactory


@pytest.fixture
def assigned(world):
    """The artist is assigned to the shot; the supervisor is not."""
    world.shot.assignees.add(world.users["artist"])
    return world


def verbs(user) -> list[str]:
    return list(Notification.objects.filter(user=user).order_by("id").values_list("verb", flat=True))


def test_a_note_tells_the_assignees_but_not_its_author(assigned):
    artist, supervisor = assigned.users["artist"], assigned.users["supervisor"]
    note_create(shot=assigned.shot, actor=supervisor, frame_start=1003, text="eyes drift")
    assert verbs(artist) == ["note.created"] and verbs(supervisor) == []
    entry = Notification.objects.get(user=artist)
    assert entry.shot == assigned.shot and entry.actor == supervisor and "eyes drift" in entry.summary
    assert "1003" in entry.summary and entry.read_at is None
    note_create(shot=assigned.shot, actor=artist, frame_start=1004, text="my own note")
    assert verbs(artist) == ["note.created"]  # nobody is told what they did themselves
    notes_import_csv(shot=assigned.shot, actor=supervisor, data="frame,text\n1002,one\n1003,two\n")
    assert verbs(artist) == ["note.created", "notes.imported"]  # one entry per file
    assert "2 note(s)" in Notification.objects.get(user=artist, verb="notes.imported").summary


def test_a_reply_tells_everyone_in_the_thread_but_the_replier(world):
    artist, supervisor, producer = (world.users[r] for r in ("artist", "supervisor", "producer"))
    note = note_create(shot=world.shot, actor=supervisor, frame_start=1002, text="hairline")
    reply = note_reply(note=note, actor=artist, text="on it")
    assert verbs(supervisor) == ["note.replied"] and verbs(artist) == []
    note_reply(note=reply, actor=supervisor, text="thanks")  # a reply to a reply goes to the thread
    assert verbs(artist) == ["note.replied"] and verbs(supervisor) == ["note.replied"]
    assert verbs(producer) == []


@pytest.mark.parametrize("state", [FrameFixState.ACCEPTED, FrameFixState.REJECTED])
def test_a_fix_review_tells_its_author(world, state):
    artist, supervisor = world.users["artist"], world.users["supervisor"]
    fix = FrameFix.objects.create(shot=world.shot, frame_start=1002, frame_end=1002, author=artist)
    fix_review(fix=fix, actor=supervisor, state=state, comment="see the chin")
    entry = Notification.objects.get(user=artist)
    assert entry.verb == f"fix.{state}" and state in entry.summary and "see the chin" in entry.summary
    assert verbs(supervisor) == []


def test_a_failed_render_tells_the_assignees_and_who_asked_for_it(assigned):
    artist, supervisor = assigned.users["artist"], assigned.users["supervisor"]
    shot = assigned.shot
    shot.status = ShotStatus.APPROVED
    shot.save()
    render = Render.objects.create(shot=shot, edit=EditFactory(shot=shot, version=1, segments=[]), state=RenderState.QUEUED,
                                   requested_by=supervisor)
    render_start(render=render)
    render_fail(render=render, error="out of memory")
    # the artist also hears of the shot's status following the render (approved -> rendering -> approved)
    assert verbs(artist) == ["status.changed", "render.failed", "status.changed"]
    assert verbs(supervisor) == ["render.failed"]
    assert "failed" in Notification.objects.get(user=supervisor).summary


def test_a_status_change_tells_the_assignees(assigned):
    shot_set_status(shot=assigned.shot, status=ShotStatus.ON_HOLD, actor=assigned.users["supervisor"])
    entry = Notification.objects.get(user=assigned.users["artist"])
    assert entry.verb == "status.changed" and "On hold" in entry.summary


def test_mark_one_then_all_read_and_only_ones_own(assigned):
    artist, supervisor = assigned.users["artist"], assigned.users["supervisor"]
    for frame in (1002, 1003, 1004):
        note_create(shot=assigned.shot, actor=supervisor, frame_start=frame, text="again")
    first = inbox(user=artist).last()
    assert unread_count(artist.pk) == 3
    with pytest.raises(Notification.DoesNotExist, match="no notification"):
        notification_mark_read(user=supervisor, notification_id=first.id)
    assert notification_mark_read(user=artist, notification_id=first.id) == 1
    assert unread_count(artist.pk) == 2 and inbox(user=artist, unread_only=True).count() == 2
    assert notification_mark_read(user=artist) == 2
    assert unread_count(artist.pk) == 0 and inbox(user=artist).count() == 3


def test_email_goes_after_the_commit_to_those_who_asked(assigned, mailoutbox, django_capture_on_commit_callbacks):
    artist, producer, supervisor = (assigned.users[r] for r in ("artist", "producer", "supervisor"))
    artist.email, producer.email = "artist@example.com", "producer@example.com"
    artist.save()
    producer.save()
    assigned.shot.assignees.add(producer)  # assigned, but has not asked for e-mail
    notification_email_set(user=artist, email=True)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        note_create(shot=assigned.shot, actor=supervisor, frame_start=1005, text="jaw line")
    assert mailoutbox == []  # nothing before the commit
    for callback in callbacks:
        callback()
    assert [m.to for m in mailoutbox] == [["artist@example.com"]]
    assert "SH010" in mailoutbox[0].subject and "jaw line" in mailoutbox[0].body
