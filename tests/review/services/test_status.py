"""The shot status machine: allowed transitions only, each one recorded, hold returns where it was."""
from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from review.choices import ShotStatus as St
from review.errors import TransitionNotAllowed
from review.models import Activity
from review.services.shots import TRANSITIONS, shot_move, shot_set_status


def test_every_status_has_its_transitions_and_a_colour():
    assert set(TRANSITIONS) == set(St.values)
    for status in St:
        assert status.colour.startswith("#") and status.label


def test_manual_move_is_recorded_in_activity(world):
    shot_set_status(shot=world.shot, status=St.TRAINING, actor=world.users["pipeline"])
    world.shot.refresh_from_db()
    assert world.shot.status == St.TRAINING
    entry = Activity.objects.get(shot=world.shot, verb="status.changed")
    assert entry.data["from"] == St.WAITING and entry.data["to"] == St.TRAINING
    assert entry.actor == world.users["pipeline"]


def test_disallowed_transition_names_current_and_allowed(world):
    with pytest.raises(TransitionNotAllowed) as err:
        shot_move(shot=world.shot, to=St.FINAL, actor=None)
    assert err.value.current == St.WAITING
    assert "in_review" in err.value.allowed and "training" in err.value.allowed
    assert "waiting" in str(err.value) and "final" in str(err.value)
    world.shot.refresh_from_db()
    assert world.shot.status == St.WAITING and not Activity.objects.filter(verb="status.changed").exists()


def test_derived_statuses_cannot_be_set_by_hand(world):
    with pytest.raises(TransitionNotAllowed, match="by hand"):
        shot_set_status(shot=world.shot, status=St.APPROVED, actor=world.users["supervisor"])


def test_hold_returns_to_the_status_it_was_held_from(world):
    shot_move(shot=world.shot, to=St.IN_REVIEW, actor=None)
    producer = world.users["producer"]
    shot_set_status(shot=world.shot, status=St.ON_HOLD, actor=producer)
    world.shot.refresh_from_db()
    assert world.shot.held_from == St.IN_REVIEW
    with pytest.raises(TransitionNotAllowed) as err:
        shot_set_status(shot=world.shot, status=St.TRAINING, actor=producer)
    assert sorted(err.value.allowed) == [St.IN_REVIEW, St.OMITTED]
    shot_set_status(shot=world.shot, status=St.IN_REVIEW, actor=producer)
    world.shot.refresh_from_db()
    assert world.shot.status == St.IN_REVIEW and world.shot.held_from == ""


def test_role_is_checked_with_a_reason(world):
    with pytest.raises(PermissionDenied, match="producer or supervisor"):
        shot_set_status(shot=world.shot, status=St.ON_HOLD, actor=world.users["artist"])
    with pytest.raises(PermissionDenied, match="not a member"):
        shot_set_status(shot=world.shot, status=St.ON_HOLD, actor=world.outsider)
