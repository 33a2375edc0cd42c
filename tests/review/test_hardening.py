"""Hardening (issue 28, finding 8): sign-ins are throttled, passwords pass Django's validators everywhere, every
page carries a Content-Security-Policy, one variable switches the HTTPS settings on, the API schema and docs are
for signed-in people, no answer tells an outsider which projects exist, assignees are the project's members,
jobs tell no server path, the database file is the owner's only, and API tokens are stored as digests."""
from __future__ import annotations

import os
import stat
import subprocess
import sys
import time

import pytest
import requests
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from rest_framework.test import APIClient

from review.models import ApiToken, Job, Variant
from review.jobs.runner import job_run
from review.services.engine import engine_run_queue
from tests.review.factories import UserFactory
from tests.review.live import ROOT, running_site

BEFORE_TOKENS = ("review", "0009_codes_are_slugs")


@pytest.fixture(autouse=True)
def fresh_throttle():
    """Sign-in failures count per address (the test client is always 127.0.0.1): start and end clean."""
    cache.clear()
    yield
    cache.clear()


def sign_in(client, username: str, password: str):
    return client.post("/login/", {"username": username, "password": password})


def test_sign_ins_are_throttled_per_name_and_address(client, world, settings):
    settings.FACEREPLACE_LOGIN_FAILURES = 3
    for _ in range(3):
        assert sign_in(client, "producer1", "wrong-guess").status_code == 200  # the form again, with its error
    refused = sign_in(client, "producer1", "pw-for-tests")  # the right password, now refused
    assert refused.status_code == 429 and "Too many failed sign-ins" in refused.content.decode()
    assert int(refused["Retry-After"]) == settings.FACEREPLACE_LOGIN_LOCKOUT_SECONDS
    assert "_auth_user_id" not in client.session
    assert sign_in(client, "artist1", "pw-for-tests").status_code == 302  # another name from here still may
    admin = client.post("/admin/login/", {"username": "producer1", "password": "pw-for-tests"})
    assert admin.status_code == 200 and "Too many failed sign-ins" in admin.content.decode()


def test_a_throttled_name_signs_in_again_after_the_lockout(client, world, settings):
    settings.FACEREPLACE_LOGIN_FAILURES, settings.FACEREPLACE_LOGIN_LOCKOUT_SECONDS = 2, 1
    for _ in range(2):
        sign_in(client, "producer1", "wrong-guess")
    assert sign_in(client, "producer1", "pw-for-tests").status_code == 429
    time.sleep(1.2)
    assert sign_in(client, "producer1", "pw-for-tests").status_code == 302


def test_one_address_guessing_many_names_is_throttled(client, world, settings):
    settings.FACEREPLACE_LOGIN_FAILURES = 2  # 8 failures from one address over any names
    for i in range(8):
        sign_in(client, f"guess{i}", "wrong-guess")
    assert sign_in(client, "artist1", "pw-for-tests").status_code == 429


@pytest.mark.parametrize("password, reason", [("password", "too common"), ("short1", "too short"),
                                              ("4815162342", "entirely numeric"), ("newcomer-1", "too similar")])
def test_review_user_refuses_weak_passwords(db, password, reason):
    with pytest.raises(CommandError, match=reason):
        call_command("review_user", "newcomer", "--role", "artist", "--project", "dance", "--password", password)
    from django.contrib.auth import get_user_model

    assert not get_user_model().objects.filter(username="newcomer").exists()
    call_command("review_user", "newcomer", "--role", "artist", "--project", "dance", "--password",
                 "paint-the-hairline")
    assert get_user_model().objects.get(username="newcomer").check_password("paint-the-hairline")


