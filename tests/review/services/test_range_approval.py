"""Approval per frame range: a range approval locks its frames to the versions the edit picked there, a later
edit keeps them unless a supervisor unlocks the range, and the shot is approved (its render queued) once the
locked ranges cover it."""
from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from review.choices import ShotStatus
from review.errors import Conflict
from review.models import Activity, Decision, Render
from review.selectors.shots import board, covered_frames
from review.services.edits import decision_create, edit_create, range_unlock
from review.services.shots import shot_move
from tests.review.factories import VariantFactory


@pytest.fixture
def versions(world):
    """rigid v001 and v002, loose v001 of the world's shot (frames 1001-1012), in review."""
    world.rigid1 = VariantFactory(shot=world.shot, label="rigid", version=1)
    world.rigid2 = VariantFactory(shot=world.shot, label="rigid", version=2)
    world.loose = VariantFactory(shot=world.shot, label="loose", version=1)
    shot_move(shot=world.shot, to=ShotStatus.IN_REVIEW, actor=None)
    return world


def _edit(world, *pieces):
    return edit_create(shot=world.shot, actor=world.users["supervisor"], segments=[
        {"variant": v.id, "frame_start": a, "frame_end": b} for v, a, b in pieces])


def _approve(world, edit, start, end, who="supervisor"):
    return decision_create(edit=edit, actor=world.users[who], verdict="approve", frame_start=start, frame_end=end)


def test_a_locked_range_is_kept_by_later_edits_until_unlocked(versions):
    w = versions
    first = _edit(w, (w.rigid1, 1001, 1006), (w.loose, 1007, 1012))
    lock = _approve(w, first, 1001, 1004)
    assert lock.locked and Decision.objects.get(pk=lock.pk).frame_end == 1004
    w.shot.refresh_from_db()
    assert w.shot.status == ShotStatus.IN_REVIEW and not Render.objects.exists()  # partly approved only

    # the same pick over the locked frames, cut differently: kept
    kept = _edit(w, (w.rigid1, 1001, 1002), (w.rigid1, 1003, 1008), (w.rigid2, 1009, 1012))
    assert kept.version == 2
    with pytest.raises(Conflict, match=r"frames 1001-1004 .* approved and locked \(1001-1004 rigid v001, edit v1"):
        _edit(w, (w.rigid2, 1001, 1012))  # another version of the same variant is another pick
    range_unlock(decision=lock, actor=w.users["supervisor"], comment="try v002")
    changed = _edit(w, (w.rigid2, 1001, 1012))
    assert changed.version == 3
    unlocked = Activity.objects.get(shot=w.shot, verb="range.unlocked")
    assert unlocked.actor == w.users["supervisor"] and "frames 1001-1004 unlocked: try v002" in unlocked.summary
    with pytest.raises(Conflict, match="already unlocked"):
        range_unlock(decision=lock, actor=w.users["supervisor"])


def test_a_dissolve_reaching_into_a_locked_range_is_part_of_the_lock(versions):
    w = versions

    def edit(transition, after=w.loose):
        return edit_create(shot=w.shot, actor=w.users["supervisor"], segments=[
            {"variant": w.rigid1.id, "frame_start": 1001, "frame_end": 1006},
            {"variant": after.id, "frame_start": 1007, "frame_end": 1012, "transition": transition}])

    _approve(w, edit(0), 1001, 1006)
    edit(0, after=w.rigid2)  # a hard cut after the lock: the locked frames are as approved
    with pytest.raises(Conflict, match="any dissolve into them"):
        edit(4)  # a dissolve at 1007 blends 1005-1006 with loose
    range_unlock(decision=Decision.objects.get(frame_start=1001), actor=w.users["supervisor"])
    _approve(w, edit(4), 1001, 1006)
    edit(4)  # the same dissolve: kept
    with pytest.raises(Conflict, match="frames 1001-1006"):
        edit(4, after=w.rigid2)  # the dissolve now blends another version into 1005-1006


def test_the_shot_is_approved_and_rendered_when_locked_ranges_cover_it(versions):
    w = versions
    edit = _edit(w, (w.rigid1, 1001, 1006), (w.loose, 1007, 1012))
    _approve(w, edit, 1001, 1006)
    assert board(user=w.users["producer"]).shots[0].partly_approved
    _approve(w, edit, 1005, 1011)  # overlaps are fine; frame 1012 is still open
    w.shot.refresh_from_db()
    assert w.shot.status == ShotStatus.IN_REVIEW and covered_frames([(1001, 1006), (1005, 1011)]) == 11
    _approve(w, edit, 1012, 1012)
    w.shot.refresh_from_db()
    assert w.shot.status == ShotStatus.APPROVED
    render = Render.objects.get(shot=w.shot)
    assert render.edit == edit and edit.whole_decision().comment == "every frame approved range by range"
    row = board(user=w.users["producer"]).shots[0]
    assert row.approved_frames == 12 and not row.partly_approved


def test_only_a_supervisor_approves_ranges_and_unlocks(versions):
    w = versions
    edit = _edit(w, (w.rigid1, 1001, 1012))
    with pytest.raises(PermissionDenied, match="only a supervisor"):
        _approve(w, edit, 1001, 1004, who="artist")
    lock = _approve(w, edit, 1001, 1004)
    for who in ("artist", "producer", "pipeline"):
        with pytest.raises(PermissionDenied, match="only a supervisor"):
            range_unlock(decision=lock, actor=w.users[who])


def test_a_range_is_an_approval_inside_the_shot_on_the_latest_edit(versions):
    w = versions
    edit = _edit(w, (w.rigid1, 1001, 1012))
    with pytest.raises(ValidationError, match="only an approval takes a frame range"):
        decision_create(edit=edit, actor=w.users["supervisor"], verdict="request_changes", frame_start=1001,
                        frame_end=1002)
    with pytest.raises(ValidationError, match="not a range inside the shot"):
        _approve(w, edit, 1010, 1020)
    _edit(w, (w.loose, 1001, 1012))
    with pytest.raises(Conflict, match="superseded by v2"):
        _approve(w, edit, 1001, 1004)
