"""The admin lists every model for staff; `review_user` gives a person a role on projects, and a token."""
from __future__ import annotations

import pytest
from django.contrib import admin
from django.core.management import CommandError, call_command
from rest_framework.authtoken.models import Token

from review import models as m
from review.permissions import project_roles
from tests.review.factories import EditFactory, NoteFactory, UserFactory, VariantFactory

REVIEW_MODELS = [model for model in admin.site._registry if model._meta.app_label == "review"]


def test_every_review_model_is_in_the_admin():
    expected = {m.Project, m.Membership, m.Sequence, m.Shot, m.Variant, m.Edit, m.Note, m.FrameFix, m.Render,
                m.Activity}
    assert expected <= set(REVIEW_MODELS)


@pytest.mark.parametrize("model", REVIEW_MODELS, ids=lambda model: model.__name__)
def test_admin_pages_load(client, world, model):
    VariantFactory(shot=world.shot, label="a")
    EditFactory(shot=world.shot, version=1)
    NoteFactory(shot=world.shot)
    admin_user = UserFactory(username="boss", is_staff=True, is_superuser=True)
    client.force_login(admin_user)
    opts = model._meta
    listing = client.get(f"/admin/{opts.app_label}/{opts.model_name}/")
    assert listing.status_code == 200
    first = model.objects.first()
    if first is not None:
        assert client.get(f"/admin/{opts.app_label}/{opts.model_name}/{first.pk}/change/").status_code == 200


def test_review_user_command(db, capsys):
    call_command("review_user", "bot", "--role", "pipeline", "--project", "dance", "--token")
    token = capsys.readouterr().out.strip()
    user = Token.objects.get(key=token).user
    assert project_roles(user) == {m.Project.objects.get(code="dance").id: "pipeline"}
    call_command("review_user", "bot", "--token")
    assert capsys.readouterr().out.strip() == token  # the same token again, nothing duplicated


def test_review_user_sets_the_role_of_each_project_alone(db):
    call_command("review_user", "sam", "--role", "supervisor", "--project", "dance")
    call_command("review_user", "sam", "--role", "artist", "--project", "promo")
    call_command("review_user", "sam", "--role", "producer", "--project", "dance")  # replaces dance's role only
    memberships = m.Membership.objects.filter(user__username="sam")
    assert {ms.project.code: ms.role for ms in memberships} == {"dance": "producer", "promo": "artist"}


def test_review_user_wants_a_role_and_a_project_together(db):
    with pytest.raises(CommandError, match="--role and --project together"):
        call_command("review_user", "sam", "--role", "supervisor")
    with pytest.raises(CommandError, match="--role and --project together"):
        call_command("review_user", "sam", "--project", "dance")
    assert not m.Membership.objects.exists()
