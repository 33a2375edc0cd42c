"""The producer's "needs action" list: which shots are on it and why, per person and per due week, sorted, filtered;
closed shots and shots with nothing to do stay off it; a filter that means nothing is refused by name."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError

from review.choices import FrameFixState, RenderState, ShotStatus
from review.models import FrameFix, Render
from review.selectors.actions import shot_actions, week_of
from tests.review.factories import EditFactory, NoteFactory, ShotFactory, VariantFactory

MONDAY = date(2026, 12, 7)


@pytest.fixture
def chase(world):
    """SH010: nothing to do. Notes (artist, due this week), changes requested (artist + supervisor, next week),
    a fix waiting (nobody, no date), a failed render (supervisor, this week), a closed shot with an open note."""
    artist, supervisor = world.users["artist"], world.users["supervisor"]
    notes = ShotFactory(sequence=world.sequence, code="SH020", status=ShotStatus.IN_REVIEW, due_date=MONDAY + timedelta(2))
    NoteFactory(shot=notes)
    NoteFactory(shot=notes)
    NoteFactory(shot=notes, resolved=True)
    notes.assignees.add(artist)
    changes = ShotFactory(sequence=world.sequence, code="SH030", status=ShotStatus.CHANGES_REQUESTED,
                          due_date=MONDAY + timedelta(8))
    changes.assignees.add(artist, supervisor)
    fixes = ShotFactory(sequence=world.sequence, code="SH040", status=ShotStatus.APPROVED)
    FrameFix.objects.create(shot=fixes, frame_start=1001, frame_end=1001, state=FrameFixState.SUBMITTED)
    FrameFix.objects.create(shot=fixes, frame_start=1001, frame_end=1001, state=FrameFixState.ACCEPTED)
    failed = ShotFactory(sequence=world.sequence, code="SH050", status=ShotStatus.RENDERING, due_date=MONDAY)
    VariantFactory(shot=failed)
    edit = EditFactory(shot=failed)
    Render.objects.create(shot=failed, edit=edit, state=RenderState.DONE)
    Render.objects.create(shot=failed, edit=edit, state=RenderState.FAILED)  # the newest
    failed.assignees.add(supervisor)
    closed = ShotFactory(sequence=world.sequence, code="SH060", status=ShotStatus.FINAL)
    NoteFactory(shot=closed)
    return world


def layout(board):
    return {g.person: [(w.week, [r.name.rsplit("/", 1)[1] for r in w.rows]) for w in g.weeks] for g in board.people}


def test_each_person_sees_their_shots_per_due_week_and_why(chase):
    board = shot_actions(user=chase.users["producer"], today=MONDAY + timedelta(3))
    assert layout(board) == {
        "artist1": [(MONDAY, ["SH020"]), (MONDAY + timedelta(7), ["SH030"])],
        "supervisor1": [(MONDAY, ["SH050"]), (MONDAY + timedelta(7), ["SH030"])],
        "": [(None, ["SH040"])],  # nobody assigned, no due date: last
    }
    rows = {r.name.rsplit("/", 1)[1]: r for g in board.people for w in g.weeks for r in w.rows}
    assert rows["SH020"].needs == ["notes"] and rows["SH020"].open_notes == 2 and rows["SH020"].overdue
    assert rows["SH030"].needs == ["changes"] and not rows["SH030"].overdue
    assert rows["SH040"].needs == ["fixes"] and rows["SH040"].fixes_waiting == 1
    assert rows["SH050"].needs == ["render"] and rows["SH050"].needs_labels == ["render failed"]
    assert board.total == 4 and board.counts == {"notes": 1, "changes": 1, "fixes": 1, "render": 1}


def test_filters_and_sort_narrow_and_order_the_list(chase):
    producer = chase.users["producer"]
    assert layout(shot_actions(user=producer, filters={"assignee": "artist1"})) == {
        "artist1": [(MONDAY, ["SH020"]), (MONDAY + timedelta(7), ["SH030"])]}  # not the co-assignee's list
    assert layout(shot_actions(user=producer, filters={"needs": "render"})) == {"supervisor1": [(MONDAY, ["SH050"])]}
    NoteFactory(shot=chase.shot)  # SH010 now has an open note, due the same (no) week as SH040
    by_notes = shot_actions(user=producer, filters={"sort": "-notes"})
    assert layout(by_notes)[""] == [(None, ["SH010", "SH040"])]
    assert layout(shot_actions(user=producer, filters={"sort": "notes"}))[""] == [(None, ["SH040", "SH010"])]
    assert shot_actions(user=chase.outsider).people == []  # another project's shots are not theirs


@pytest.mark.parametrize(("filters", "named"), [({"sort": "colour"}, "sort"), ({"needs": "coffee"}, "needs"),
                                                 ({"status": ["late"]}, "status")])
def test_a_filter_that_means_nothing_is_refused_by_name(chase, filters, named):
    with pytest.raises(ValidationError, match=named):
        shot_actions(user=chase.users["producer"], filters=filters)


def test_a_due_week_starts_on_monday():
    assert week_of(date(2026, 12, 13)) == MONDAY and week_of(MONDAY) == MONDAY and week_of(None) is None


def test_the_list_costs_the_same_queries_for_many_shots_as_for_a_few(chase):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            shot_actions(user=chase.users["producer"])
        return len(captured.captured_queries)

    queries()  # the person's projects are looked up once, then remembered
    few = queries()
    assert few <= 2  # the shots with their counts, then their assignees
    for i in range(8):
        shot = ShotFactory(sequence=chase.sequence, code=f"SH1{i:02d}", status=ShotStatus.CHANGES_REQUESTED)
        shot.assignees.add(chase.users["artist"])
    assert queries() == few