def test_pages_carry_the_content_security_policy(client, world):
    client.force_login(world.users["supervisor"])
    for url in ("/", f"/shots/{world.shot.id}/", "/login/"):
        policy = client.get(url)["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
        assert "unsafe-eval" not in policy and "script-src 'self' 'unsafe-inline'" not in policy


def test_the_schema_and_docs_are_for_signed_in_people(client, world):
    assert client.get("/api/schema/").status_code == 401
    for url in ("/api/docs/", "/api/redoc/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/")
    client.force_login(world.users["artist"])
    assert client.get("/api/schema/").status_code == 200
    docs, redoc = client.get("/api/docs/"), client.get("/api/redoc/")
    assert docs.status_code == 200 and "script-src 'self';" in docs["Content-Security-Policy"]
    assert "<script>" not in docs.content.decode()  # Swagger UI's set-up script is a file (CSP allows no inline one)
    assert client.get("/api/docs/?script=").status_code == 200
    assert redoc.status_code == 200 and "fonts.googleapis.com" not in redoc.content.decode()


def test_an_outsider_cannot_tell_which_projects_exist(world):
    outsider = world.client("outsider")  # a supervisor, of another project
    for url, body in (("/api/sequences/", {"code": "SQ900"}), ("/api/shots/", {"sequence": "SQ900", "code": "SH1"})):
        taken = outsider.post(url, {**body, "project": "dance"}, format="json")
        missing = outsider.post(url, {**body, "project": "nosuch"}, format="json")
        assert taken.status_code == missing.status_code == 404
        assert taken.json()["detail"].replace("dance", "X") == missing.json()["detail"].replace("nosuch", "X")


def test_assignees_are_members_of_the_shots_project(world):
    client = world.client("producer")
    url = f"/api/shots/{world.shot.id}/"
    answers = [client.patch(url, {"assignees": [name]}, format="json") for name in ("outsider", "nobody-at-all")]
    assert [a.status_code for a in answers] == [400, 400]
    assert answers[0].json()["detail"].replace("outsider", "X") == answers[1].json()["detail"].replace("nobody-at-all",
                                                                                                       "X")
    assert "assignees are the project's members" in answers[0].json()["detail"]
    assert client.patch(url, {"assignees": ["artist1"]}, format="json").json()["assignees"] == ["artist1"]
    from django.core.exceptions import ValidationError

    from review.services.shots import shot_update

    with pytest.raises(ValidationError, match="not a member of project dance"):
        shot_update(shot=world.shot, actor=world.users["producer"], assignees=[world.outsider])


def test_job_errors_and_logs_name_no_server_path(world, settings, tmp_path):
    settings.FACEREPLACE_ENGINE_ROOT = tmp_path / "engine"
    settings.FACEREPLACE_WORK_ROOT = tmp_path / "work"
    job = engine_run_queue(shot=world.shot, actor=world.users["supervisor"], name="nosuch")
    with pytest.raises(Exception, match="no such file"):
        job_run(job.id, job.attempt)
    job = Job.objects.get(pk=job.id)
    assert job.state == "failed"
    assert job.error.startswith("$FACEREPLACE_ENGINE_ROOT/dance/SQ010/SH010/nosuch/shot.toml: no such file")
    shown = job.error + job.log + job.message
    for server_path in (tmp_path, settings.BASE_DIR, sys.prefix, sys.base_prefix):
        assert str(server_path) not in shown
    assert "Traceback" in job.log and "$SITE/review/jobs/kinds/engine.py" in job.log


def test_a_variants_checkpoint_is_shown_without_the_server_path(world, settings):
    settings.FACEREPLACE_ENGINE_ROOT = settings.FACEREPLACE_HOME / "engine"
    checkpoint = str(settings.FACEREPLACE_ENGINE_ROOT / "dance/SQ010/SH010/pirouette/train/rigid/fit/model.pt")
    variant = Variant.objects.create(shot=world.shot, kind="rigid", label="rigid", clip="shots/1/variants/x.mp4",
                                     checkpoint=checkpoint)
    shown = world.client("supervisor").get(f"/api/variants/{variant.id}/").json()["checkpoint"]
    assert shown == "$FACEREPLACE_ENGINE_ROOT/dance/SQ010/SH010/pirouette/train/rigid/fit/model.pt"


def test_the_database_file_is_the_owners_only(tmp_path):
    home = tmp_path / "home"
    env = {**os.environ, "FACEREPLACE_HOME": str(home), "DJANGO_SETTINGS_MODULE": "facereplace_site.settings"}
    env.pop("DATABASE_URL", None)
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput"], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    made = [p for p in home.iterdir() if p.name.startswith("db.sqlite3")]
    assert made and all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in made), [oct(p.stat().st_mode) for p in made]
    (home / "db.sqlite3").chmod(0o644)  # a database made before: tightened at the next start
    subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, check=True, capture_output=True)
    assert stat.S_IMODE((home / "db.sqlite3").stat().st_mode) == 0o600


@pytest.mark.slow
def test_https_settings_are_one_variable(tmp_path, monkeypatch):
    monkeypatch.setenv("FACEREPLACE_HTTPS", "1")
    with running_site(tmp_path / "home") as site:  # it waited on /health/ over plain HTTP: exempt
        plain = requests.get(site.url + "/login/", allow_redirects=False)
        assert plain.status_code == 301 and plain.headers["Location"] == site.url.replace("http", "https") + "/login/"
        proxied = {"X-Forwarded-Proto": "https"}
        page = requests.get(site.url + "/login/", headers=proxied)
        assert page.status_code == 200 and page.headers["Strict-Transport-Security"] == "max-age=31536000"
        assert "Secure" in page.headers["Set-Cookie"]  # the CSRF cookie
        assert requests.get(site.url + "/health/").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_plain_tokens_of_a_database_made_before_are_hashed_and_still_sign_in():
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE_TOKENS])
    pipeline = UserFactory(username="pipeline")
    with connection.cursor() as cursor:  # rest_framework.authtoken's table, as today's databases hold it
        cursor.execute('CREATE TABLE authtoken_token ("key" varchar(40) NOT NULL PRIMARY KEY, '
                       '"created" datetime NOT NULL, "user_id" integer NOT NULL UNIQUE)')
        cursor.execute("INSERT INTO authtoken_token VALUES (%s, %s, %s)",
                       ["0123456789abcdef0123456789abcdef01234567", "2026-01-01 00:00:00", pipeline.id])
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM authtoken_token")
        assert cursor.fetchone() == (0,)
        cursor.execute("DROP TABLE authtoken_token")
    token = ApiToken.objects.get()
    assert token.user == pipeline and token.digest != "0123456789abcdef0123456789abcdef01234567"
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")
    assert client.get("/api/projects/").status_code == 200
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.digest}")  # the stored digest is no token
    assert client.get("/api/projects/").status_code == 401
