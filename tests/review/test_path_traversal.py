"""Codes are slugs and every folder the site builds stays inside its root (issue 28, finding 2): a supervisor of
one project cannot name a shot so that its engine folder is another project's (an absolute path, `/etc`, `../..`,
a sequence `../..`), and a shot stored with such a code before the rule existed still cannot reach outside."""
from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from review.jobs.engine_paths import engine_folder
from review.jobs.runner import work_dir
from review.models import Job, Sequence, Shot
from review.paths import path_inside
from review.services.engine import engine_run_queue
from tests.review.factories import MembershipFactory, ProjectFactory, UserFactory

BEFORE_SLUGS = ("review", "0008_membership_role")


@pytest.fixture
def engine_root(settings, tmp_path):
    settings.FACEREPLACE_ENGINE_ROOT = tmp_path / "engine"
    settings.FACEREPLACE_WORK_ROOT = tmp_path / "work"
    return settings.FACEREPLACE_ENGINE_ROOT


@pytest.fixture
def rival(world, engine_root):
    """A supervisor of project "rival" (not of the world's "dance"), whose converted variant lies on disk."""
    secret = engine_root / "dance" / "SQ010" / "SH010" / "convert" / "rigid"
    secret.mkdir(parents=True)
    (secret / "converted.json").write_text("{}")
    project = ProjectFactory(code="rival")
    user = UserFactory(username="rival-sup")
    MembershipFactory(project=project, user=user, role="supervisor")
    return user


def traversals(engine_root) -> list[tuple[str, str]]:
    """(sequence code, shot code) pairs that name a folder outside the shot's own."""
    return [("SQ010", str(engine_root / "dance" / "SQ010")), ("SQ010", "/etc"), ("SQ010", "../.."),
            ("../..", "SH010"), ("SQ010", "SH010/../../../dance/SQ010/SH010"), ("..", "..")]


def test_the_api_refuses_every_traversal_form_as_a_code(world, rival, engine_root):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(rival)
    for sequence, code in traversals(engine_root):
        response = client.post("/api/shots/", {"project": "rival", "sequence": sequence, "code": code}, format="json")
        assert response.status_code == 400, (sequence, code, response.content)
        assert "a code is a slug" in response.content.decode()
    response = client.post("/api/sequences/", {"project": "rival", "code": "../.."}, format="json")
    assert response.status_code == 400 and "a code is a slug" in response.content.decode()
    assert not Shot.objects.filter(sequence__project__code="rival").exists()
    assert not Sequence.objects.filter(project__code="rival").exists()


def _stored_before_the_rule(sequence_code: str, code: str) -> Shot:
    """A shot of project "rival" saved without validation, as one made before codes were slugs is stored."""
    project = ProjectFactory(code="rival")
    sequence = Sequence.objects.create(project=project, code=sequence_code)
    return Shot.objects.create(sequence=sequence, code=code, frame_start=1001, frame_end=1012)


def test_a_stored_traversal_code_never_leads_a_job_outside_its_folder(world, rival, engine_root):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(rival)
    for sequence_code, code in traversals(engine_root):
        shot = _stored_before_the_rule(sequence_code, code)
        with pytest.raises(ValidationError, match="FACEREPLACE_ENGINE_ROOT"):
            engine_folder(shot)
        engine = client.post(f"/api/shots/{shot.id}/jobs/", {"name": "pirouette"}, format="json")
        convert = client.post(f"/api/shots/{shot.id}/jobs/convert/", {"name": "SH010", "variant": "rigid"},
                              format="json")
        for response in (engine, convert):
            body = response.content.decode()
            assert response.status_code == 400 and "FACEREPLACE_ENGINE_ROOT" in body, (sequence_code, code, body)
            assert str(engine_root) not in body.replace(code, "")  # no server folder but the code it was sent
        shot.delete()
        shot.sequence.delete()
    assert not Job.objects.exists()
    assert (engine_root / "dance" / "SQ010" / "SH010" / "convert" / "rigid" / "converted.json").read_text() == "{}"


def test_folders_inside_their_root_are_built_as_before(world, engine_root, settings):
    assert engine_folder(world.shot) == (engine_root / "dance" / "SQ010" / "SH010").resolve()
    assert engine_folder(world.shot, "pirouette") == (engine_root / "dance" / "SQ010" / "SH010" / "pirouette").resolve()
    job = Job.objects.create(shot=world.shot, kind="review_clip", queue="cpu")
    assert work_dir(job) == (settings.FACEREPLACE_WORK_ROOT / "jobs" / str(job.id)).resolve()


def test_an_engine_runs_base_shot_must_lie_inside_the_engine_root(world, engine_root, tmp_path):
    """The demo's later shots train from the first shot's base (`base_from`): a folder outside
    FACEREPLACE_ENGINE_ROOT is refused before anything is queued; one inside is kept relative to the root."""
    supervisor = world.users["supervisor"]
    for outside in (tmp_path / "elsewhere", engine_root / ".." / "work", engine_root.parent):
        with pytest.raises(ValidationError, match="inside FACEREPLACE_ENGINE_ROOT"):
            engine_run_queue(shot=world.shot, actor=supervisor, name="fouette", base_from=outside)
    assert not Job.objects.exists()
    job = engine_run_queue(shot=world.shot, actor=supervisor, name="fouette",
                           base_from=engine_root / "dance" / "SQ010" / "SH005" / "pirouette")
    assert job.params["base_from"] == "dance/SQ010/SH005/pirouette"


def test_a_symlink_out_of_the_root_is_refused(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    (root / "escape").symlink_to(tmp_path)
    with pytest.raises(ValidationError, match="leads outside SOME_ROOT"):
        path_inside(root, "escape", "secret", setting="SOME_ROOT")


@pytest.mark.django_db(transaction=True)
def test_codes_stored_before_the_rule_survive_the_migration():
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE_SLUGS])
    old = executor.loader.project_state([BEFORE_SLUGS]).apps
    project = old.get_model("review", "Project").objects.create(code="legacy", name="Legacy")
    sequence = old.get_model("review", "Sequence").objects.create(project=project, code="SQ 010")
    old.get_model("review", "Shot").objects.create(sequence=sequence, code="sh.010 v2", frame_start=1, frame_end=5)
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    shot = Shot.objects.select_related("sequence").get(sequence__project__code="legacy")
    assert (shot.sequence.code, shot.code, shot.frame_end) == ("SQ 010", "sh.010 v2", 5)
