"""Roles are held per project: a supervisor on one project who is an artist on another is an artist there.

The hostile-user review found the reverse (issue 28, finding 4): such a person created and decided an edit on the
project where they are only an artist. Here they can on the first project and cannot on the second, through the
API and the pages, and the pages show the role of the project in view.
"""
from __future__ import annotations

import json
import re

import pytest
from rest_framework.test import APIClient

from review.choices import Role, ShotStatus
from review.models import Decision, Edit, Membership
from tests.review.factories import (EditFactory, MembershipFactory, ProjectFactory, SequenceFactory, ShotFactory,
                                    UserFactory, VariantFactory)


def _shot_in_review(project):
    shot = ShotFactory(sequence=SequenceFactory(project=project, code="SQ100"), code="SH100",
                       status=ShotStatus.IN_REVIEW)
    VariantFactory(shot=shot, label="rigid")
    EditFactory(shot=shot, version=1)
    return shot


@pytest.fixture
def two_projects(world):
    """Sam supervises "dance" (the world's project) and is an artist on "promo"; both have a shot in review."""
    promo = ProjectFactory(code="promo")
    sam = UserFactory(username="sam")
    MembershipFactory(project=world.project, user=sam, role=Role.SUPERVISOR)
    MembershipFactory(project=promo, user=sam, role=Role.ARTIST)
    return {"sam": sam, "dance": _shot_in_review(world.project), "promo": _shot_in_review(promo)}


def _as(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _pick(shot) -> dict:
    variant = shot.variants.get()
    return {"segments": [{"variant": variant.id, "frame_start": shot.frame_start, "frame_end": shot.frame_end}]}


def test_a_supervisor_elsewhere_cannot_pick_or_decide_where_they_are_an_artist(two_projects):
    sam, shot = two_projects["sam"], two_projects["promo"]
    edit = shot.edits.get()
    client = _as(sam)
    response = client.post(f"/api/shots/{shot.id}/edits/", _pick(shot), format="json")
    assert response.status_code == 403
    assert re.search(r"only a supervisor may .*\(you are: artist on this project\)", response.json()["detail"])
    response = client.post(f"/api/edits/{edit.id}/decisions/", {"decision": "approve"}, format="json")
    assert response.status_code == 403 and "you are: artist on this project" in response.json()["detail"]
    assert list(shot.edits.all()) == [edit] and not Decision.objects.filter(edit__shot=shot).exists()
    shot.refresh_from_db()
    assert shot.status == ShotStatus.IN_REVIEW
    # what an artist may do there, they may
    note = client.post(f"/api/shots/{shot.id}/notes/", {"frame_start": 1001, "text": "the chin slides"}, format="json")
    assert note.status_code == 201, note.json()


def test_the_same_person_picks_and_decides_where_they_supervise(two_projects):
    sam, shot = two_projects["sam"], two_projects["dance"]
    client = _as(sam)
    response = client.post(f"/api/shots/{shot.id}/edits/", _pick(shot), format="json")
    assert response.status_code == 201, response.json()
    edit = Edit.objects.get(pk=response.json()["id"])
    response = client.post(f"/api/edits/{edit.id}/decisions/", {"decision": "approve"}, format="json")
    assert response.status_code == 201, response.json()
    shot.refresh_from_db()
    assert shot.status == ShotStatus.APPROVED and edit.decisions.get().author == sam


def test_the_page_forms_follow_the_project_role_too(client, two_projects):
    sam, shot = two_projects["sam"], two_projects["promo"]
    client.force_login(sam)
    edit = shot.edits.get()
    page = client.post(f"/edits/{edit.id}/decision", {"decision": "approve"}, follow=True).content.decode()
    assert "only a supervisor may approve an edit or request changes (you are: artist on this project)" in page
    assert not Decision.objects.filter(edit=edit).exists()


def test_pages_show_the_role_held_on_the_project_in_view(client, two_projects):
    client.force_login(two_projects["sam"])
    for project, role in (("dance", "supervisor"), ("promo", "artist")):
        page = client.get(f"/shots/{two_projects[project].id}/").content.decode()
        data = json.loads(re.search(r'<script id="shot-data" type="application/json">(.*?)</script>', page, re.S)[1])
        assert data["user"] == {"username": "sam", "role": role}
        assert f"sam · {role}</span>" in page
    assert "sam · dance: supervisor, promo: artist</span>" in client.get("/").content.decode()


def test_a_member_without_a_role_may_do_nothing_on_the_project(two_projects):
    """The migration keeps people who had no role group as members with no role: they still may do nothing."""
    nobody = UserFactory(username="nobody")
    shot = two_projects["dance"]
    Membership.objects.create(project=shot.sequence.project, user=nobody)
    response = _as(nobody).get(f"/api/shots/{shot.id}/")
    assert response.status_code == 403 and "you are: no role on this project" in response.json()["detail"]
