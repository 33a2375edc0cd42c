"""Selectors: the board's rows and counts, and the shot detail, each only for the projects a user is in."""
from __future__ import annotations

from datetime import timedelta

import pytest
from django.http import Http404
from django.utils import timezone

from review.choices import ShotStatus
from review.selectors.shots import board, shot_detail, shot_list
from tests.review.factories import NoteFactory, SequenceFactory, ShotFactory, VariantFactory


def test_board_counts_rows_and_overdue(world):
    yesterday = timezone.localdate() - timedelta(days=1)
    late = ShotFactory(sequence=world.sequence, code="SH020", status=ShotStatus.IN_REVIEW, due_date=yesterday)
    late.assignees.add(world.users["artist"], world.users["supervisor"])
    VariantFactory(shot=late, label="a")
    VariantFactory(shot=late, label="b")
    NoteFactory(shot=late)
    NoteFactory(shot=late, resolved=True)
    ShotFactory(sequence=SequenceFactory(project=world.project, code="SQ020"), code="SH030",
                status=ShotStatus.OMITTED, due_date=yesterday)
    data = board(user=world.users["producer"])
    counts = dict((s.value, n) for s, n in data.status_counts)
    assert counts["waiting"] == 1 and counts["in_review"] == 1 and counts["omitted"] == 1 and counts["final"] == 0
    assert data.sequence_counts == [("dance/SQ010", 2, [1, 0, 1, 0, 0, 0, 0, 0, 0]),
                                    ("dance/SQ020", 1, [0, 0, 0, 0, 0, 0, 0, 0, 1])]
    assert [r.code for r in data.overdue] == ["SH020"]  # the omitted shot is late but out of the schedule
    row = next(r for r in data.shots if r.code == "SH020")
    assert (row.variant_count, row.open_notes, row.assignees) == (2, 1, ("artist1", "supervisor1"))
    assert row.status_colour == ShotStatus.IN_REVIEW.colour and row.name == "dance/SQ010/SH020"


def test_filters_combine(world):
    ShotFactory(sequence=world.sequence, code="SH020", status=ShotStatus.FINAL)
    producer = world.users["producer"]
    assert [s.code for s in shot_list(user=producer, filters={"status": ["final"]})] == ["SH020"]
    assert shot_list(user=producer, filters={"status": ["final"], "sequence": "SQ999"}).count() == 0
    assert [r.code for r in board(user=producer, filters={"status": ["waiting"]}).shots] == ["SH010"]


def test_other_projects_are_invisible(world):
    assert board(user=world.outsider).shots == []
    with pytest.raises(Http404):
        shot_detail(user=world.outsider, shot_id=world.shot.id)


def test_shot_detail_separates_notes_from_replies(world):
    note = NoteFactory(shot=world.shot, text="root")
    NoteFactory(shot=world.shot, parent=note, text="reply")
    shot = shot_detail(user=world.users["artist"], shot_id=world.shot.id)
    assert [n.text for n in shot.root_notes] == ["root"]
    assert [r.text for r in shot.root_notes[0].replies.all()] == ["reply"]
